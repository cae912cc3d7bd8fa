//! `trailwarden`: runs trailwarden's detection rules over CloudTrail log files on disk, the same rules and
//! pipeline as the alerting Lambda.
//!
//! `main` only parses the command line and turns the outcome into an exit status; each subcommand lives in
//! [`commands`], and the parts subcommands share (finding input paths, choosing the rules from the config
//! file and profile, printing findings, the run summary) are modules of their own.

mod cli;
mod commands;
mod inputs;
mod output;
mod ruleset;
mod summary;

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
