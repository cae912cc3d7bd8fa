//! One module per subcommand (and [`inputs`], the inputs of those that read logs); [`run`] dispatches to
//! them.

#[cfg(feature = "athena")]
mod athena;
#[cfg(not(feature = "athena"))]
#[path = "athena_disabled.rs"]
mod athena;
mod event;
mod hunt;
mod inputs;
mod rules;
mod scan;

use crate::cli::{Command, EngineKind, EventCommand};
use std::process::ExitCode;

/// Runs a subcommand. `Err` is a fatal error that stopped the command (printed by `main`, exit status
/// [`crate::exit::ERROR`]); problems the command reports and works around are reflected in the returned
/// status.
pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Scan(args) if args.athena.engine() == EngineKind::Athena => athena::scan(args),
        Command::Scan(args) => scan::run(args),
        Command::Hunt(args) if args.query.common.athena.engine() == EngineKind::Athena => {
            athena::hunt(args.query)
        }
        Command::Hunt(args) => hunt::run(args.query),
        Command::Rules(args) => rules::run(args.command),
        Command::Event(args) => match args.command {
            EventCommand::S3(args) => event::s3(args),
        },
    }
}
