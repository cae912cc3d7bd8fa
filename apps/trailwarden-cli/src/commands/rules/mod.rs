//! `trailwarden rules …`: list the rules, show one, try a filter pattern on log files, explain a record, print
//! the attack coverage map.

mod coverage;
mod eventbridge_pattern;
mod explain;
mod list;
mod show;
pub(super) mod sql;
mod test;

use crate::cli::RulesCommand;
use std::process::ExitCode;

pub fn run(command: RulesCommand) -> anyhow::Result<ExitCode> {
    match command {
        RulesCommand::List(args) => list::run(args),
        RulesCommand::Show(args) => show::run(args),
        RulesCommand::Test(args) => test::run(args),
        RulesCommand::Explain(args) => explain::run(args),
        RulesCommand::Coverage(args) => coverage::run(args),
        RulesCommand::EventbridgePattern(args) => eventbridge_pattern::run(args),
        RulesCommand::Sql(args) => sql::run(args),
    }
}
