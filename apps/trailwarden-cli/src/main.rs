//! `trailwarden`: runs trailwarden's detection rules over CloudTrail log files on disk, the same rules and
//! pipeline as the alerting Lambda.
//!
//! `main` only parses the command line and turns the outcome into an exit status; each subcommand lives in
//! [`commands`], and the parts subcommands share (finding inputs on disk and in S3, reading them in
//! parallel, the time window, choosing the rules from the config file and profile, printing findings, the
//! run summary, the hunting queries) are modules of their own.

mod cli;
mod commands;
mod hunts;
mod inputs;
mod output;
mod pipeline;
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

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(commands::EXIT_ERROR)
        }
    }
}
