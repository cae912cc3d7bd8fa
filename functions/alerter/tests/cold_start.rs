//! The cold start, as `main` runs it, with a local rules file and an SDK configuration that is never used to
//! call AWS (the rules file is on disk).

use alerter::cold_start::build_deps;
use alerter::config::{Config, ConfigError, RulesLocation};
use std::path::PathBuf;

const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:trailwarden-alerts";

fn sdk() -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .build()
}

/// A rules file in a directory of its own under the system's temporary directory.
fn rules_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "trailwarden-alerter-cold-start-{}-{name}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trailwarden.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn config(path: &std::path::Path) -> Config {
    Config {
        rules_file: Some(RulesLocation::File(path.display().to_string())),
        ..Config::new(TOPIC)
    }
}

const RULES: &str = r#"
profile = "cis"

[alerts]
storm_limit = 3

[[exclusions]]
id = "old-scanner"
reason = "the scanner was retired"
rules = ["cis-4.1-unauthorized-api-calls"]
match = { eventName = "ListUsers" }
expires = "2026-11-22"

[[exclusions]]
id = "break-glass-drill"
reason = "quarterly drill, ticket SEC-42"
rules = ["cis-4.3-root-account-usage"]
match = { sourceIPAddress = "198.51.100.23" }
expires = "2026-11-23"

[[exclusions]]
id = "config-recorder"
reason = "AWS Config reads IAM"
match = { "userIdentity.invokedBy" = "config.amazonaws.com" }
"#;

#[tokio::test]
async fn a_local_rules_file_gives_its_engine_and_reports_expired_exclusions() {
    let path = rules_file("ok", RULES);
    let built = build_deps(config(&path), &sdk(), "2026-11-23")
        .await
        .unwrap();
    let engine = &built.deps.engine;
    assert!(!engine.rules().is_empty());
    assert!(engine.rules().iter().all(|r| r.id().starts_with("cis-")));
    assert_eq!(
        engine
            .exclusions()
            .iter()
            .map(|x| x.id.as_str())
            .collect::<Vec<_>>(),
        ["old-scanner", "break-glass-drill", "config-recorder"]
    );
    // Expired: its last day is before today. The one whose last day is today still applies.
    assert_eq!(
        built
            .expired_exclusions
            .iter()
            .map(|x| (x.id.as_str(), x.expires.as_deref()))
            .collect::<Vec<_>>(),
        [("old-scanner", Some("2026-11-22"))]
    );
    assert_eq!(built.deps.alerts.storm_limit, 3);
    assert_eq!(built.deps.config.topic_arn, TOPIC);
    assert_eq!(
        built.deps.config.rules_file,
        Some(RulesLocation::File(path.display().to_string()))
    );

    // A day later, the drill's exclusion has expired too.
    let later = build_deps(config(&path), &sdk(), "2026-11-24")
        .await
        .unwrap();
    assert_eq!(
        later
            .expired_exclusions
            .iter()
            .map(|x| x.id.as_str())
            .collect::<Vec<_>>(),
        ["old-scanner", "break-glass-drill"]
    );
}

#[tokio::test]
async fn without_a_rules_file_the_recommended_profile_runs() {
    let built = build_deps(Config::new(TOPIC), &sdk(), "2026-11-23")
        .await
        .unwrap();
    assert_eq!(
        built.deps.engine.rules().len(),
        rules::Engine::profile(rules::Profile::Recommended)
            .unwrap()
            .rules()
            .len()
    );
    assert!(built.expired_exclusions.is_empty());
}

#[tokio::test]
async fn a_missing_or_invalid_rules_file_stops_the_cold_start() {
    let missing = std::env::temp_dir().join("trailwarden-alerter-no-such-dir/trailwarden.toml");
    let Err(err) = build_deps(config(&missing), &sdk(), "2026-11-23").await else {
        panic!("a missing rules file must fail");
    };
    assert!(
        matches!(&err, ConfigError::RulesFileUnreadable { location, .. } if location == &missing.display().to_string()),
        "{err}"
    );

    let path = rules_file("bad", "profile = \"cis\"\ndisable = [\"no-such-rule\"]\n");
    let Err(err) = build_deps(config(&path), &sdk(), "2026-11-23").await else {
        panic!("an invalid rules file must fail");
    };
    assert!(matches!(err, ConfigError::RulesFile(_)), "{err}");
    assert!(
        err.to_string().contains(":2:12: unknown built-in rule id"),
        "{err}"
    );
}

#[test]
fn the_sns_and_s3_clients_have_operation_timeouts() {
    let sns = alerter::adapters::sns::sns_client(&sdk());
    let t = sns.config().timeout_config().unwrap();
    assert_eq!(
        t.operation_timeout(),
        Some(trailwarden_aws::OPERATION_TIMEOUT)
    );
    assert_eq!(
        t.operation_attempt_timeout(),
        Some(trailwarden_aws::OPERATION_ATTEMPT_TIMEOUT)
    );
    let s3 = alerter::s3_client(&sdk());
    assert_eq!(
        s3.config()
            .timeout_config()
            .and_then(|t| t.operation_timeout()),
        Some(trailwarden_aws::OPERATION_TIMEOUT)
    );
}

/// Finding 2 of issue 15: the rules file Terraform stored is pinned by its SHA-256 (TRAILWARDEN_CONFIG_SHA256);
/// a file swapped in the bucket afterwards (here: one that disables the root rule) stops the cold start with an
/// error that says so, before any of its settings apply.
#[tokio::test]
async fn a_rules_file_that_differs_from_the_deployed_hash_stops_the_cold_start() {
    let deployed = "profile = \"cis\"\n";
    let path = rules_file("pinned", deployed);
    let pinned = |sha: &str| Config {
        rules_sha256: Some(sha.to_owned()),
        ..config(&path)
    };
    let sha = alerter::config::sha256_hex(deployed.as_bytes());

    // The deployed content starts.
    let built = build_deps(pinned(&sha), &sdk(), "2026-11-23")
        .await
        .expect("the file Terraform stored starts");
    assert!(built
        .deps
        .engine
        .rules()
        .iter()
        .any(|r| r.id() == "cis-4.3-root-account-usage"));

    // The same key, rewritten to switch the root rule off: refused, naming both hashes and the file.
    let swapped = "profile = \"cis\"\ndisable = [\"cis-4.3-root-account-usage\"]\n";
    std::fs::write(&path, swapped).unwrap();
    let Err(err) = build_deps(pinned(&sha), &sdk(), "2026-11-23").await else {
        panic!("a swapped rules file must stop the cold start");
    };
    let actual = alerter::config::sha256_hex(swapped.as_bytes());
    assert!(
        matches!(&err, ConfigError::RulesFileTampered { location, expected, actual: a }
            if *location == path.display().to_string() && *expected == sha && *a == actual),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("changed after deployment") && message.contains(&sha),
        "{message}"
    );

    // One byte is enough (a trailing newline added by an editor): the check is on the exact bytes.
    std::fs::write(&path, format!("{deployed}\n")).unwrap();
    assert!(matches!(
        build_deps(pinned(&sha), &sdk(), "2026-11-23").await,
        Err(ConfigError::RulesFileTampered { .. })
    ));
    // Uppercase hex in the environment is the same hash.
    std::fs::write(&path, deployed).unwrap();
    let upper = Config::from_lookup(|name| match name {
        "TOPIC_ARN" => Some(TOPIC.to_owned()),
        "TRAILWARDEN_CONFIG" => Some(path.display().to_string()),
        "TRAILWARDEN_CONFIG_SHA256" => Some(sha.to_uppercase()),
        _ => None,
    })
    .unwrap();
    build_deps(upper, &sdk(), "2026-11-23")
        .await
        .expect("hex case does not matter");
}
