//! AWS SDK set-up that the function (`functions/alerter`) and the CLI (`apps/trailwarden-cli`) share, so both
//! reach S3 (and the function its DynamoDB dedup table, the CLI Athena), on AWS or on a local emulator, the same way. Only client construction lives here: what each
//! program does with S3 (ports and adapters) stays in the program.

use aws_config::timeout::TimeoutConfig;
use aws_config::SdkConfig;
use std::time::Duration;

/// Time to open a TCP (and TLS) connection to an AWS endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Time from sending a request to the response's first byte (S3 streams bodies after that; a body that
/// stalls is the caller's to bound).
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// One attempt of an operation (the SDK retries a timed-out attempt within the operation timeout).
pub const OPERATION_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// One operation, its retries included, up to its response (for S3 GetObject: up to the headers, not the
/// streamed body).
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(20);

/// The SDK timeouts for every client of the function and the CLI: without them a call that hangs waits
/// until the invocation is killed. Timeouts set on `sdk` (from the
/// environment or the shared config file) win over these defaults.
pub fn timeouts(sdk: &SdkConfig) -> TimeoutConfig {
    let ours = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .operation_attempt_timeout(OPERATION_ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    match sdk.timeout_config() {
        Some(set) => {
            let mut t = set.clone();
            t.take_defaults_from(&ours);
            t
        }
        None => ours,
    }
}

/// Whether an endpoint override is in force: `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`, or one set on the
/// loaded configuration.
fn endpoint_overridden(sdk: &SdkConfig) -> bool {
    std::env::var_os("AWS_ENDPOINT_URL").is_some()
        || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
        || sdk.endpoint_url().is_some()
}

/// The S3 client configuration for `sdk`: path-style addressing when an endpoint override is set (local
/// emulators such as moto_server have no per-bucket host names), virtual-hosted style on AWS. A builder, so a
/// caller can still set a region. With the operation [`timeouts`].
pub fn s3_config(sdk: &SdkConfig) -> aws_sdk_s3::config::Builder {
    aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(endpoint_overridden(sdk))
        .timeout_config(timeouts(sdk))
}

/// An S3 client built from [`s3_config`].
pub fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(s3_config(sdk).build())
}

/// The DynamoDB client configuration for `sdk` (the fast path's dedup table), with the operation
/// [`timeouts`] of every other client. A builder, so a caller can still set a region.
pub fn dynamodb_config(sdk: &SdkConfig) -> aws_sdk_dynamodb::config::Builder {
    aws_sdk_dynamodb::config::Builder::from(sdk).timeout_config(timeouts(sdk))
}

/// A DynamoDB client built from [`dynamodb_config`].
pub fn dynamodb_client(sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(dynamodb_config(sdk).build())
}

/// The Athena client configuration for `sdk` (the CLI's `--engine athena`), with the operation [`timeouts`]
/// of every other client: each call (start, poll, one page of results) is short; waiting for a query to
/// finish is the caller's polling loop, bounded by the caller. A builder, so a caller can still set a region.
#[cfg(feature = "athena")]
pub fn athena_config(sdk: &SdkConfig) -> aws_sdk_athena::config::Builder {
    aws_sdk_athena::config::Builder::from(sdk).timeout_config(timeouts(sdk))
}

/// An Athena client built from [`athena_config`].
#[cfg(feature = "athena")]
pub fn athena_client(sdk: &SdkConfig) -> aws_sdk_athena::Client {
    aws_sdk_athena::Client::from_conf(athena_config(sdk).build())
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

    #[test]
    fn clients_get_operation_timeouts_and_explicit_ones_win() {
        let t = timeouts(&sdk(None));
        assert_eq!(t.operation_timeout(), Some(OPERATION_TIMEOUT));
        assert_eq!(
            t.operation_attempt_timeout(),
            Some(OPERATION_ATTEMPT_TIMEOUT)
        );
        assert_eq!(t.connect_timeout(), Some(CONNECT_TIMEOUT));
        let set = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(2))
                    .build(),
            )
            .build();
        let t = timeouts(&set);
        assert_eq!(t.operation_timeout(), Some(Duration::from_secs(2)));
        assert_eq!(t.read_timeout(), Some(READ_TIMEOUT));
        let conf = s3_config(&set).build();
        assert_eq!(
            conf.timeout_config().and_then(|t| t.operation_timeout()),
            Some(Duration::from_secs(2))
        );
        // The dedup table's client gets the same timeouts.
        let conf = dynamodb_config(&set).build();
        assert_eq!(
            conf.timeout_config().and_then(|t| t.operation_timeout()),
            Some(Duration::from_secs(2))
        );
        #[cfg(feature = "athena")]
        {
            let conf = athena_config(&set).build();
            assert_eq!(
                conf.timeout_config().and_then(|t| t.operation_timeout()),
                Some(Duration::from_secs(2))
            );
            let conf = athena_config(&sdk(None)).build();
            assert_eq!(
                conf.timeout_config().and_then(|t| t.read_timeout()),
                Some(READ_TIMEOUT)
            );
        }
        let conf = dynamodb_config(&sdk(None)).build();
        let t = conf.timeout_config().unwrap();
        assert_eq!(
            (
                t.connect_timeout(),
                t.read_timeout(),
                t.operation_attempt_timeout()
            ),
            (
                Some(CONNECT_TIMEOUT),
                Some(READ_TIMEOUT),
                Some(OPERATION_ATTEMPT_TIMEOUT)
            )
        );
    }
}
