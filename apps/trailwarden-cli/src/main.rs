//! `trailwarden`: runs trailwarden's detection rules over CloudTrail log files on disk and in S3, the same
//! rules and per-file scan as the alerting Lambda.
//!
//! `main` only parses the command line and turns the outcome into an exit status; each subcommand lives in
//! [`commands`], and the parts subcommands share are modules of their own.
//!
//! # Module graph
//!
//! Modules depend on one another without cycles (the workspace's module-graph test,
//! `tests/support/tests/module_graph.rs`, checks it: every `crate::`, `super::` and `self::` path, and every
//! module on its parent, as an edge). From the leaves up:
//!
//! ```text
//! location  window  exit  ruleset  hunt            leaves: the vocabulary of inputs, the time window, exit
//!                                                  statuses, the rules config, the hunt trait
//! local, s3 (s3_disabled.rs)   -> location, window      inputs: the directory walk, S3 listing and objects
//! source                       -> local, s3, location, window   PATH arguments to one stream; open a file
//! parallel_read                -> location              files read in parallel, in input order; progress
//! records                      -> parallel_read, source, s3, location, window   one file record by record
//! output                       -> location              output formats and the writers of findings
//! summary                      -> location              the counters of a scan
//! hunts, hunts::<name>         -> hunt                  one file per hunt and their registry
//! athena                                                Athena queries: start, poll, page (feature athena)
//! cli                          -> location, window, output, hunt, hunts    the argument parser
//! commands, commands::<name>   -> everything above      one module per subcommand (commands::athena: the
//!                                                       --engine athena of scan and hunt)
//! ```

#[cfg(feature = "athena")]
mod athena;
mod cli;
mod commands;
mod exit;
mod hunt;
mod hunts;
mod local;
mod location;
mod output;
mod parallel_read;
mod records;
mod ruleset;
#[cfg(feature = "s3")]
mod s3;
#[cfg(not(feature = "s3"))]
#[path = "s3_disabled.rs"]
mod s3;
mod source;
mod summary;
mod window;

use clap::Parser;
use std::process::ExitCode;

#[allow(
    clippy::print_stderr,
    reason = "a fatal error is reported on stderr before exiting"
)]
fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
