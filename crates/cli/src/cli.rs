//! The command-line interface: every subcommand and option, as clap derive types.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

/// Real-time AWS CloudTrail alerting, run locally: scan CloudTrail log files with trailwarden's rules.
#[derive(Debug, Parser)]
#[command(name = "trailwarden", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan CloudTrail log files and directories and print the findings.
    Scan(ScanArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Findings go to stdout; warnings, errors and the summary go to stderr.

Exit status: 0 when every file was read (with or without findings); 2 when a file could not be read, a path \
does not exist, or the command line is invalid. Unreadable files are reported and the other files are still \
scanned.")]
pub struct ScanArgs {
    /// Log files (.json.gz or .json) and directories (searched recursively, e.g. an AWSLogs/ tree).
    ///
    /// In directories, files ending in .json.gz or .json are scanned, except CloudTrail-Digest and
    /// CloudTrail-Insight files; other files are skipped and counted. Files named explicitly are always
    /// scanned.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format [default: table when stdout is a terminal, jsonl otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Evaluate only these rules (comma-separated rule ids) [default: every built-in rule].
    #[arg(long, value_name = "ID[,ID...]", value_delimiter = ',')]
    pub rules: Vec<String>,
}

/// How findings are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per finding and line: every finding field plus `file`.
    Jsonl,
    /// A table for reading in a terminal.
    Table,
}

impl Format {
    /// The format to use when none was asked for: a table for a person at a terminal, JSON Lines for
    /// pipes and files (so `trailwarden scan … | jq` works without a flag).
    pub fn for_stdout() -> Format {
        if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Jsonl
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn rules_accepts_commas_and_repeats() {
        let cli = Cli::try_parse_from([
            "trailwarden",
            "scan",
            "--rules",
            "a,b",
            "--rules",
            "c",
            "x.json.gz",
        ])
        .unwrap();
        let Command::Scan(args) = cli.command;
        assert_eq!(args.rules, ["a", "b", "c"]);
        assert_eq!(args.paths, [PathBuf::from("x.json.gz")]);
        assert_eq!(args.format, None);
    }

    #[test]
    fn scan_needs_a_path() {
        assert!(Cli::try_parse_from(["trailwarden", "scan"]).is_err());
    }
}
