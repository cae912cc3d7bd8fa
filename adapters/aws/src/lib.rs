//! AWS SDK set-up that the function (`functions/alerter`) and the CLI (`apps/trailwarden-cli`) share, so both
//! reach S3, on AWS or on a local emulator, the same way. Only client construction lives here: what each
//! program does with S3 (ports and adapters) stays in the program.

use aws_config::SdkConfig;

/// Whether an endpoint override is in force: `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, or one set on the
/// loaded configuration.
fn endpoint_overridden(sdk: &SdkConfig) -> bool {
    std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || sdk.endpoint_url().is_some()
}

/// The S3 client configuration for `sdk`: path-style addressing when an endpoint override is set (local
/// emulators such as moto_server have no per-bucket host names), virtual-hosted style on AWS. A builder, so a
/// caller can still set a region.
pub fn s3_config(sdk: &SdkConfig) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::from(sdk).force_path_style(endpoint_overridden(sdk))
}

/// An S3 client built from [`s3_config`].
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(s3_config(sdk).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sdk(endpoint: Option<&str>) -> SdkConfig {
        let mut b = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"));
        if let Some(e) = endpoint {
            b = b.endpoint_url(e);
        }
        b.build()
    }

    /// Path-style addressing itself is exercised against moto_server by the end-to-end and CLI S3 tests (a
    /// virtual-hosted request to 127.0.0.1 would fail there); this pins the decision.
    #[test]
    fn an_endpoint_on_the_configuration_is_an_override() {
        assert!(endpoint_overridden(&sdk(Some("http://127.0.0.1:5000"))));
        let from_env = std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        assert_eq!(endpoint_overridden(&sdk(None)), from_env);
    }
}
