//! trailwarden's benchmarks (`make bench`): a seeded generator of realistic CloudTrail log files, and the
//! measurements of the streaming pipeline, the `trailwarden scan` CLI and a Python baseline over them.
//!
//! Timings are CPU seconds (user + system, from `getrusage`), so the figures are per core and mostly
//! independent of other load on the machine; peak memory is the kernel's high-water mark of resident
//! memory (`ru_maxrss` / `VmHWM`) of a fresh process per measurement.

pub mod cgroup;
pub mod fast_path;
pub mod gen;
pub mod init;
pub mod json;
pub mod measure;
pub mod noise;
pub mod rng;
pub mod rulegen;
pub mod run;
pub mod usage;
