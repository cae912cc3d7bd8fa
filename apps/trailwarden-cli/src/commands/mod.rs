//! One module per subcommand; [`run`] dispatches to them.

mod event;
mod hunt;
mod rules;
mod scan;

use crate::cli::{Command, EventCommand};
use std::process::ExitCode;

/// Exit status for failures: a file that could not be read, a missing path, an S3 prefix that cannot be
/// listed, an invalid config file or pattern, an invalid command line (the status clap itself uses for usage
/// errors).
pub const EXIT_ERROR: u8 = 2;

/// Exit status of `scan --fail-on-findings` when there are findings.
pub const EXIT_FINDINGS: u8 = 1;

/// Runs a subcommand. `Err` is a fatal error that stopped the command (printed by `main`, exit status
/// [`EXIT_ERROR`]); problems the command reports and works around are reflected in the returned status.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Scan(args) => scan::run(args),
        Command::Hunt(args) => hunt::run(args.query),
        Command::Rules(args) => rules::run(args.command),
        Command::Event(args) => match args.command {
            EventCommand::S3(args) => event::s3(args),
        },
    }
}
