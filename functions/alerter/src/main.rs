//! Lambda entry point: configuration, clients and compiled rules are built once, then the runtime loop.

use alerter::{
    handle, read_rules_file, s3_client, sns_client, sns_sink, today_utc, Config, Deps, S3Source,
};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Error> {
    // JSON logs for CloudWatch; level from RUST_LOG, else AWS_LAMBDA_LOG_LEVEL (set by Terraform), else info.
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| {
            EnvFilter::try_new(
                std::env::var("AWS_LAMBDA_LOG_LEVEL")
                    .unwrap_or_else(|_| "info".into())
                    .to_lowercase(),
            )
        })
        .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .init();

    let config = Config::from_env()?;
    let sdk = aws_config::load_from_env().await;
    let s3 = s3_client(&sdk);
    let rules_text = match &config.rules_file {
        Some(location) => Some(read_rules_file(location, &s3).await?),
        None => None,
    };
    let today = today_utc();
    let (engine, alerts) = config.rules(rules_text.as_deref(), &today)?;
    let engine = Arc::new(engine);
    tracing::info!(
        topic_arn = %config.topic_arn,
        rules_file = %config.rules_file.as_ref().map_or_else(|| "defaults (recommended profile)".to_owned(), ToString::to_string),
        rules = engine.rules().len(),
        exclusions = engine.exclusions().len(),
        max_uncompressed_bytes = config.max_uncompressed_bytes,
        storm_limit = alerts.storm_limit,
        "config loaded"
    );
    for x in engine.expired_exclusions(&today) {
        tracing::warn!(exclusion_id = %x.id, expires = x.expires.as_deref().unwrap_or(""), "exclusion has expired and no longer applies");
    }
    let deps = Deps {
        source: S3Source::new(s3),
        sink: sns_sink(sns_client(&sdk), config.topic_arn.clone()),
        engine,
        config,
        alerts,
    };
    let deps = &deps;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        handle(event, deps).await
    }))
    .await
}
