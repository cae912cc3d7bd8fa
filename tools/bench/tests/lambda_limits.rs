//! `trailwarden-bench exec --lambda-memory-mb`: the limits are enforced by the kernel, not assumed. Needs a
//! writable cgroup filesystem (root); elsewhere the binary reports `skipped` and these tests say SKIP (and fail under `CI=true`).

use bench::cgroup::{Hierarchy, LimitedReport};
use std::process::Command;
use std::sync::Mutex;

/// One group at a time, so that [`no_group_left`] sees only this test's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs `cmd` under `exec --lambda-memory-mb mb`; `None` (after printing SKIP) where no group can be made.
fn exec_limited(mb: u64, cmd: &[&str]) -> Option<(LimitedReport, Option<i32>)> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let status = Command::new(env!("CARGO_BIN_EXE_trailwarden-bench"))
        .args(["exec", "--lambda-memory-mb", &mb.to_string(), "--out"])
        .arg(&out)
        .arg("--")
        .args(cmd)
        .status()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    if let Some(reason) = json.get("skipped") {
        assert_eq!(status.code(), Some(0));
        test_support::skip(&format!("no control group here: {reason}"));
        return None;
    }
    no_group_left();
    Some((serde_json::from_value(json).unwrap(), status.code()))
}

/// No `trailwarden-bench-*` group is left below this process's group (the binary removes its group on exit).
fn no_group_left() {
    let dirs = match Hierarchy::of_this_process().unwrap() {
        Hierarchy::V2(d) => vec![d],
        Hierarchy::V1 { cpu, memory } => vec![cpu, memory],
    };
    for dir in dirs {
        let left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("trailwarden-bench-")
            })
            .map(|e| e.path())
            .collect();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

#[test]
fn over_the_memory_limit_the_command_is_killed() {
    // Lambda's smallest setting: a 128 MiB limit (and 7.2 % of a CPU); Python filling 200 MiB cannot finish.
    let script = "x = bytearray(200 << 20); x[::4096] = b'a' * len(x[::4096]); print('survived')";
    let Some((report, code)) = exec_limited(128, &["python3", "-c", script]) else {
        return;
    };
    assert_eq!(code, Some(1), "{report:?}");
    assert_eq!(report.exec.code, None, "{report:?}");
    assert_eq!(report.signal, Some(9), "{report:?}");
    assert_eq!(report.limits.oom_kills, Some(1), "{report:?}");
    assert_eq!(report.limits.memory_limit_mib, 128);
    assert_eq!(report.limits.cpu_quota_us, 7236);
    assert!(
        report.limits.peak_charged_bytes.unwrap() <= 128 << 20,
        "{report:?}"
    );
}

#[test]
fn within_the_limits_the_exit_code_and_usage_come_back() {
    let Some((report, code)) = exec_limited(1769, &["sh", "-c", "exit 3"]) else {
        return;
    };
    assert_eq!(code, Some(1));
    assert_eq!(report.exec.code, Some(3));
    assert_eq!(report.signal, None);
    assert_eq!(report.limits.oom_kills, Some(0));
    assert_eq!(report.limits.cpu_quota_us, 100_000);
    assert!(report.exec.usage.max_rss_kib > 0);
    // The command ran inside the group: its memory was charged there.
    assert!(report.limits.peak_charged_bytes.unwrap() > 0, "{report:?}");
}
