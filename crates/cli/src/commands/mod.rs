//! One module per subcommand; [`run`] dispatches to them.

mod rules;
mod scan;

use crate::cli::Command;
use std::process::ExitCode;

/// Exit status for failures: a file that could not be read, a missing path, an invalid config file or
/// pattern, an invalid command line (the status clap itself uses for usage errors).
pub const EXIT_ERROR: u8 = 2;

/// Runs a subcommand. `Err` is a fatal error that stopped the command (printed by `main`, exit status
/// [`EXIT_ERROR`]); problems the command reports and works around are reflected in the returned status.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Scan(args) => scan::run(args),
        Command::Rules(args) => rules::run(args.command),
    }
}
