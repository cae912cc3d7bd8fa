//! `trailwarden rules …`: list the rules, show one, try a filter pattern on log files, explain a record.

mod explain;
mod list;
mod show;
mod test;

use crate::cli::RulesCommand;
use std::process::ExitCode;

pub fn run(command: RulesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::List(args) => list::run(args),
        RulesCommand::Show(args) => show::run(args),
        RulesCommand::Test(args) => test::run(args),
        RulesCommand::Explain(args) => explain::run(args),
    }
}
