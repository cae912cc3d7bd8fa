//! Replaying logs: `scan` exit codes for CI, JSON output, the time window and key-date pruning, parallel
//! reading in input order, `rules explain`, and `event s3` for `cargo lambda invoke`.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

const EVENT_1: &str = "00000000-0000-4000-8000-000000000001";
const EVENT_2: &str = "00000000-0000-4000-8000-000000000002";
const EVENT_3: &str = "00000000-0000-4000-8000-000000000003";

fn ids(findings: &[Value]) -> Vec<&str> {
    findings
        .iter()
        .map(|f| f["event_id"].as_str().unwrap())
        .collect()
}

#[test]
fn exit_codes_for_ci() {
    // 0: findings, no flag.
    run(["scan", "--rules", PINNED, EVENTS]).expect(0);
    // 1: findings with --fail-on-findings; they are printed all the same.
    let r = run(["scan", "--fail-on-findings", "--rules", PINNED, EVENTS]).expect(1);
    assert_eq!(r.lines().len(), 3);
    // 0: no findings with --fail-on-findings.
    let dir = tempfile::tempdir().unwrap();
    let quiet = dir.path().join("quiet.json");
    std::fs::write(&quiet, r#"{"Records":[{"eventName":"ListBuckets"}]}"#).unwrap();
    run([
        "scan".as_ref(),
        "--fail-on-findings".as_ref(),
        quiet.as_os_str(),
    ])
    .expect(0);
    // 2: an unreadable input wins over findings.
    let missing = dir.path().join("missing.json.gz");
    run([
        "scan".as_ref(),
        "--fail-on-findings".as_ref(),
        missing.as_os_str(),
        EVENTS.as_ref(),
    ])
    .expect(2);
    // 2: usage errors.
    for args in [
        vec!["scan", "--since", "last week", EVENTS],
        vec![
            "scan",
            "--since",
            "2024-02-01",
            "--until",
            "2024-01-01",
            EVENTS,
        ],
        vec!["scan", "--jobs", "0", EVENTS],
        vec!["scan", "s3://", EVENTS],
        vec!["event", "s3", "--bucket", "b"],
        vec!["rules", "explain", EVENTS],
    ] {
        let r = run(&args);
        assert_eq!(r.code, Some(2), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn json_format_is_one_array() {
    let r = run(["scan", "--format", "json", "--rules", PINNED, EVENTS]).expect(0);
    let findings = r.json();
    let findings = findings.as_array().expect("one array");
    assert_eq!(ids(findings), [EVENT_1, EVENT_2, EVENT_3]);
    assert!(findings[0]["file"].as_str().unwrap().ends_with(SAMPLE_KEY));
    let r = run([
        "scan",
        "--format",
        "json",
        "--rules",
        PINNED,
        CROSS,
        "--since",
        "2030-01-01",
    ])
    .expect(0);
    assert_eq!(r.stdout, "[]\n");
    let r = run([
        "rules",
        "test",
        "--format",
        "json",
        "{ $.eventName = ConsoleLogin }",
        EVENTS,
        CROSS,
    ])
    .expect(0);
    assert_eq!(r.json().as_array().unwrap().len(), 2);
}

/// Each printed finding's `finding_id` is [`rules::Finding::id`] of that finding (the id the Lambda's alert
/// for it carries), in both JSON formats.
#[test]
fn finding_ids_are_the_rules_finding_ids() {
    // The sample file's findings, straight from the rules crate, with the CLI's default rules.
    let engine =
        rules::Engine::from_config(&rules::RulesConfig::default(), &rules::today_utc()).unwrap();
    let file = std::fs::File::open(sample()).unwrap();
    let mut reader =
        cloudtrail::LogReader::new(file, cloudtrail::ReaderOptions::default()).unwrap();
    let mut want: Vec<(String, String, String)> = Vec::new();
    rules::scan_log(&mut reader, &engine, |f| {
        want.push((
            f.event_id.clone().unwrap_or_default(),
            f.rule_id.clone(),
            f.id(),
        ));
        Ok::<(), std::convert::Infallible>(())
    })
    .unwrap();
    assert!(want.len() > 2, "{want:?}");
    let sample = sample();
    let sample = sample.to_str().unwrap();
    for format in ["jsonl", "json"] {
        let r = run(["scan", "--format", format, sample]).expect(0);
        let findings = match format {
            "json" => r.json().as_array().unwrap().clone(),
            _ => r.lines(),
        };
        let got: Vec<(String, String, String)> = findings
            .iter()
            .map(|f| {
                let text = |k: &str| f[k].as_str().unwrap_or_default().to_owned();
                (text("event_id"), text("rule_id"), text("finding_id"))
            })
            .collect();
        assert_eq!(got, want, "--format {format}");
    }
}

/// An `AWSLogs/` tree with the sample log under three dates, and a broken file dated long before.
fn dated_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::read(sample()).unwrap();
    let base = dir.path().join("AWSLogs/111122223333/CloudTrail/us-east-1");
    for (day, bytes) in [
        ("2023/12/01", b"not a log file".as_slice()),
        ("2024/01/14", &log),
        ("2024/01/15", &log),
        ("2024/01/17", &log),
    ] {
        let path = base
            .join(day)
            .join(format!("{}.json.gz", day.replace('/', "")));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

#[test]
fn since_and_until_filter_events_and_prune_files_by_key_date() {
    let tree = dated_tree();
    let root = tree.path().to_str().unwrap();
    // Without a window the broken file is read (and fails).
    let all = run(["scan", "--rules", PINNED, root]).expect(2);
    assert_eq!(all.counter("files scanned"), 3);
    assert_eq!(all.counter("failed files"), 1);

    // Every event of the sample is on 2024-01-15 between 12:01 and 12:08.
    let r = run([
        "scan",
        "--rules",
        PINNED,
        "--since",
        "2024-01-15",
        "--until",
        "2024-01-15T12:02:30Z",
        root,
    ])
    .expect(0);
    // The 2023 file and the 2024/01/17 one (more than a day after --until) are not read; 01/14 is (a day
    // of margin). Each file read holds the same events, on 01/15.
    assert_eq!(r.counter("files scanned"), 2, "{}", r.stderr);
    assert_eq!(r.counter("failed files"), 0);
    let findings = r.lines();
    assert_eq!(ids(&findings), [EVENT_1, EVENT_2, EVENT_1, EVENT_2]);
    assert_eq!(r.counter("records"), 16);
    assert_eq!(r.counter("outside window"), 12);

    // --since alone: everything from 01/14 on; --until alone: only the 2023 file and 01/14..01/15.
    let r = run(["scan", "--rules", PINNED, "--since", "2024-01-16", root]).expect(0);
    assert_eq!(r.counter("files scanned"), 2, "01/15 (margin) and 01/17");
    assert_eq!(r.lines().len(), 0, "the events are all on 01/15");
    let r = run(["scan", "--rules", PINNED, "--until", "2024-01-13", root]).expect(2);
    assert_eq!(
        r.counter("files scanned"),
        1,
        "01/14 (margin); the 2023 file fails"
    );
    assert_eq!(r.lines().len(), 0);

    // A file named on the command line is always read.
    let old = Path::new(root)
        .join("AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/17/20240117.json.gz");
    let r = run([
        "scan".as_ref(),
        "--rules".as_ref(),
        PINNED.as_ref(),
        "--until".as_ref(),
        "2024-01-13".as_ref(),
        old.as_os_str(),
    ])
    .expect(0);
    assert_eq!(r.counter("files scanned"), 1);
    assert_eq!(r.counter("outside window"), 8);
}

#[test]
fn many_files_in_parallel_print_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let log = std::fs::read(sample()).unwrap();
    for i in 0..40 {
        std::fs::write(dir.path().join(format!("f{i:02}.json.gz")), &log).unwrap();
    }
    let one = run([
        "scan".as_ref(),
        "--jobs".as_ref(),
        "1".as_ref(),
        "--rules".as_ref(),
        PINNED.as_ref(),
        dir.path().as_os_str(),
    ])
    .expect(0);
    let many = run([
        "scan".as_ref(),
        "--jobs".as_ref(),
        "8".as_ref(),
        "--rules".as_ref(),
        PINNED.as_ref(),
        dir.path().as_os_str(),
    ])
    .expect(0);
    assert_eq!(one.stdout, many.stdout);
    let files: Vec<String> = many
        .lines()
        .iter()
        .map(|f| {
            f["file"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(files.len(), 120);
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
    assert_eq!(many.counter("files scanned"), 40);
    assert_eq!(many.counter("records"), 320);
}

#[test]
fn explain_shows_the_terms_and_the_suppressing_exclusion() {
    let config = format!("{FIXTURES}/exclusion.toml");
    let r = run([
        "rules",
        "explain",
        "--config",
        &config,
        "--event-id",
        EVENT_2,
        EVENTS,
    ])
    .expect(0);
    let text = &r.stdout;
    for needle in [
        &format!("event {EVENT_2} (GetBucketPolicy at 2024-01-15T12:02:00Z)"),
        "record 1",
        "principal: arn:aws:iam::111122223333:user/alice from 198.51.100.23",
        "error:     AccessDenied",
        "1 matched (0 alerts, 1 suppressed)",
        "cis-4.1-unauthorized-api-calls [medium]: SUPPRESSED by exclusion bucket-policy-audit",
        "✓ $.errorCode =AccessDenied*",
        "✗ $.errorCode =*UnauthorizedOperation",
        "suppressed by exclusion bucket-policy-audit: The audit job probes bucket policies",
        "✓ $.eventName = \"GetBucketPolicy\"",
        "other rules did not match",
    ] {
        assert!(text.contains(needle), "{needle:?} not in\n{text}");
    }

    // JSON, a code rule, and rules that did not match, named with --rules.
    let r = run([
        "rules",
        "explain",
        "--profile",
        "all",
        "--rules",
        "root-activity,cis-4.1-unauthorized-api-calls",
        "--format",
        "json",
        "--event-id",
        "00000000-0000-4000-8000-0000000000a1",
        EVENTS,
        CROSS,
    ])
    .expect(0);
    let v = r.json();
    assert_eq!(v.as_array().unwrap().len(), 1);
    let e = &v[0];
    assert_eq!(e["event_name"], "AssumeRole");
    assert_eq!(e["file"], CROSS);
    assert_eq!(e["index"], 0);
    let verdicts: Vec<(&str, &str, &str)> = e["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["rule_id"].as_str().unwrap(),
                v["kind"].as_str().unwrap(),
                v["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("external-principal-access", "code", "finding"),
            ("cis-4.1-unauthorized-api-calls", "pattern", "no match"),
            ("root-activity", "code", "no match"),
        ]
    );
    let rules = e["rules"].as_array().unwrap();
    assert_eq!(rules[0]["terms"], Value::Null);
    assert!(rules[1]["terms"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["matched"] == false));
    assert_eq!(
        e["not_matched"].as_u64().unwrap() + 3,
        e["rules_evaluated"].as_u64().unwrap()
    );

    // An expired exclusion is shown on the alert it no longer suppresses.
    let config = format!("{FIXTURES}/expired-exclusion.toml");
    let r = run([
        "rules",
        "explain",
        "--config",
        &config,
        "--event-id",
        EVENT_2,
        EVENTS,
    ])
    .expect(0);
    assert!(r.stdout.contains("MATCHED: alert"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("matched an expired exclusion bucket-policy-audit"),
        "{}",
        r.stdout
    );

    // Not found, unknown rule: status 2.
    let r = run(["rules", "explain", "--event-id", "nope", EVENTS]).expect(2);
    assert!(
        r.stderr
            .contains("no record with eventID \"nope\" in 8 records of 1 file"),
        "{}",
        r.stderr
    );
    run([
        "rules",
        "explain",
        "--rules",
        "nope",
        "--event-id",
        EVENT_1,
        EVENTS,
    ])
    .expect(2);
}

#[test]
fn event_s3_round_trips_the_key_and_has_the_sample_shape() {
    let key =
        "audit logs+2024:prod/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/x=1&y.json.gz";
    let r = run([
        "event",
        "s3",
        "--bucket",
        "trail-bucket",
        "--key",
        key,
        "--size",
        "1148",
        "--time",
        "2024-01-15T12:10:05Z",
    ])
    .expect(0);
    let v = r.json();
    let rec = &v["Records"][0];
    assert_eq!(rec["eventName"], "ObjectCreated:Put");
    assert_eq!(rec["eventSource"], "aws:s3");
    assert_eq!(rec["eventTime"], "2024-01-15T12:10:05.000Z");
    assert_eq!(rec["s3"]["bucket"]["name"], "trail-bucket");
    assert_eq!(rec["s3"]["bucket"]["arn"], "arn:aws:s3:::trail-bucket");
    assert_eq!(rec["s3"]["object"]["size"], 1148);
    let encoded = rec["s3"]["object"]["key"].as_str().unwrap();
    assert!(
        encoded.starts_with("audit+logs%2B2024%3Aprod/AWSLogs/"),
        "{encoded}"
    );
    assert_eq!(cloudtrail::decode_s3_key(encoded).unwrap(), key);

    // The sample notification's key, generated from the sample's decoded key, is the same bytes.
    let sample: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(EVENTS).join("../s3-encoded-key.json")).unwrap(),
    )
    .unwrap();
    let sample_key = sample["Records"][0]["s3"]["object"]["key"]
        .as_str()
        .unwrap();
    let decoded = cloudtrail::decode_s3_key(sample_key).unwrap();
    let r = run(["event", "s3", "--bucket", "b", "--key", &decoded]).expect(0);
    let v = r.json();
    assert_eq!(v["Records"][0]["s3"]["object"]["key"], sample_key);
    assert!(v["Records"][0]["s3"]["object"].get("size").is_none());
}
