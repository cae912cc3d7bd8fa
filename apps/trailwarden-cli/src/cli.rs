//! The argument parser: every subcommand and option, as clap derive types (the hunts' subcommands come from
//! their registry, [`crate::hunts::ALL`]).

use crate::hunt::Entry;
use crate::hunts;
use crate::location::Location;
use crate::output::{CoverageFormat, ExplainFormat, Format, HuntFormat, ListFormat};
use crate::window::Bound;
use clap::builder::{OsStringValueParser, PossibleValuesParser, TypedValueParser};
use clap::error::ErrorKind;
use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand};
use rules::Profile;
use std::path::PathBuf;

/// Real-time AWS CloudTrail alerting, run locally: scan CloudTrail log files (local or in S3) with
/// trailwarden's rules, hunt through them, and explain what matched.
#[derive(Debug, Parser)]
#[command(name = "trailwarden", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan CloudTrail log files, directories and S3 prefixes and print the findings.
    Scan(ScanArgs),
    /// Answer investigation questions over CloudTrail logs: regions, identities, sign-ins, policy and
    /// security-group changes, one access key's calls, calls from other accounts.
    Hunt(HuntArgs),
    /// List, explain and try out detection rules and filter patterns.
    Rules(RulesArgs),
    /// Print test events for the Lambda (`cargo lambda invoke --data-ascii`).
    Event(EventArgs),
}

/// The PATH arguments and the options that choose what is read from them, shared by every command that
/// reads logs.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Log files (.json.gz or .json), directories (searched recursively, e.g. an AWSLogs/ tree) and S3
    /// prefixes (s3://BUCKET/PREFIX).
    ///
    /// In directories, files ending in .json.gz or .json are read, except CloudTrail-Digest and
    /// CloudTrail-Insight files; other files are skipped and counted. Under an S3 prefix, keys are kept or
    /// skipped exactly as the Lambda does it (digests, Insights, 0-byte objects and keys outside the
    /// AWSLogs/…/CloudTrail/<region>/YYYY/MM/DD/ layout are skipped). Files and objects named exactly are
    /// always read.
    #[arg(required = true, value_name = "PATH", value_parser = OsStringValueParser::new().try_map(Location::parse))]
    pub paths: Vec<Location>,

    /// Only events at or after this time: YYYY-MM-DD (UTC) or RFC 3339 (2024-01-15T12:00:00Z).
    ///
    /// Files whose key date (…/YYYY/MM/DD/…) is more than a day before are not read at all (S3 listing
    /// jumps over those days); a file is read one day early because CloudTrail delivers events minutes to
    /// hours late.
    #[arg(long, value_name = "TIME", value_parser = Bound::parse)]
    pub since: Option<Bound>,

    /// Only events at or before this time: YYYY-MM-DD (the whole day, UTC) or RFC 3339.
    ///
    /// Files whose key date is more than a day after are not read.
    #[arg(long, value_name = "TIME", value_parser = Bound::parse)]
    pub until: Option<Bound>,

    /// AWS credentials profile for s3:// paths [default: the standard chain: environment, AWS_PROFILE,
    /// default profile, SSO, instance role].
    ///
    /// (`--profile` is the rule profile.) The bucket's region is found by HeadBucket; AWS_ENDPOINT_URL
    /// points the client at an emulator.
    #[arg(long, value_name = "NAME")]
    pub aws_profile: Option<String>,

    /// Files read at once [default: one per core, at least 2; at least 8 with S3 paths].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Findings go to stdout, in input order (files are read in parallel); warnings, errors, a progress bar (on a \
terminal) and the summary go to stderr. Findings suppressed by an exclusion of the config file are not \
printed; the summary counts them under the exclusion's id.

Examples:
  trailwarden scan AWSLogs/
  trailwarden scan --since 2024-05-01 --until 2024-05-31 s3://org-trail/AWSLogs/o-abc123/
  trailwarden scan --fail-on-findings --rules cis-4.3-root-account-usage --format json replay/

Exit status: 0 when every input was read (with or without findings); 1 when --fail-on-findings is given and \
there are findings; 2 when a file could not be read, a path does not exist, an S3 prefix cannot be listed, \
the config file is invalid, or the command line is invalid (2 wins over 1). Unreadable files are reported \
and the other files are still scanned.")]
#[command(mut_arg("paths", |a| a.required(false).required_unless_present("engine")))]
pub struct ScanArgs {
    /// Output format [default: table when stdout is a terminal, jsonl otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Exit with status 1 when there are findings (for CI: replay logs and fail the job on a finding).
    #[arg(long)]
    pub fail_on_findings: bool,

    #[command(flatten)]
    pub selection: Selection,

    /// Evaluate only these rules (comma-separated rule ids), out of those the profile and config select.
    #[arg(long, value_name = "ID[,ID...]", value_delimiter = ',')]
    pub rules: Vec<String>,

    /// Largest record evaluated, in bytes of its JSON text [default: 1048576 (1 MiB), the Lambda's default].
    ///
    /// A larger record is streamed past without being held in memory and reported as an unevaluated-record
    /// finding (reason oversized). CloudTrail documents 256 KB as its event size limit.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_record_bytes: Option<u64>,

    #[command(flatten)]
    pub athena: AthenaArgs,

    #[command(flatten)]
    pub input: InputArgs,
}

/// Where `scan` and `hunt` run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EngineKind {
    /// Read the log files, directories and S3 prefixes given as PATH on this machine.
    #[default]
    Local,
    /// Run the rules (or the hunt) as Athena queries over the CloudTrail table (no PATH): README "History on
    /// Athena".
    Athena,
}

/// `--engine` and the options of the Athena engine, shared by `scan` and `hunt`.
#[derive(Debug, Clone, Args)]
pub struct AthenaArgs {
    /// Where to run: local reads PATH on this machine; athena runs one query per rule (or the hunt's query)
    /// in an Athena workgroup over the CloudTrail table, and takes no PATH.
    ///
    /// With athena, --since/--until prune the table's day partitions; --aws-profile picks the credentials;
    /// the data scanned and its cost at list price are printed on stderr.
    ///
    /// [default: local]
    #[arg(long, value_enum, value_name = "ENGINE")]
    pub engine: Option<EngineKind>,

    /// The Athena workgroup (--engine athena) [default: trailwarden-hunting, the Terraform module's
    /// `<name_prefix>-hunting` with the default name_prefix].
    #[arg(long, value_name = "NAME")]
    pub workgroup: Option<String>,

    /// The Glue database of the CloudTrail table (--engine athena) [default: trailwarden, the module's
    /// `<name_prefix>`].
    #[arg(long, value_name = "NAME")]
    pub database: Option<String>,

    /// The CloudTrail table (--engine athena) [default: cloudtrail].
    #[arg(long, value_name = "NAME")]
    pub table: Option<String>,

    /// Stop the queries still running after this many seconds (--engine athena) [default: 1800].
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub athena_timeout: Option<u64>,
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
    #[arg(long, value_name = "PROFILE", value_parser = profile_parser())]
    pub profile: Option<Profile>,
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
    /// Explain one record: which rules matched it, which pattern terms decided it, which exclusion
    /// suppressed it.
    Explain(ExplainArgs),
    /// The attack coverage map: the ATT&CK tactic/technique x rule matrix and the Stratus Red Team technique x
    /// rule table, from the built-in rules' controls.
    Coverage(CoverageArgs),
    /// The EventBridge event patterns for the fast path: every CloudTrail event an enabled rule could match,
    /// as few patterns of at most 2,048 characters as fit, and whether read-only events are needed.
    EventbridgePattern(EventbridgePatternArgs),
    /// The rules as Athena (Trino) SQL over the CloudTrail table: one query per pattern rule, with the config
    /// file's exclusions and partition predicates from --since/--until; rules without a SQL form say why.
    Sql(SqlArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Every query returns rule_id, title, severity, eventid and the finding's fields, one row per matching event. \
Code rules and threshold rules have no SQL form: --format sql prints them as a comment with the reason, --format \
json as {\"rule_id\", \"sql\": null, \"reason\"}. The table is the one README \"History on Athena\" describes \
(compile::sql::TABLE_DDL), partitioned by account, region and day.")]
pub struct SqlArgs {
    /// Only these rules (ids of the selected rules; see `trailwarden rules list`).
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,

    #[command(flatten)]
    pub selection: Selection,

    /// The table to query, `database.table` [default: the one the Terraform module creates].
    #[arg(long, value_name = "NAME", default_value = compile::sql::DEFAULT_TABLE)]
    pub table: String,

    /// Only events at or after this time: YYYY-MM-DD (UTC) or RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = Bound::parse)]
    pub since: Option<Bound>,

    /// Only events up to this time: YYYY-MM-DD (the whole day) or RFC 3339.
    #[arg(long, value_name = "TIME", value_parser = Bound::parse)]
    pub until: Option<Bound>,

    /// Output format: sql (the queries, `;`-terminated, each after a comment naming its rule) or json.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = SqlFormat::Sql)]
    pub format: SqlFormat,

    /// Print a hunt's query instead of the rules': its name and arguments as for `trailwarden hunt`, e.g.
    /// --hunt signins, --hunt 'access-key AKIAIOSFODNN7EXAMPLE', --hunt 'regions --allowed-regions us-east-1'.
    #[arg(long, value_name = "'HUNT [ARG...]'", conflicts_with = "ids")]
    pub hunt: Option<String>,
}

/// How `rules sql` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqlFormat {
    /// The queries, ready for a SQL client.
    Sql,
    /// `[{"rule_id", "sql"}]`, `"sql": null` and a `"reason"` for a rule without a SQL form.
    Json,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Prints {patterns, read_only_management_events, widened_by} as JSON; stderr names each rule that widened the \
patterns (one that could not be narrowed by event name or error code) and why. Without --config: the default \
configuration, whose output is infra/eventbridge-patterns.json; with a custom rules file, pass the output to \
Terraform's fast_path_patterns_json.")]
pub struct EventbridgePatternArgs {
    #[command(flatten)]
    pub selection: Selection,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Built-in rules only, every profile: a rule outside the default profile is marked (all). A Stratus technique \
without a rule of the default profile says why (the coverage data in the rules crate, rules::stratus).")]
pub struct CoverageArgs {
    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = CoverageFormat::Markdown)]
    pub format: CoverageFormat,
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
    #[arg(long, value_name = "PROFILE", value_parser = profile_parser())]
    pub profile: Option<Profile>,

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

    /// Output format [default: table when stdout is a terminal, jsonl otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Print every record, matching or not, with `matched` and the outcome of each term of the pattern.
    #[arg(long)]
    pub explain: bool,

    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Finds the record with this eventID in the inputs (files, directories, s3:// prefixes) and evaluates it with \
the rules the config file and profile select, as `scan` would. For each rule that matched: its outcome (an \
alert, or suppressed by an exclusion, or an exclusion that expired), and for pattern rules each term of the \
pattern and whether it held. Rules named with --rules are explained whether they matched or not.

Example:
  trailwarden rules explain --config trailwarden.toml --event-id 3f2c… AWSLogs/

Exit status: 0 when the record was found; 2 when it was not, or an input or the config file is invalid.")]
pub struct ExplainArgs {
    /// The record's eventID.
    #[arg(long, value_name = "ID")]
    pub event_id: String,

    #[command(flatten)]
    pub selection: Selection,

    /// Explain these rules (comma-separated ids) whether they matched or not.
    #[arg(long, value_name = "ID[,ID...]", value_delimiter = ',')]
    pub rules: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,

    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  trailwarden hunt regions --allowed-regions us-east-1,eu-west-1 AWSLogs/
  trailwarden hunt access-key AKIAIOSFODNN7EXAMPLE --since 2024-05-01 s3://trail-bucket/AWSLogs/
  trailwarden hunt signins --format json AWSLogs/ | jq '.[] | select(.mfa_used != \"Yes\")'

Rows go to stdout (a table on a terminal, else one JSON array); the summary goes to stderr.
Exit status: 0 when every input was read; 2 when an input could not be read or the command line is invalid.")]
pub struct HuntArgs {
    #[command(subcommand)]
    pub query: HuntQuery,
}

/// `trailwarden hunt NAME [ARGS] PATH…`: the hunt's subcommand, from the registry of hunts
/// ([`crate::hunts::ALL`]), each with its own arguments and the options every hunt takes ([`HuntCommon`]).
#[derive(Debug, Clone)]
pub struct HuntQuery {
    /// The hunt.
    pub hunt: &'static Entry,
    /// The subcommand's arguments, for [`Entry::start`] (the hunt's own arguments are read there).
    pub matches: ArgMatches,
    /// The options every hunt takes.
    pub common: HuntCommon,
}

impl FromArgMatches for HuntQuery {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let Some((name, sub)) = matches.subcommand() else {
            return Err(clap::Error::raw(
                ErrorKind::MissingSubcommand,
                "a hunt is required",
            ));
        };
        let hunt = hunts::find(name).ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!("no hunt named {name:?}"),
            )
        })?;
        Ok(HuntQuery {
            hunt,
            matches: sub.clone(),
            common: HuntCommon::from_arg_matches(sub)?,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = HuntQuery::from_arg_matches(matches)?;
        Ok(())
    }
}

impl Subcommand for HuntQuery {
    /// One subcommand per hunt: its help, its own arguments, then the options every hunt takes.
    fn augment_subcommands(command: clap::Command) -> clap::Command {
        hunts::ALL.iter().fold(command, |command, hunt| {
            let sub = HuntCommon::augment_args((hunt.args)(clap::Command::new(hunt.name)));
            // After the arguments: `augment_args` sets the help of the struct's doc comment.
            command.subcommand(sub.about(hunt.about))
        })
    }

    fn augment_subcommands_for_update(command: clap::Command) -> clap::Command {
        HuntQuery::augment_subcommands(command)
    }

    fn has_subcommand(name: &str) -> bool {
        hunts::find(name).is_some()
    }
}

impl AthenaArgs {
    /// `--engine`, local unless given.
    pub fn engine(&self) -> EngineKind {
        self.engine.unwrap_or_default()
    }
}

/// Options every hunt takes.
#[derive(Debug, Clone, Args)]
#[command(mut_arg("paths", |a| a.required(false).required_unless_present("engine")))]
pub struct HuntCommon {
    /// Output format [default: table when stdout is a terminal, json otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<HuntFormat>,

    /// Rules config file (TOML): its allowed_regions (for `regions`) and trusted_accounts (for `cross-account`).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub athena: AthenaArgs,

    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct EventArgs {
    #[command(subcommand)]
    pub command: EventCommand,
}

#[derive(Debug, Subcommand)]
pub enum EventCommand {
    /// An S3 ObjectCreated:Put notification for one object, to replay a real log file through the local
    /// function.
    #[command(after_help = "\
The key is URL-encoded the way S3 encodes keys in notifications (a space becomes +, other reserved \
characters %XX), so the Lambda decodes it back to the real key.

Example:
  cargo lambda invoke trailwarden-alerter --data-ascii \"$(trailwarden event s3 --bucket my-trail \\
      --key AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_x.json.gz)\"")]
    S3(EventS3Args),
}

#[derive(Debug, Args)]
pub struct EventS3Args {
    /// The bucket name.
    #[arg(long, value_name = "BUCKET")]
    pub bucket: String,

    /// The object key, as stored (not encoded).
    #[arg(long, value_name = "KEY")]
    pub key: String,

    /// The object size in bytes [default: left out; the Lambda skips objects of size 0].
    #[arg(long, value_name = "BYTES")]
    pub size: Option<u64>,

    /// The event's region.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    pub region: String,

    /// The event time (RFC 3339) [default: now].
    #[arg(long, value_name = "TIME", value_parser = Bound::parse)]
    pub time: Option<Bound>,
}

/// `--profile`: a built-in rule set by its name ([`Profile`]'s `FromStr`), the names listed in the help.
fn profile_parser() -> impl TypedValueParser<Value = Profile> {
    PossibleValuesParser::new(Profile::ALL.map(Profile::as_str))
        .try_map(|name| name.parse::<Profile>())
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
        assert_eq!(
            args.input.paths,
            [Location::Local(PathBuf::from("x.json.gz"))]
        );
        assert!(!args.fail_on_findings);
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
        assert_eq!(args.selection.profile, Some(Profile::Cis));
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
    fn paths_may_be_s3_prefixes_with_a_window() {
        let cli = Cli::try_parse_from([
            "trailwarden",
            "scan",
            "--since",
            "2024-01-15",
            "--until",
            "2024-01-16T12:00:00Z",
            "--aws-profile",
            "audit",
            "s3://trail/AWSLogs/",
            "local",
        ])
        .unwrap();
        let Command::Scan(args) = cli.command else {
            panic!("not scan")
        };
        assert_eq!(
            args.input.paths,
            [
                Location::S3 {
                    bucket: "trail".into(),
                    prefix: "AWSLogs/".into()
                },
                Location::Local(PathBuf::from("local"))
            ]
        );
        assert!(matches!(args.input.since, Some(Bound::Day(_))));
        assert!(matches!(args.input.until, Some(Bound::Instant(_))));
        assert_eq!(args.input.aws_profile.as_deref(), Some("audit"));
        assert!(Cli::try_parse_from(["trailwarden", "scan", "--since", "soon", "x"]).is_err());
        assert!(Cli::try_parse_from(["trailwarden", "scan", "s3://"]).is_err());
    }

    #[test]
    fn hunt_queries_take_their_argument_and_paths() {
        let cli = Cli::try_parse_from([
            "trailwarden",
            "hunt",
            "access-key",
            "AKIAEXAMPLE",
            "--format",
            "json",
            "a",
            "b",
        ])
        .unwrap();
        let Command::Hunt(HuntArgs { query }) = cli.command else {
            panic!("not hunt")
        };
        assert_eq!(query.hunt.name, "access-key");
        assert_eq!(
            query.matches.get_one::<String>("key").map(String::as_str),
            Some("AKIAEXAMPLE")
        );
        assert_eq!(query.common.format, Some(HuntFormat::Json));
        assert_eq!(query.common.input.paths.len(), 2);
        assert!(Cli::try_parse_from(["trailwarden", "hunt", "access-key", "AKIAEXAMPLE"]).is_err());
        let cli = Cli::try_parse_from([
            "trailwarden",
            "hunt",
            "regions",
            "--allowed-regions",
            "us-east-1,eu-west-1",
            "x",
        ])
        .unwrap();
        let Command::Hunt(HuntArgs { query }) = cli.command else {
            panic!("not hunt")
        };
        assert_eq!(query.hunt.name, "regions");
        let allowed_regions: Vec<&String> = query
            .matches
            .get_many::<String>("allowed_regions")
            .unwrap()
            .collect();
        assert_eq!(allowed_regions, ["us-east-1", "eu-west-1"]);
        assert!(Cli::try_parse_from(["trailwarden", "hunt", "nope", "x"]).is_err());
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
