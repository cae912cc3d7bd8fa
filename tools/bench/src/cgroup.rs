//! A command run under the limits of a Lambda memory setting, enforced by Linux control groups.
//!
//! Lambda gives a function the memory it is configured with and CPU in proportion to it: "At 1,769 MB, a
//! function has the equivalent of one vCPU (one vCPU-second of credits per second)" (AWS Lambda Developer
//! Guide, "Configure Lambda function memory"). So the 128 MB setting is a hard 128 MiB memory limit and
//! 128/1769 ≈ 7.2 % of one CPU. A child control group with `memory` and `cpu` (CFS quota) limits reproduces
//! both on this machine: the command really runs that slowly, and is OOM-killed if it needs more memory.
//! This is still not Lambda (another CPU, no Firecracker), but the wall time and the memory verdict are
//! measured, not computed from an unthrottled run.
//!
//! The group is created below this process's own group, in cgroup v2 where the unified hierarchy has the
//! `cpu` and `memory` controllers, else in the v1 `cpu` and `memory` hierarchies. Creating one needs write
//! access to the cgroup filesystem (root, in practice); where that fails, [`LimitedGroup::create`] says why
//! and the caller prints a SKIP. The group is removed when dropped, after the command has exited.

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Memory setting (MB) that Lambda gives one full vCPU.
pub const MB_PER_VCPU: u64 = 1769;
/// CFS period of the group (the kernel's default), microseconds.
pub const CPU_PERIOD_US: u64 = 100_000;

/// CPU time the group may use per [`CPU_PERIOD_US`], microseconds, at a Lambda memory setting.
pub fn cpu_quota_us(memory_mb: u64) -> u64 {
    // Rounded to the nearest microsecond; the kernel's minimum quota is 1 ms.
    ((memory_mb * CPU_PERIOD_US + MB_PER_VCPU / 2) / MB_PER_VCPU).max(1_000)
}

/// Where the cgroup hierarchies are, read from `/proc/self/mountinfo` and `/proc/self/cgroup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hierarchy {
    /// The unified hierarchy: this process's group.
    V2(PathBuf),
    /// Separate `cpu` and `memory` hierarchies: this process's group in each.
    V1 { cpu: PathBuf, memory: PathBuf },
}

/// `(mount point, fstype, super options)` of each cgroup mount in a mountinfo text.
fn cgroup_mounts(mountinfo: &str) -> impl Iterator<Item = (&str, &str, &str)> {
    mountinfo.lines().filter_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        let mount_point = left.split(' ').nth(4)?;
        let mut right = right.split(' ');
        let fstype = right.next()?;
        let super_opts = right.nth(1).unwrap_or("");
        fstype
            .starts_with("cgroup")
            .then_some((mount_point, fstype, super_opts))
    })
}

/// This process's path in the v1 hierarchy of `controller`, or in v2 (`controller` `None`), from a
/// `/proc/self/cgroup` text (`id:controllers:path` lines; v2 is `0::path`).
fn own_path<'a>(proc_cgroup: &'a str, controller: Option<&str>) -> Option<&'a str> {
    proc_cgroup.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let (_id, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
        let hit = match controller {
            None => controllers.is_empty(),
            Some(c) => controllers.split(',').any(|x| x == c),
        };
        hit.then_some(path)
    })
}

fn join(mount_point: &str, path: &str) -> PathBuf {
    Path::new(mount_point).join(path.trim_start_matches('/'))
}

impl Hierarchy {
    /// The v2 group if `v2_controllers` (the text of its `cgroup.controllers`, read by the caller) lists
    /// `cpu` and `memory`; else the v1 groups of both controllers; else why neither is usable.
    pub fn find(
        mountinfo: &str,
        proc_cgroup: &str,
        v2_controllers: impl Fn(&Path) -> Option<String>,
    ) -> Result<Hierarchy, String> {
        let mounts: Vec<_> = cgroup_mounts(mountinfo).collect();
        let v2 = mounts
            .iter()
            .find(|(_, fstype, _)| *fstype == "cgroup2")
            .zip(own_path(proc_cgroup, None))
            .map(|((mount, _, _), path)| join(mount, path));
        if let Some(dir) = &v2 {
            let controllers = v2_controllers(dir).unwrap_or_default();
            let has = |c: &str| controllers.split_whitespace().any(|x| x == c);
            if has("cpu") && has("memory") {
                return Ok(Hierarchy::V2(dir.clone()));
            }
        }
        let v1 = |controller: &str| {
            let (mount, _, _) = mounts.iter().find(|(_, fstype, opts)| {
                *fstype == "cgroup" && opts.split(',').any(|o| o == controller)
            })?;
            Some(join(mount, own_path(proc_cgroup, Some(controller))?))
        };
        match (v1("cpu"), v1("memory")) {
            (Some(cpu), Some(memory)) => Ok(Hierarchy::V1 { cpu, memory }),
            _ if v2.is_some() => {
                Err("the unified cgroup hierarchy has no cpu and memory controllers here, and there is \
                     no v1 cpu and memory hierarchy"
                    .into())
            }
            _ => Err("no cgroup filesystem with the cpu and memory controllers is mounted".into()),
        }
    }

    /// From this process's `/proc/self/mountinfo` and `/proc/self/cgroup`.
    pub fn of_this_process() -> Result<Hierarchy, String> {
        let read = |p: &str| std::fs::read_to_string(p).map_err(|e| format!("reading {p}: {e}"));
        Hierarchy::find(
            &read("/proc/self/mountinfo")?,
            &read("/proc/self/cgroup")?,
            |dir| std::fs::read_to_string(dir.join("cgroup.controllers")).ok(),
        )
    }
}

/// A child control group with a memory limit and a CPU quota; removed on drop.
#[derive(Debug)]
pub struct LimitedGroup {
    hierarchy: Hierarchy,
    memory_mb: u64,
}

fn write(path: &Path, value: &str) -> Result<(), String> {
    std::fs::write(path, value).map_err(|e| format!("writing {value:?} to {}: {e}", path.display()))
}

/// The value of `key` in a flat-keyed cgroup file (`key value` lines: `cpu.stat`, `memory.events`, ...).
pub fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok())?
    })
}

impl LimitedGroup {
    /// Creates `name` under this process's group(s): memory limit `memory_mb` MiB (no swap), CPU quota
    /// [`cpu_quota_us`]`(memory_mb)` per [`CPU_PERIOD_US`]. The error says why that is not possible here.
    pub fn create(name: &str, memory_mb: u64) -> Result<LimitedGroup, String> {
        let own = Hierarchy::of_this_process()?;
        let hierarchy = match &own {
            Hierarchy::V2(dir) => Hierarchy::V2(dir.join(name)),
            Hierarchy::V1 { cpu, memory } => Hierarchy::V1 {
                cpu: cpu.join(name),
                memory: memory.join(name),
            },
        };
        let group = LimitedGroup {
            hierarchy,
            memory_mb,
        };
        let bytes = (memory_mb << 20).to_string();
        let quota = cpu_quota_us(memory_mb);
        // On any failure from here on, dropping `group` removes the directories made so far.
        let dirs = group.dirs();
        for dir in &dirs {
            std::fs::create_dir(dir)
                .map_err(|e| format!("creating the control group {}: {e}", dir.display()))?;
        }
        match &group.hierarchy {
            Hierarchy::V2(dir) => {
                write(&dir.join("memory.max"), &bytes)?;
                // Swap would let the command exceed the limit instead of being killed, as Lambda would.
                let _ = std::fs::write(dir.join("memory.swap.max"), "0");
                write(&dir.join("cpu.max"), &format!("{quota} {CPU_PERIOD_US}"))?;
            }
            Hierarchy::V1 { cpu, memory } => {
                write(&memory.join("memory.limit_in_bytes"), &bytes)?;
                if memory.join("memory.memsw.limit_in_bytes").exists() {
                    write(&memory.join("memory.memsw.limit_in_bytes"), &bytes)?;
                }
                write(&cpu.join("cpu.cfs_period_us"), &CPU_PERIOD_US.to_string())?;
                write(&cpu.join("cpu.cfs_quota_us"), &quota.to_string())?;
            }
        }
        Ok(group)
    }

    fn dirs(&self) -> Vec<PathBuf> {
        match &self.hierarchy {
            Hierarchy::V2(dir) => vec![dir.clone()],
            Hierarchy::V1 { cpu, memory } => vec![cpu.clone(), memory.clone()],
        }
    }

    /// The files a process writes its PID to in order to join the group.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs()
            .into_iter()
            .map(|d| d.join("cgroup.procs"))
            .collect()
    }

    /// The group's directory in the hierarchy with the `cpu` controller.
    fn cpu_dir(&self) -> &Path {
        match &self.hierarchy {
            Hierarchy::V2(dir) | Hierarchy::V1 { cpu: dir, .. } => dir,
        }
    }

    /// The group's directory in the hierarchy with the `memory` controller.
    fn memory_dir(&self) -> &Path {
        match &self.hierarchy {
            Hierarchy::V2(dir) | Hierarchy::V1 { memory: dir, .. } => dir,
        }
    }

    /// What the kernel recorded for the group so far.
    pub fn stats(&self) -> GroupStats {
        let v2 = matches!(self.hierarchy, Hierarchy::V2(_));
        // The same counters under each version's names: peak memory, the file with an `oom_kill` count, and
        // the throttled time in `cpu.stat` with its unit per second.
        let (peak_file, oom_file, throttled_key, throttled_per_s) = if v2 {
            ("memory.peak", "memory.events", "throttled_usec", 1e6)
        } else {
            (
                "memory.max_usage_in_bytes",
                "memory.oom_control",
                "throttled_time",
                1e9,
            )
        };
        let read =
            |dir: &Path, file: &str| std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        let cpu_stat = read(self.cpu_dir(), "cpu.stat");
        GroupStats {
            cgroup: if v2 { "v2" } else { "v1" }.to_string(),
            memory_limit_mib: self.memory_mb,
            cpu_quota_us: cpu_quota_us(self.memory_mb),
            cpu_period_us: CPU_PERIOD_US,
            peak_charged_bytes: read(self.memory_dir(), peak_file).trim().parse().ok(),
            oom_kills: keyed(&read(self.memory_dir(), oom_file), "oom_kill"),
            throttled_periods: keyed(&cpu_stat, "nr_throttled"),
            throttled_s: keyed(&cpu_stat, throttled_key).map(|t| t as f64 / throttled_per_s),
        }
    }
}

impl Drop for LimitedGroup {
    fn drop(&mut self) {
        for dir in self.dirs() {
            // Only an empty group can be removed: its command has exited by now.
            let _ = std::fs::remove_dir(&dir);
        }
    }
}

/// The group's limits and what the kernel counted while the command ran.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GroupStats {
    /// `v1` or `v2`.
    pub cgroup: String,
    pub memory_limit_mib: u64,
    pub cpu_quota_us: u64,
    pub cpu_period_us: u64,
    /// Peak memory charged to the group (anonymous memory plus page cache it brought in), bytes.
    pub peak_charged_bytes: Option<u64>,
    /// Processes the kernel killed for exceeding the memory limit.
    pub oom_kills: Option<u64>,
    /// CFS periods in which the quota ran out.
    pub throttled_periods: Option<u64>,
    pub throttled_s: Option<f64>,
}

/// What `exec --lambda-memory-mb` reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LimitedReport {
    #[serde(flatten)]
    pub exec: crate::run::ExecReport,
    /// Signal that ended the command (9 after an OOM kill).
    pub signal: Option<i32>,
    pub limits: GroupStats,
}

/// Runs `cmd` in a new [`LimitedGroup`] for `memory_mb`, waits, and returns the report. `Ok(Err(reason))`
/// when no group can be made here (the command is then not run).
pub fn exec_limited(
    memory_mb: u64,
    cmd: &[String],
) -> anyhow::Result<Result<LimitedReport, String>> {
    use std::os::unix::process::ExitStatusExt as _;
    let name = format!("trailwarden-bench-{}", std::process::id());
    let group = match LimitedGroup::create(&name, memory_mb) {
        Ok(g) => g,
        Err(reason) => return Ok(Err(reason)),
    };
    // The child joins the group itself before it starts the command (`cgroup-enter`), so that every byte and
    // CPU cycle of the command is counted and limited from its first instruction.
    let exe = std::env::current_exe()?;
    let mut enter = Command::new(exe);
    enter.arg("cgroup-enter");
    for f in group.procs_files() {
        enter.arg("--procs").arg(f);
    }
    let (exec, status) = crate::run::measured(enter.arg("--").args(cmd))?;
    Ok(Ok(LimitedReport {
        exec,
        signal: status.signal(),
        limits: group.stats(),
    }))
}

/// `cgroup-enter`: writes this process's PID to each of `procs`, then replaces itself with `cmd`.
pub fn enter_and_exec(procs: &[PathBuf], cmd: &[String]) -> anyhow::Result<()> {
    let (prog, args) = cmd.split_first().context("cgroup-enter: no command")?;
    let pid = std::process::id().to_string();
    for p in procs {
        std::fs::write(p, &pid).with_context(|| format!("joining {}", p.display()))?;
    }
    let err = Command::new(prog).args(args).exec();
    bail!("starting {prog}: {err}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From a Firecracker guest with cgroup v1 controllers and an empty unified hierarchy.
    const MOUNTINFO_V1: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
    const CGROUP_V1: &str = "\
9:name=systemd:/
4:memory:/process_api/3d98
2:cpuacct:/
1:cpu:/
0::/
";

    #[test]
    fn v1_groups_when_the_unified_hierarchy_has_no_controllers() {
        let h = Hierarchy::find(MOUNTINFO_V1, CGROUP_V1, |_| Some(String::new())).unwrap();
        assert_eq!(
            h,
            Hierarchy::V1 {
                cpu: "/sys/fs/cgroup/cpu/".into(),
                memory: "/sys/fs/cgroup/memory/process_api/3d98".into(),
            }
        );
    }

    #[test]
    fn v2_group_when_it_has_cpu_and_memory() {
        let mountinfo = "29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
        let cgroup = "0::/user.slice/session-1.scope\n";
        let seen = std::cell::RefCell::new(Vec::new());
        let h = Hierarchy::find(mountinfo, cgroup, |dir| {
            seen.borrow_mut().push(dir.to_path_buf());
            Some("cpuset cpu io memory pids\n".into())
        })
        .unwrap();
        let dir = PathBuf::from("/sys/fs/cgroup/user.slice/session-1.scope");
        assert_eq!(h, Hierarchy::V2(dir.clone()));
        assert_eq!(seen.into_inner(), vec![dir]);
        // Without the memory controller there, and no v1 hierarchy: a reason, not a group.
        let err = Hierarchy::find(mountinfo, cgroup, |_| Some("cpu io".into())).unwrap_err();
        assert!(err.contains("no cpu and memory controllers"), "{err}");
    }

    #[test]
    fn combined_v1_controllers_and_no_cgroup_at_all() {
        let mountinfo =
            "25 20 0:22 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n\
             26 20 0:23 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n";
        let cgroup = "3:cpu,cpuacct:/docker/abc\n2:memory:/docker/abc\n";
        assert_eq!(
            Hierarchy::find(mountinfo, cgroup, |_| None).unwrap(),
            Hierarchy::V1 {
                cpu: "/sys/fs/cgroup/cpu,cpuacct/docker/abc".into(),
                memory: "/sys/fs/cgroup/memory/docker/abc".into(),
            }
        );
        let none = "22 1 0:20 / /proc rw - proc proc rw\n";
        let err = Hierarchy::find(none, "0::/\n", |_| None).unwrap_err();
        assert!(err.contains("no cgroup filesystem"), "{err}");
    }

    #[test]
    fn quota_is_proportional_to_memory() {
        assert_eq!(cpu_quota_us(1769), CPU_PERIOD_US);
        assert_eq!(cpu_quota_us(128), 7236);
        assert_eq!(cpu_quota_us(3538), 2 * CPU_PERIOD_US);
        // Never below the kernel's 1 ms minimum.
        assert_eq!(cpu_quota_us(1), 1_000);
    }

    #[test]
    fn keyed_files() {
        let v1 = "nr_periods 140\nnr_throttled 139\nthrottled_time 12690000000\n";
        assert_eq!(keyed(v1, "nr_throttled"), Some(139));
        assert_eq!(keyed(v1, "throttled_time"), Some(12_690_000_000));
        assert_eq!(keyed(v1, "nr_periods"), Some(140));
        assert_eq!(keyed(v1, "missing"), None);
        let oom = "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n";
        assert_eq!(keyed(oom, "oom_kill"), Some(1));
    }
}
