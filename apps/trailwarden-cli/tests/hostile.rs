//! Hostile log files on `trailwarden scan`, written as an attacker who controls some field of their own record
//! would: every `StopLogging` is alerted, every record that cannot be evaluated is an `unevaluated-record`
//! finding, and the summary's counts add up (nothing is skipped silently).
//!
//! What is lenient and what is strict (README, failure table): escapes other JSON consumers accept (lone
//! surrogates) and invalid UTF-8 inside strings are read as U+FFFD and the record is evaluated; broken
//! structure, nesting over the limit and records over the size cap are `unevaluated-record` findings.

mod common;

use common::{run as trailwarden, Run};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use test_support::hostile::{log, many_keys, stop_logging, LONE_SURROGATE_CASES};

const STOPPED: &str = "cloudtrail-stopped-or-deleted";
const CIS_4_5: &str = "cis-4.5-cloudtrail-config-changes";
const UNEVALUATED: &str = "unevaluated-record";

/// What one scan reported.
struct Scan {
    run: Run,
    findings: Vec<Value>,
}

impl Scan {
    /// The event ids of the findings of `rule`, in order.
    fn event_ids<'s>(&'s self, rule: &'s str) -> Vec<&'s str> {
        self.of(rule)
            .map(|f| f["event_id"].as_str().unwrap_or("<none>"))
            .collect()
    }

    fn of<'s>(&'s self, rule: &'s str) -> impl Iterator<Item = &'s Value> + 's {
        self.findings.iter().filter(move |f| f["rule_id"] == rule)
    }

    /// `(index, reason)` of every unevaluated-record finding, from the small record it carries.
    fn unevaluated(&self) -> Vec<(u64, String)> {
        self.of(UNEVALUATED)
            .map(|f| {
                let record: Value = serde_json::from_str(&f["record"].to_string()).unwrap();
                let u = &record["unevaluated"];
                (
                    u["index"].as_u64().unwrap(),
                    u["reason"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    /// Every `StopLogging` in `ids` is alerted by both rules, and no other event is.
    fn assert_stops_alerted(&self, ids: &[&str]) {
        for rule in [STOPPED, CIS_4_5] {
            assert_eq!(self.event_ids(rule), ids, "{rule}\n{}", self.run.stderr);
        }
    }

    /// The summary's counts add up: `records` records, `unevaluated` of them unevaluated-record findings, and
    /// the findings on stdout are the findings counted.
    fn assert_counts(&self, records: u64, unevaluated: u64) {
        let r = &self.run;
        assert_eq!(r.counter("records"), records, "{}", r.stderr);
        assert_eq!(
            r.counter("unevaluated records"),
            unevaluated,
            "{}",
            r.stderr
        );
        assert_eq!(self.unevaluated().len() as u64, unevaluated, "{}", r.stderr);
        assert_eq!(
            r.counter("findings"),
            self.findings.len() as u64,
            "{}",
            r.stderr
        );
        let mut per_rule: BTreeMap<&str, u64> = BTreeMap::new();
        for f in &self.findings {
            *per_rule.entry(f["rule_id"].as_str().unwrap()).or_default() += 1;
        }
        for (rule, n) in per_rule {
            assert_eq!(r.counter(rule), n, "{rule}: {}", r.stderr);
        }
    }
}

/// `trailwarden scan --rules <the two StopLogging rules> --format jsonl [extra] FILE`, expecting exit `code`.
fn scan(file: &Path, extra: &[&str], code: i32) -> Scan {
    let mut args = vec![
        "scan",
        "--rules",
        "cloudtrail-stopped-or-deleted,cis-4.5-cloudtrail-config-changes",
        "--format",
        "jsonl",
    ];
    args.extend(extra);
    let path = file.to_str().unwrap();
    args.push(path);
    let run = trailwarden(&args).expect(code);
    let findings = run.lines();
    Scan { run, findings }
}

/// Writes `bytes` to `name` in a new temporary directory.
fn write(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    (dir, path)
}

#[test]
fn lone_surrogates_in_attacker_fields_are_read_as_replacement_characters() {
    let mut elements = Vec::new();
    let mut want = Vec::new();
    for (id, extra) in LONE_SURROGATE_CASES {
        elements.push(stop_logging(id, extra));
        elements.push(stop_logging(&format!("{id}-after"), b""));
        want.extend([id.to_owned(), format!("{id}-after")]);
    }
    let (_dir, path) = write("surrogates.json", &log(&elements));
    let s = scan(&path, &[], 0);
    let want: Vec<&str> = want.iter().map(String::as_str).collect();
    s.assert_stops_alerted(&want);
    s.assert_counts(8, 0);
    let by_id = |id: &str| s.of(STOPPED).find(|f| f["event_id"] == id).unwrap().clone();
    assert_eq!(by_id("ua")["user_agent"], "aws-cli/2 \u{FFFD} evil");
    assert_eq!(
        by_id("arn")["principal"],
        "arn:aws:iam::111122223333:user/\u{FFFD}"
    );
    assert_eq!(by_id("edge")["user_agent"], "\u{FFFD}\u{1F600}\u{FFFD}");
    // The record attached to the alert is valid JSON (what SNS and a mailbox receive).
    for f in &s.findings {
        let record = f["record"].to_string();
        serde_json::from_str::<Value>(&record).unwrap();
    }
}

#[test]
fn invalid_utf8_inside_strings_is_read_as_replacement_characters() {
    let mut ua = br#""userAgent":"curl/8 "#.to_vec();
    ua.extend_from_slice(b"\xff\xfe \xc3 \xe2\x82 \xed\xa0\x80 end\"");
    let mut arn =
        br#""userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/"#.to_vec();
    arn.extend_from_slice(b"\x80bob\",\"accountId\":\"111122223333\"}");
    let elements = [
        stop_logging("ua", &ua),
        stop_logging("ua-after", b""),
        stop_logging("arn", &arn),
        stop_logging("arn-after", b""),
    ];
    let (_dir, path) = write("utf8.json", &log(&elements));
    let s = scan(&path, &[], 0);
    s.assert_stops_alerted(&["ua", "ua-after", "arn", "arn-after"]);
    s.assert_counts(4, 0);
    let ua = s.of(STOPPED).next().unwrap()["user_agent"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(ua.starts_with("curl/8 \u{FFFD}"), "{ua:?}");
    assert!(ua.ends_with(" end"), "{ua:?}");
}

#[test]
fn nesting_over_the_limit_is_an_unevaluated_record_with_what_could_be_recovered() {
    let depth = 200;
    let nested = format!(
        r#""requestParameters":{}1{}"#,
        r#"{"a":"#.repeat(depth),
        "}".repeat(depth)
    );
    let elements = [
        stop_logging("deep", nested.as_bytes()),
        stop_logging("deep-after", b""),
    ];
    let (_dir, path) = write("deep.json", &log(&elements));
    let s = scan(&path, &[], 0);
    s.assert_stops_alerted(&["deep-after"]);
    s.assert_counts(2, 1);
    assert_eq!(s.unevaluated(), [(0, "too_deep".to_owned())]);
    let f = s.of(UNEVALUATED).next().unwrap();
    assert_eq!(f["severity"], "high");
    // The top-level scan found the fields before the deep member.
    assert_eq!(f["event_name"], "StopLogging");
    assert_eq!(f["event_source"], "cloudtrail.amazonaws.com");
    assert_eq!(f["event_id"], "deep");
    let note = f["note"].as_str().unwrap();
    assert!(
        note.starts_with("record 0 at decompressed byte 12 could not be evaluated (too_deep)"),
        "{note}"
    );
    assert!(s.run.stderr.contains("could not be evaluated (too_deep)"));
}

#[test]
fn non_object_members_of_records_are_unevaluated_records() {
    let elements = [
        b"42".to_vec(),
        stop_logging("after-number", b""),
        br#""a string""#.to_vec(),
        stop_logging("after-string", b""),
        b"null".to_vec(),
        stop_logging("after-null", b""),
        br#"[{"eventName":"StopLogging"}]"#.to_vec(),
        stop_logging("after-array", b""),
        b"true".to_vec(),
        stop_logging("after-bool", b""),
    ];
    let (_dir, path) = write("members.json", &log(&elements));
    let s = scan(&path, &[], 0);
    s.assert_stops_alerted(&[
        "after-number",
        "after-string",
        "after-null",
        "after-array",
        "after-bool",
    ]);
    s.assert_counts(10, 5);
    let want: Vec<(u64, String)> = [0, 2, 4, 6, 8]
        .into_iter()
        .map(|i| (i, "not_an_object".to_owned()))
        .collect();
    assert_eq!(s.unevaluated(), want);
    // Each is a finding of its own (distinct ids), and counts for --fail-on-findings.
    let mut ids: Vec<&str> = s
        .of(UNEVALUATED)
        .map(|f| f["finding_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 5);
    let only_bad = log(&[b"42".to_vec()]);
    let (_dir2, bad) = write("only-bad.json", &only_bad);
    let s = scan(&bad, &["--fail-on-findings"], 1);
    assert_eq!(s.unevaluated(), [(0, "not_an_object".to_owned())]);
}

#[test]
fn broken_structure_is_an_unevaluated_record_and_the_next_record_is_read() {
    let elements = [
        br#"{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"broken","x":}"#
            .to_vec(),
        stop_logging("broken-after", b""),
        br#"{"eventName":"StopLogging" "eventID":"no-comma"}"#.to_vec(),
        stop_logging("no-comma-after", b""),
        br#"{"eventID":"bad-escape","eventName":"StopLogging","userAgent":"\x41"}"#.to_vec(),
        stop_logging("bad-escape-after", b""),
    ];
    let (_dir, path) = write("broken.json", &log(&elements));
    let s = scan(&path, &[], 0);
    s.assert_stops_alerted(&["broken-after", "no-comma-after", "bad-escape-after"]);
    s.assert_counts(6, 3);
    let reasons: Vec<(u64, String)> = [0, 2, 4].map(|i| (i, "syntax".to_owned())).to_vec();
    assert_eq!(s.unevaluated(), reasons);
    assert_eq!(s.event_ids(UNEVALUATED)[0], "broken");
}

#[test]
fn a_record_cut_mid_string_at_the_end_of_the_file_is_reported_and_the_file_fails() {
    let mut text = br#"{"Records":["#.to_vec();
    text.extend_from_slice(&stop_logging("before-cut", b""));
    text.extend_from_slice(
        br#",{"eventID":"cut","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","userAgent":"aws-cli/2 cut he"#,
    );
    let (_dir, path) = write("cut.json", &text);
    // A file that ends early is a failed file (exit 2), after its findings.
    let s = scan(&path, &[], 2);
    s.assert_stops_alerted(&["before-cut"]);
    assert_eq!(s.unevaluated(), [(1, "truncated".to_owned())]);
    assert_eq!(s.run.counter("failed files"), 1);
    assert_eq!(
        s.run.counter("findings"),
        s.findings.len() as u64,
        "{}",
        s.run.stderr
    );
    assert!(s.run.stderr.contains("ends early"), "{}", s.run.stderr);
}

#[test]
fn a_hundred_thousand_keys_sharing_a_prefix() {
    let elements = [many_keys("keys", 100_000), stop_logging("keys-after", b"")];
    let size = elements[0].len();
    assert!(size > 1 << 20, "{size}: over the default 1 MiB cap");
    let (_dir, path) = write("keys.json", &log(&elements));
    // Over the default per-record cap: unevaluated (oversized), and the next record is read.
    let s = scan(&path, &[], 0);
    s.assert_stops_alerted(&["keys-after"]);
    s.assert_counts(2, 1);
    assert_eq!(s.unevaluated(), [(0, "oversized".to_owned())]);
    // Under a cap that admits it, the record is evaluated: the key index hashes whole keys, so this finishes.
    let cap = (4usize << 20).to_string();
    let s = scan(&path, &["--max-record-bytes", &cap], 0);
    s.assert_stops_alerted(&["keys", "keys-after"]);
    s.assert_counts(2, 0);
}

#[test]
fn an_oversized_record_is_skipped_and_the_next_one_alerted() {
    let big = format!(
        r#""requestParameters":{{"blob":"{}"}}"#,
        "a".repeat(3 << 20)
    );
    let elements = [
        stop_logging("big", big.as_bytes()),
        stop_logging("big-after", b""),
    ];
    let (_dir, path) = write("big.json", &log(&elements));
    let s = scan(&path, &[], 0);
    s.assert_stops_alerted(&["big-after"]);
    s.assert_counts(2, 1);
    assert_eq!(s.unevaluated(), [(0, "oversized".to_owned())]);
    let f = s.of(UNEVALUATED).next().unwrap();
    assert!(
        f["record"].to_string().len() < 4096,
        "never the raw record: {}",
        f["record"]
    );
}

#[test]
fn every_hostile_record_in_one_file_and_every_stop_logging_alerted() {
    let deep = format!(
        r#""requestParameters":{}1{}"#,
        "[".repeat(300),
        "]".repeat(300)
    );
    let mut invalid = br#""userAgent":""#.to_vec();
    invalid.extend_from_slice(b"\xff\"");
    let elements = [
        stop_logging("s1", br#""userAgent":"\ud800""#),
        b"7".to_vec(),
        stop_logging("s2", b""),
        stop_logging("deep", deep.as_bytes()),
        stop_logging("s3", &invalid),
        br#"{"eventName":"StopLogging",}"#.to_vec(),
        stop_logging("s4", b""),
    ];
    let (_dir, path) = write("all.json", &log(&elements));
    let s = scan(&path, &[], 0);
    s.assert_stops_alerted(&["s1", "s2", "s3", "s4"]);
    s.assert_counts(7, 3);
    assert_eq!(
        s.unevaluated(),
        [
            (1, "not_an_object".to_owned()),
            (3, "too_deep".to_owned()),
            (5, "syntax".to_owned())
        ]
    );
    // Nothing skipped silently: every record is a finding or was evaluated.
    assert_eq!(s.findings.len(), 2 * 4 + 3);
}
