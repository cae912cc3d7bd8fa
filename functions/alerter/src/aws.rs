//! The S3 adapter of the [`ObjectSource`] port: GetObject, streamed, and the S3 client it uses.
//! (The SNS adapter is [`crate::publish`].)

use crate::ports::{ObjectBody, ObjectSource, SourceError};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata};

/// An S3 client; path-style addressing when an endpoint override is set (local emulators such as moto).
pub fn s3_client(sdk: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    let path_style = std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || sdk.endpoint_url().is_some();
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

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
    async fn open(&self, bucket: &str, key: &str) -> Result<ObjectBody, SourceError> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| {
                let service = e.as_service_error();
                if service.is_some_and(|s| s.is_no_such_key())
                    || service.and_then(|s| s.code()) == Some("NoSuchKey")
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
