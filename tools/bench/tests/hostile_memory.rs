//! Memory is bounded per record, at any input: a log file whose first record is 300 MB (the attacker's own
//! request parameters) goes through `trailwarden scan` and through the function's handler at Lambda's smallest
//! memory setting (128 MiB, enforced by a control group through `trailwarden-bench exec --lambda-memory-mb`)
//! without being killed, and the `StopLogging` after it is alerted. Needs a writable cgroup filesystem (root)
//! and the two binaries `cargo test --workspace` builds (`trailwarden`, `examples/handler_over_file`); where
//! either is missing the tests say SKIP (a failure under `CI=true`).

use bench::cgroup::LimitedReport;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

/// One control group at a time: the two tests each fill a CPU-limited group for a while.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The size of the hostile record's string member.
const HUGE_BYTES: usize = 300 * 1000 * 1000;

const STOP_ID: &str = "00000000-0000-4000-8000-00000000057a";

/// A successful `StopLogging`, the record after the huge one.
fn stop_logging() -> String {
    format!(
        r#"{{"eventVersion":"1.09","eventID":"{STOP_ID}","eventTime":"2024-01-15T00:01:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","eventType":"AwsApiCall","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333"}}}}"#
    )
}

/// `bytes` as one gzip member.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Writes `path`: a gzipped log file whose first record (a `GetObject`, matched by no rule) carries a `huge`
/// byte string in its request parameters, followed by [`stop_logging`]. The file is a series of gzip members
/// (as CloudTrail sometimes writes), the string's one 1 MiB member repeated: written in a moment, a few hundred
/// KB on disk, and neither this process nor the file holds the record.
fn write_hostile_log(path: &Path, huge: usize) {
    const CHUNK: usize = 1 << 20;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    file.write_all(&gzip(
        br#"{"Records":[{"eventVersion":"1.09","eventID":"00000000-0000-4000-8000-000000000b16","eventTime":"2024-01-15T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333"},"requestParameters":{"key":""#,
    ))
    .unwrap();
    let chunk = gzip(&[b'a'; CHUNK]);
    for _ in 0..huge / CHUNK {
        file.write_all(&chunk).unwrap();
    }
    file.write_all(&gzip(&vec![b'a'; huge % CHUNK])).unwrap();
    let tail = format!(r#""}}}},{}]}}"#, stop_logging());
    file.write_all(&gzip(tail.as_bytes())).unwrap();
    file.flush().unwrap();
}

/// `name` in the target directory of this test's `trailwarden-bench` binary (where `cargo test --workspace`
/// builds the others), or `None` after [`test_support::skip`].
fn beside_bench(name: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_BIN_EXE_trailwarden-bench")).parent()?;
    test_support::require(dir.join(name))
}

/// Runs `cmd` under `exec --lambda-memory-mb 128`: the report, the bench's exit code and the command's stdout;
/// `None` (after SKIP) where no control group can be made.
fn exec_at_128(cmd: &[&Path], args: &[&str]) -> Option<(LimitedReport, Option<i32>, String)> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_trailwarden-bench"))
        .args(["exec", "--lambda-memory-mb", "128", "--out"])
        .arg(&report)
        .arg("--")
        .args(cmd)
        .args(args)
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    if let Some(reason) = json.get("skipped") {
        test_support::skip(&format!("no control group here: {reason}"));
        return None;
    }
    let stdout = String::from_utf8(out.stdout).unwrap();
    let report: LimitedReport = serde_json::from_value(json).unwrap();
    assert_eq!(
        report.limits.memory_limit_mib,
        128,
        "{report:?}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        report.limits.oom_kills,
        Some(0),
        "killed for memory: {report:?}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(report.signal, None, "{report:?}");
    assert!(
        report.limits.peak_charged_bytes.unwrap_or(0) <= 128 << 20,
        "{report:?}"
    );
    Some((report, out.status.code(), stdout))
}

#[test]
fn scan_reads_past_a_300_mb_record_within_128_mib_and_alerts_on_the_stop_logging_after_it() {
    let Some(trailwarden) = beside_bench("trailwarden") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("hostile.json.gz");
    write_hostile_log(&log, HUGE_BYTES);
    let path = log.to_str().unwrap();
    let Some((report, code, stdout)) =
        exec_at_128(&[&trailwarden], &["scan", "--format", "jsonl", path])
    else {
        return;
    };
    assert_eq!(report.exec.code, Some(0), "{report:?}\n{stdout}");
    assert_eq!(code, Some(0), "{report:?}");
    let findings: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rule_event = |rule: &str| {
        findings
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .map(|f| f["event_id"].as_str().unwrap_or("").to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        rule_event("cloudtrail-stopped-or-deleted"),
        [STOP_ID],
        "{stdout}"
    );
    assert_eq!(
        rule_event("cis-4.5-cloudtrail-config-changes"),
        [STOP_ID],
        "{stdout}"
    );
    let unevaluated: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule_id"] == "unevaluated-record")
        .collect();
    assert_eq!(unevaluated.len(), 1, "{stdout}");
    let u = unevaluated[0];
    assert_eq!(u["record"]["unevaluated"]["reason"], "oversized", "{u}");
    assert_eq!(u["record"]["unevaluated"]["index"], 0, "{u}");
    assert_eq!(
        u["event_name"], "GetObject",
        "recovered while streaming past: {u}"
    );
}

/// The example's JSON summary: the stdout line with a `summary` member (the function's EMF metrics line
/// comes before it).
fn example_summary(stdout: &str) -> Value {
    stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v.get("summary").is_some())
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"))
}

#[test]
fn the_handler_reads_past_a_300_mb_record_at_128_mib_and_alerts_on_the_stop_logging_after_it() {
    let Some(handler) = beside_bench("examples/handler_over_file") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // What the handler finds in the StopLogging alone (the default rules; a count, not a list, is what the
    // example prints).
    let control = dir.path().join("control.json.gz");
    std::fs::write(
        &control,
        gzip(format!(r#"{{"Records":[{}]}}"#, stop_logging()).as_bytes()),
    )
    .unwrap();
    let out = Command::new(&handler).arg(&control).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alone = example_summary(&String::from_utf8(out.stdout).unwrap());
    let stop_findings = alone["summary"]["findings"].as_u64().unwrap();
    assert!(stop_findings >= 2, "{alone}");

    let log = dir.path().join("hostile.json.gz");
    write_hostile_log(&log, HUGE_BYTES);
    let Some((report, code, stdout)) = exec_at_128(&[&handler], &[log.to_str().unwrap()]) else {
        return;
    };
    assert_eq!(report.exec.code, Some(0), "{report:?}\n{stdout}");
    assert_eq!(code, Some(0), "{report:?}");
    let got = example_summary(&stdout);
    let summary = &got["summary"];
    assert_eq!(summary["records"], 2, "{got}");
    // The StopLogging's findings plus the huge record's unevaluated-record finding, all published.
    assert_eq!(
        summary["findings"].as_u64(),
        Some(stop_findings + 1),
        "{got}"
    );
    assert_eq!(summary["failed_objects"], 0, "{got}");
    assert_eq!(
        summary["published"].as_u64(),
        Some(alone["summary"]["published"].as_u64().unwrap() + 1),
        "{got}"
    );
    assert!(
        summary["bytes"].as_u64().unwrap() > HUGE_BYTES as u64,
        "{got}"
    );
}

/// The generator writes what the tests above claim: one record of `huge` string bytes, then the StopLogging
/// (checked with the reader itself, on a smaller file, everywhere: no control group needed).
#[test]
fn the_hostile_file_is_one_huge_record_then_a_stop_logging() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("small.json.gz");
    let huge = 3 * (1 << 20) + 5;
    write_hostile_log(&log, huge);
    assert!(std::fs::metadata(&log).unwrap().len() < 64 * 1024);
    let file = std::fs::File::open(&log).unwrap();
    let options = cloudtrail::ReaderOptions {
        max_record_bytes: Some(8 << 20),
        ..cloudtrail::ReaderOptions::default()
    };
    let mut reader = cloudtrail::LogReader::new(file, options).unwrap();
    let mut dom = cloudtrail::Dom::new();
    let first = reader.next_parsed(&mut dom).unwrap().unwrap();
    let root = first.parsed.unwrap();
    let key = root.get("requestParameters").and_then(|p| p.get("key"));
    assert_eq!(key.and_then(|k| k.as_str()).map(str::len), Some(huge));
    let second = reader.next_parsed(&mut dom).unwrap().unwrap();
    let root = second.parsed.unwrap();
    assert_eq!(root.get("eventID").and_then(|v| v.as_str()), Some(STOP_ID));
    assert!(reader.next_parsed(&mut dom).unwrap().is_none());
}
