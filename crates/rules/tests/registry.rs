//! The registry meta-test: ids are unique kebab-case, every built-in pattern compiles, and every rule has at
//! least one must-match and one near-miss fixture in `tests/fixtures/<rule-id>/{match,nomatch}/`, all of which
//! behave as labelled.

use rules::{Context, Detection, Engine, Prefilter, BUILTIN};
use std::path::{Path, PathBuf};

fn fixtures(rule_id: &str, kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rule_id)
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// The deployment context every fixture is evaluated in: the recipient account of the fixtures is
/// 111122223333; 444455556666 is a trusted partner account; one access key is watched; activity is expected
/// in us-east-1 and eu-west-1 only.
fn fixture_context() -> Context {
    Context {
        trusted_accounts: ["444455556666".to_owned()].into(),
        watched_access_keys: ["AKIAWATCHEDEXAMPLE01".to_owned()].into(),
        allowed_regions: ["us-east-1".to_owned(), "eu-west-1".to_owned()].into(),
        own_resources: pipeline_fixture_resources(),
    }
}

/// The `[pipeline]` of the fixtures: one trailwarden deployment in 111122223333, us-east-1 (the resources of
/// `trailwarden-pipeline-tampering`'s fixtures).
pub fn pipeline_fixture_resources() -> rules::OwnResources {
    rules::OwnResources::from_arns([
        "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1",
        "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1/trailwarden/rules.toml",
        "arn:aws:lambda:us-east-1:111122223333:function:tw-alerter",
        "arn:aws:iam::111122223333:role/tw-alerter-role",
        "arn:aws:sns:us-east-1:111122223333:tw-alerts",
        "arn:aws:sns:us-east-1:111122223333:tw-alarms",
        "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321",
        "arn:aws:cloudtrail:us-east-1:111122223333:trail/tw-trail",
        "arn:aws:cloudwatch:us-east-1:111122223333:alarm:tw-alerter-errors",
        "arn:aws:cloudwatch:us-east-1:111122223333:alarm:tw-no-log-files",
        "arn:aws:events:us-east-1:111122223333:rule/tw-pipeline-watchdog",
        "arn:aws:sqs:us-east-1:111122223333:tw-fast-path",
        "arn:aws:sqs:us-east-1:111122223333:tw-fast-path-dlq",
        "arn:aws:dynamodb:us-east-1:111122223333:table/tw-dedup",
        "arn:aws:lambda:us-east-1:111122223333:event-source-mapping:a1b2c3d4-5678-90ab-cdef-111111111111",
        "arn:aws:athena:us-east-1:111122223333:workgroup/tw-hunt",
        "arn:aws:glue:us-east-1:111122223333:database/tw_cloudtrail",
        "arn:aws:glue:us-east-1:111122223333:table/tw_cloudtrail/events",
        "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1/trailwarden/findings/*",
        "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1/athena-results/*",
    ])
    .expect("the fixtures' pipeline parses")
}

#[test]
fn ids_are_unique_stable_kebab_case() {
    let mut seen = std::collections::HashSet::new();
    for rule in BUILTIN {
        assert!(seen.insert(rule.id), "duplicate id {}", rule.id);
        assert!(
            rule.id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'),
            "{} is not kebab-case",
            rule.id
        );
        assert!(
            !rule.title.is_empty() && !rule.rationale.is_empty() && !rule.next_steps.is_empty()
        );
        assert!(!rule.controls.is_empty(), "{} cites no control", rule.id);
    }
}

#[test]
fn every_builtin_pattern_compiles() {
    let engine = Engine::builtin().expect("built-in rules compile");
    assert_eq!(engine.rules().len(), BUILTIN.len());
    for rule in BUILTIN {
        if let Detection::Pattern(p) = rule.detection {
            rules::Pattern::parse(p).unwrap_or_else(|e| panic!("{}: {e}", rule.id));
        }
    }
}

#[test]
fn every_rule_matches_its_fixtures_and_misses_its_near_misses() {
    let engine = Engine::builtin().unwrap().with_context(fixture_context());
    for rule in engine.rules() {
        if rule.threshold().is_some() && rule.pattern().is_some() {
            continue; // a threshold rule's fixtures are log files, scanned whole: tests/threshold.rs
        }
        // A code threshold rule's fixtures are records: `matches` says whether one counts (its windows are
        // tested in its own file).
        for (kind, want) in [("match", true), ("nomatch", false)] {
            let files = fixtures(rule.id(), kind);
            assert!(!files.is_empty(), "{} has no {kind} fixture", rule.id());
            for f in files {
                let record = cloudtrail::Parsed::new(&std::fs::read(&f).unwrap()).unwrap();
                assert_eq!(
                    rule.matches(record.root(), engine.context()),
                    want,
                    "{} on {}",
                    rule.id(),
                    f.display()
                );
            }
        }
    }
}

#[test]
fn fixture_folders_belong_to_existing_rules() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            BUILTIN.iter().any(|r| r.id == name),
            "fixtures for unknown rule {name}"
        );
    }
}

/// A code rule indexed by event name must not be able to match any other event: on each of its `match`
/// fixtures, the event name is one it declares, and with any other event name the code itself says no. So the
/// index never hides a match.
#[test]
fn event_indexed_code_rules_declare_every_event_they_match() {
    let context = fixture_context();
    let mut checked = 0;
    for rule in BUILTIN {
        let Detection::Code {
            prefilter: Prefilter::EventNames(events),
            detect,
        } = rule.detection
        else {
            continue;
        };
        for f in fixtures(rule.id, "match") {
            let mut record: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
            let name = record["eventName"].as_str().unwrap_or_default().to_owned();
            assert!(
                events.contains(&name.as_str()),
                "{}: {} matches {name}, which the rule does not declare",
                rule.id,
                f.display()
            );
            for other in ["ListBuckets", "DescribeInstances", ""] {
                record["eventName"] = other.into();
                let parsed = cloudtrail::Parsed::from_value(&record);
                assert_eq!(
                    detect(parsed.root(), &context),
                    None,
                    "{} on {other}",
                    rule.id
                );
            }
            checked += 1;
        }
    }
    assert!(
        checked >= 6,
        "only {checked} fixtures of event-indexed code rules"
    );
}
