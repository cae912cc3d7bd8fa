//! Threshold rules end to end: each built-in threshold rule over its fixtures (each a whole CloudTrail log file,
//! `tests/fixtures/<rule-id>/{match,nomatch}/*.json`: a `match` file raises at least one alert, a `nomatch` file
//! none), and over the Stratus Red Team detonations its controls name (with the default profile).

use cloudtrail::{LogReader, ReaderOptions};
use rules::catalog::threshold::THRESHOLD;
use rules::{scan_log, scan_log_windowed, Detection, Engine, Finding, Profile, Windows};
use std::convert::Infallible;
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

fn scan(engine: &Engine, bytes: &[u8]) -> Vec<Finding> {
    let mut reader = LogReader::new(bytes, ReaderOptions::default()).unwrap();
    let mut out = Vec::new();
    scan_log(&mut reader, engine, |f| {
        out.push(f);
        Ok::<_, Infallible>(())
    })
    .unwrap();
    out
}

#[test]
fn every_threshold_rule_fires_on_its_fixtures_and_not_on_its_near_misses() {
    assert!(THRESHOLD.len() >= 8);
    for rule in THRESHOLD {
        let Detection::Threshold(t) = rule.detection else {
            panic!(
                "{} is in the threshold folder but is not a threshold rule",
                rule.id
            );
        };
        let engine = Engine::with_ids(&[rule.id]).unwrap();
        for (kind, fires) in [("match", true), ("nomatch", false)] {
            let files = fixtures(rule.id, kind);
            assert!(!files.is_empty(), "{} has no {kind} fixture", rule.id);
            for f in files {
                let findings = scan(&engine, &std::fs::read(&f).unwrap());
                assert_eq!(
                    !findings.is_empty(),
                    fires,
                    "{} on {}",
                    rule.id,
                    f.display()
                );
                for finding in &findings {
                    let d = finding
                        .threshold
                        .as_ref()
                        .expect("a threshold alert carries details");
                    assert!(d.count >= t.count, "{} on {}: {d:?}", rule.id, f.display());
                    assert_eq!((d.threshold, d.window_minutes), (t.count, t.window_minutes));
                    assert_eq!(d.group_by.len(), d.key.len());
                    assert!(finding.note.as_deref().unwrap().starts_with("threshold: "));
                }
            }
        }
    }
}

#[test]
fn each_window_alerts_once() {
    // The Stratus detonation reads 20 distinct secrets in 5 seconds: one alert for the window, not one per
    // secret past the tenth.
    let engine = Engine::with_ids(&["secrets-bulk-retrieval"]).unwrap();
    let f = fixtures("secrets-bulk-retrieval", "match")
        .into_iter()
        .find(|f| f.to_string_lossy().contains("stratus-"))
        .unwrap();
    let findings = scan(&engine, &std::fs::read(f).unwrap());
    assert_eq!(findings.len(), 1);
    let d = findings[0].threshold.as_ref().unwrap();
    assert_eq!(d.count, 10, "the count when it fired");
    assert_eq!(d.distinct_values.len(), 10);
    assert_eq!(d.key, ["arn:aws:iam::903144391865:user/christophe"]);
}

#[test]
fn windows_span_the_files_of_one_scan() {
    // Ten distinct secrets read over two files: one scan per file sees five each; one Windows for both, ten.
    let engine = Engine::with_ids(&["secrets-bulk-retrieval"]).unwrap();
    let file = |from: usize| {
        let records: Vec<String> = (from..from + 5)
            .map(|i| {
                format!(
                    r#"{{"eventID":"e{i}","eventTime":"2026-03-02T10:0{}:00Z","eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/a"}},"requestParameters":{{"secretId":"s{i}"}}}}"#,
                    i % 10
                )
            })
            .collect();
        format!(r#"{{"Records":[{}]}}"#, records.join(","))
    };
    let (first, second) = (file(0), file(5));
    assert!(scan(&engine, first.as_bytes()).is_empty());
    assert!(scan(&engine, second.as_bytes()).is_empty());
    let windows = Windows::new();
    let mut found = Vec::new();
    for text in [&first, &second] {
        let mut reader = LogReader::new(text.as_bytes(), ReaderOptions::default()).unwrap();
        let stats = scan_log_windowed(
            &mut reader,
            &engine,
            &windows,
            |_| true,
            |f| {
                found.push(f);
                Ok::<_, Infallible>(())
            },
        )
        .unwrap();
        assert_eq!(stats.threshold_events, 5);
    }
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].event_id.as_deref(), Some("e9"));
}

/// The Stratus detonations whose technique a threshold rule's controls name: with the default profile, that
/// rule fires on the file.
#[test]
fn stratus_detonations_fire_their_threshold_rules() {
    let Some(dir) =
        test_support::require(test_support::shared_dir().join("corpus/stratus-red-team"))
    else {
        return;
    };
    let engine = Engine::profile(Profile::Recommended).unwrap();
    let mut checked = 0;
    for rule in THRESHOLD {
        for c in rule
            .controls
            .iter()
            .filter(|c| c.framework == "Stratus Red Team")
        {
            assert!(
                rule.in_profile(Profile::Recommended),
                "{} names a Stratus technique but is not in the default profile",
                rule.id
            );
            let path = dir.join(format!("{}.json.gz", c.id));
            let bytes = std::fs::read(&path).unwrap_or_else(|e| {
                // Techniques without detonation logs are covered by hand-written fixtures.
                assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{}", path.display());
                Vec::new()
            });
            if bytes.is_empty() {
                continue;
            }
            let findings = scan(&engine, &bytes);
            assert!(
                findings.iter().any(|f| f.rule_id == rule.id),
                "{} does not fire on {}",
                rule.id,
                path.display()
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked, 5,
        "retrieve-secrets, batch-retrieve-secrets, ssm securestring, send-command, bedrock"
    );
}

/// Threshold rules stay silent on every other corpus file (no Stratus technique of theirs).
#[test]
fn threshold_rules_are_quiet_on_the_other_detonations() {
    let Some(files) = test_support::corpus_files() else {
        return;
    };
    let engine = Engine::new(THRESHOLD).unwrap();
    for path in files {
        let name = path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".json.gz", "");
        let bytes = std::fs::read(&path).unwrap();
        for f in scan(&engine, &bytes) {
            let rule = THRESHOLD.iter().find(|r| r.id == f.rule_id).unwrap();
            assert!(
                rule.controls.iter().any(|c| c.id == name),
                "{} fires on {name}",
                f.rule_id
            );
        }
    }
}
