//! The S3 adapter of the [`ObjectSource`] port: GetObject, streamed. (The client comes from
//! `trailwarden_aws::s3_client`; the SNS adapter is [`crate::adapters::sns`].)

use crate::ports::{ObjectBody, ObjectSource, SourceError};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};

/// Reads objects from S3, streaming the body.
pub struct S3Source {
    client: aws_sdk_s3::Client,
}

impl S3Source {
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        S3Source { client }
    }
}

impl ObjectSource for S3Source {
    async fn open(
        &self,
        bucket: &str,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<ObjectBody, SourceError> {
        // GetObject with a versionId needs s3:GetObjectVersion (infra/iam.tf grants it on the log prefix).
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
            .map_err(|e| {
                let service = e.as_service_error();
                if service.is_some_and(|s| s.is_no_such_key())
                    || matches!(
                        service.and_then(|s| s.code()),
                        Some("NoSuchKey" | "NoSuchVersion")
                    )
                {
                    SourceError::NotFound
                } else if service.and_then(|s| s.code()) == Some("AccessDenied")
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 403)
                {
                    SourceError::AccessDenied
                } else {
                    SourceError::Other(DisplayErrorContext(&e).to_string())
                }
            })?;
        Ok(Box::new(out.body.into_async_read()))
    }
}
