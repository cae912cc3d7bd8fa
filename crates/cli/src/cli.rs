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
    /// List, explain and try out detection rules and filter patterns.
    Rules(RulesArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Findings go to stdout; warnings, errors and the summary go to stderr. Findings suppressed by an exclusion of \
the config file are not printed; the summary counts them under the exclusion's id.

Exit status: 0 when every file was read (with or without findings); 2 when a file could not be read, a path \
does not exist, the config file is invalid, or the command line is invalid. Unreadable files are reported and \
the other files are still scanned.")]
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

    #[command(flatten)]
    pub selection: Selection,

    /// Evaluate only these rules (comma-separated rule ids), out of those the profile and config select.
    #[arg(long, value_name = "ID[,ID...]", value_delimiter = ',')]
    pub rules: Vec<String>,
}

/// The options that choose the rules: a config file and a profile.
#[derive(Debug, Clone, Args)]
pub struct Selection {
    /// Rules config file (TOML): profile, enable/disable, trusted accounts, watched keys, allowed regions,
    /// exclusions and custom rules (the same file the Lambda loads).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Built-in rule set [default: the config file's profile, else recommended].
    ///
    /// cis: every CIS monitoring control; recommended: CIS without the base 4.2 pattern, plus the beyond-CIS
    /// detections; all: every built-in rule. Overrides the config file's `profile`; its enable/disable lists
    /// and custom rules still apply.
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub profile: Option<ProfileArg>,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List rules: id, severity, benchmark controls and title, in catalog order.
    List(ListArgs),
    /// Everything about one rule: pattern, why it matters, what to check next, exclusions.
    Show(ShowArgs),
    /// Try a CloudWatch Logs JSON filter pattern on log files and print the records it matches.
    Test(TestArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Custom rules of the config file are listed after the built-in rules. The markdown output is stable (catalog \
order, no trailing spaces) so it can be embedded in documentation.")]
pub struct ListArgs {
    /// Rules config file (TOML): its custom rules are listed, and its enable/disable lists apply.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// List only the built-in rules of this profile [default: all, every built-in rule; the config file's
    /// profile is not used].
    #[arg(long, value_enum, value_name = "PROFILE")]
    pub profile: Option<ProfileArg>,

    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The rule id (see `trailwarden rules list`).
    #[arg(value_name = "ID")]
    pub id: String,

    /// Rules config file (TOML): for its custom rules, and to show the exclusions that apply to the rule.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Paste an existing CloudWatch metric-filter pattern to see which records it matches, e.g.
  trailwarden rules test '{ $.errorCode = \"AccessDenied*\" }' AWSLogs/

Matching records go to stdout (file, index in the Records array, event id, name and time); the count, \
warnings and errors go to stderr.

Exit status: 0 when every file was read (with or without matches); 2 when the pattern does not parse, a file \
could not be read, or a path does not exist.")]
pub struct TestArgs {
    /// The filter pattern, e.g. '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'.
    #[arg(value_name = "PATTERN")]
    pub pattern: String,

    /// Log files (.json.gz or .json) and directories, read as `scan` reads them.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format [default: table when stdout is a terminal, jsonl otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Print every record, matching or not, with `matched` and the outcome of each term of the pattern.
    #[arg(long)]
    pub explain: bool,
}

/// How findings (and matching records) are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line.
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

/// How `rules list` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for reading in a terminal.
    Table,
    /// One JSON array of rule objects.
    Json,
    /// A Markdown table: | id | severity | controls | title |.
    Markdown,
}

impl std::fmt::Display for ListFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ListFormat::Table => "table",
            ListFormat::Json => "json",
            ListFormat::Markdown => "markdown",
        })
    }
}

/// A built-in rule set, as `--profile` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    Cis,
    Recommended,
    All,
}

impl From<ProfileArg> for rules::Profile {
    fn from(p: ProfileArg) -> rules::Profile {
        match p {
            ProfileArg::Cis => rules::Profile::Cis,
            ProfileArg::Recommended => rules::Profile::Recommended,
            ProfileArg::All => rules::Profile::All,
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
        let Command::Scan(args) = cli.command else {
            panic!("not scan")
        };
        assert_eq!(args.rules, ["a", "b", "c"]);
        assert_eq!(args.paths, [PathBuf::from("x.json.gz")]);
        assert_eq!(args.format, None);
        assert_eq!(args.selection.profile, None);
        assert_eq!(args.selection.config, None);
    }

    #[test]
    fn scan_needs_a_path() {
        assert!(Cli::try_parse_from(["trailwarden", "scan"]).is_err());
    }

    #[test]
    fn scan_takes_a_config_and_a_profile() {
        let cli = Cli::try_parse_from([
            "trailwarden",
            "scan",
            "--config",
            "t.toml",
            "--profile",
            "cis",
            "x.json",
        ])
        .unwrap();
        let Command::Scan(args) = cli.command else {
            panic!("not scan")
        };
        assert_eq!(args.selection.config, Some(PathBuf::from("t.toml")));
        assert_eq!(args.selection.profile, Some(ProfileArg::Cis));
        assert!(
            Cli::try_parse_from(["trailwarden", "scan", "--profile", "nope", "x.json"]).is_err()
        );
    }

    #[test]
    fn rules_test_needs_a_pattern_and_a_path() {
        assert!(Cli::try_parse_from(["trailwarden", "rules", "test", "{ $.a = 1 }"]).is_err());
        let cli =
            Cli::try_parse_from(["trailwarden", "rules", "test", "{ $.a = 1 }", "x.json"]).unwrap();
        let Command::Rules(RulesArgs {
            command: RulesCommand::Test(args),
        }) = cli.command
        else {
            panic!("not rules test")
        };
        assert_eq!(args.pattern, "{ $.a = 1 }");
        assert!(!args.explain);
    }

    #[test]
    fn rules_list_defaults_to_a_table_of_every_rule() {
        let cli = Cli::try_parse_from(["trailwarden", "rules", "list"]).unwrap();
        let Command::Rules(RulesArgs {
            command: RulesCommand::List(args),
        }) = cli.command
        else {
            panic!("not rules list")
        };
        assert_eq!(args.format, ListFormat::Table);
        assert_eq!(args.profile, None);
    }
}
