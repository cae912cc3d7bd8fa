//! Cold start: logging, then everything the handler needs, built once per execution environment — the
//! settings from the environment, the rules file (from disk or S3), the compiled rules, the S3 source and the
//! SNS sink. `main.rs` calls [`init_logging`] and [`cold_start`]; tests call [`build_deps`].

use crate::adapters::s3_source::S3Source;
use crate::adapters::sns::{sns_client, sns_sink, SnsSink};
use crate::config::{Config, ConfigError, RulesLocation};
use crate::handler::Deps;
use aws_sdk_s3::error::DisplayErrorContext;
use rules::{today_utc, Exclusion};
use tracing::warn;
use tracing_subscriber::EnvFilter;
use trailwarden_aws::s3_client;

/// JSON logs for CloudWatch; level from `RUST_LOG`, else `AWS_LAMBDA_LOG_LEVEL` (set by Terraform), else
/// info. Does nothing when a global subscriber is already installed.
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| {
            EnvFilter::try_new(
                std::env::var("AWS_LAMBDA_LOG_LEVEL")
                    .unwrap_or_else(|_| "info".into())
                    .to_lowercase(),
            )
        })
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _already_set = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .try_init();
}

/// What the cold start built.
pub struct ColdStart {
    /// Everything the handler needs.
    pub deps: Deps<S3Source, SnsSink>,
    /// Exclusions of the rules file that expired before today: they no longer apply (each is logged as a
    /// warning).
    pub expired_exclusions: Vec<Exclusion>,
}

/// The production cold start: settings from the process environment, AWS clients from the default
/// credential chain, today's date from the clock.
pub async fn cold_start() -> Result<Deps<S3Source, SnsSink>, ConfigError> {
    let config = Config::from_env()?;
    let sdk = aws_config::load_from_env().await;
    Ok(build_deps(config, &sdk, &today_utc()).await?.deps)
}

/// Builds the handler's dependencies: reads the rules file (`config.rules_file`, from disk or S3; the
/// defaults when unset), compiles the rules for `today` (`YYYY-MM-DD`, UTC), logs the resolved
/// configuration and every expired exclusion, and creates the S3 source and SNS sink.
pub async fn build_deps(
    config: Config,
    sdk: &aws_config::SdkConfig,
    today: &str,
) -> Result<ColdStart, ConfigError> {
    let s3 = s3_client(sdk);
    let rules_text = match &config.rules_file {
        Some(location) => Some(read_rules_file(location, &s3).await?),
        None => None,
    };
    if let Some(text) = &rules_text {
        // Before anything in the file takes effect: a swapped file (say `disable = [...]`) must stop the
        // function, which the errors alarm and the heartbeat alarm report, rather than blind it quietly.
        config.verify_rules_file(text)?;
        if config.rules_sha256.is_none() {
            warn!(rules_file = %config.rules_file.as_ref().map_or_else(String::new, ToString::to_string),
                "TRAILWARDEN_CONFIG_SHA256 is not set: the rules file's integrity is not checked");
        }
    }
    let (engine, alerts) = config.rules(rules_text.as_deref(), today)?;
    tracing::info!(
        topic_arn = %config.topic_arn,
        rules_file = %config.rules_file.as_ref().map_or_else(|| "defaults (recommended profile)".to_owned(), ToString::to_string),
        rules_sha256 = config.rules_sha256.as_deref().unwrap_or("unchecked"),
        rules = engine.rules().len(),
        exclusions = engine.exclusions().len(),
        max_uncompressed_bytes = config.max_uncompressed_bytes,
        max_record_bytes = config.max_record_bytes,
        storm_limit = alerts.storm_limit,
        "config loaded"
    );
    let expired_exclusions: Vec<Exclusion> = engine.expired_exclusions(today).cloned().collect();
    for x in &expired_exclusions {
        warn!(exclusion_id = %x.id, expires = x.expires.as_deref().unwrap_or(""), "exclusion has expired and no longer applies");
    }
    let dedup = crate::adapters::dedup::from_config(&config, sdk)?;
    let channels = crate::channels::from_config(&config, &s3);
    let sink = sns_sink(sns_client(sdk), config.topic_arn.clone());
    let deps = Deps::new(S3Source::new(s3.clone()), sink, engine, config)
        .with_alerts(alerts)
        .with_dedup(dedup)
        .with_channels(channels);
    Ok(ColdStart {
        deps,
        expired_exclusions,
    })
}

/// Reads the rules file from disk or S3 (at cold start).
pub async fn read_rules_file(
    location: &RulesLocation,
    s3: &aws_sdk_s3::Client,
) -> Result<String, ConfigError> {
    let unreadable = |reason: String| ConfigError::RulesFileUnreadable {
        location: location.to_string(),
        reason,
    };
    match location {
        RulesLocation::File(path) => {
            std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))
        }
        RulesLocation::S3 { bucket, key } => {
            let out = s3
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| unreadable(DisplayErrorContext(&e).to_string()))?;
            let bytes = out
                .body
                .collect()
                .await
                .map_err(|e| unreadable(e.to_string()))?
                .into_bytes();
            String::from_utf8(bytes.to_vec()).map_err(|_| unreadable("not UTF-8".to_owned()))
        }
    }
}
