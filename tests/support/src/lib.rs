//! What trailwarden's tests share: the repository's paths, the one rule for a missing test input (SKIP on a
//! laptop, a failure under `CI=true`), and, behind the `moto` feature, a real local AWS endpoint.
//!
//! Without features this crate is pure std, so the pure crates' tests (also run for aarch64 under qemu) can
//! use it without compiling the AWS SDK.

pub mod hostile;
pub mod module_graph;
#[cfg(feature = "moto")]
mod moto;
mod paths;
#[cfg(feature = "moto")]
pub use moto::{
    drain_queue, moto_server_exe, queue, s3_put_event, sdk_config, subscribed_queue, MotoServer,
};
pub use paths::{
    corpus_dir, corpus_files, in_ci, repo_root, require, shared_dir, skip, sql_python,
};
