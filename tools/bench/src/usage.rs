//! CPU time and peak memory, from the kernel, without `unsafe` code: `getrusage` through `nix`, and
//! `/proc/self/status` for the resident-set high-water mark.

use nix::sys::resource::{getrusage, UsageWho};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// CPU time and peak resident memory of a process (or of its waited-for children).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// User CPU seconds.
    pub user_s: f64,
    /// System CPU seconds.
    pub sys_s: f64,
    /// Peak resident set size, KiB (`ru_maxrss`).
    pub max_rss_kib: u64,
}

impl Usage {
    /// User + system CPU seconds.
    pub fn cpu_s(&self) -> f64 {
        self.user_s + self.sys_s
    }
}

fn read(who: UsageWho) -> Usage {
    match getrusage(who) {
        Ok(u) => {
            let secs = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
            Usage {
                user_s: secs(u.user_time()),
                sys_s: secs(u.system_time()),
                max_rss_kib: u64::try_from(u.max_rss()).unwrap_or(0),
            }
        }
        Err(_) => Usage::default(),
    }
}

/// This process so far.
pub fn self_usage() -> Usage {
    read(UsageWho::RUSAGE_SELF)
}

/// This process's terminated, waited-for children (CPU summed; `max_rss_kib` of the largest one).
pub fn children_usage() -> Usage {
    read(UsageWho::RUSAGE_CHILDREN)
}

/// A `/proc/self/status` field in KiB (e.g. `VmHWM`, the peak resident set; `VmRSS`, the current one).
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// CPU seconds spent by this process while running `f`, with its result.
pub fn cpu_time<T>(f: impl FnOnce() -> T) -> (T, f64, Duration) {
    let before = self_usage();
    let wall = std::time::Instant::now();
    let out = f();
    let wall = wall.elapsed();
    let after = self_usage();
    (out, after.cpu_s() - before.cpu_s(), wall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_own_usage_and_status() {
        let u = self_usage();
        assert!(u.max_rss_kib > 0);
        let hwm = proc_status_kib("VmHWM").unwrap();
        assert!(hwm > 0);
        let ((), cpu, _) = cpu_time(|| {
            let mut x = 0u64;
            for i in 0..2_000_000u64 {
                x = std::hint::black_box(x.wrapping_add(i * i));
            }
        });
        assert!(cpu >= 0.0);
    }
}
