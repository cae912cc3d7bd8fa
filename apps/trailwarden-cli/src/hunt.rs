//! What a hunt is: a small, pure aggregation over [`cloudtrail::Record`]s that answers one investigation
//! question, and what hunts share. The hunts themselves are in [`crate::hunts`], one file each.
//!
//! A hunt ([`Hunt`]) has a cheap filter ([`Hunt::wants`], run by the threads that read files, so only the
//! records a hunt needs travel to the aggregation) and an aggregation ([`Hunt::add`] into its tally, then
//! [`Hunt::finish`]) that gives typed rows. Rows print as a table (their [`TableRow::cells`]) or as one JSON
//! array (their serde form), through a [`Report`]. Times are CloudTrail's `eventTime` strings (UTC, `…Z`),
//! which sort as text.
//!
//! A hunt's command line is its [`HuntOptions`] (its own arguments; the inputs and `--format` are common to
//! every hunt) and an [`Entry`] in the registry.

use cloudtrail::Record;
use rules::RulesConfig;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;

/// A hunting question: which records it needs, how it adds one up, and the rows it gives.
pub trait Hunt: Sync {
    /// What the hunt has added up so far (counts per key, or the rows themselves).
    type Tally: Default;
    /// One row of the answer.
    type Row: TableRow;

    /// Whether the hunt needs this record at all (runs on the threads that read files).
    fn wants(&self, r: &Record) -> bool;

    /// Adds a record the hunt wants (see [`Hunt::wants`]; the caller filters).
    fn add(&self, tally: &mut Self::Tally, r: &Record);

    /// The rows, in their order: most calls first for counts, by time for lists of calls.
    fn finish(&self, tally: Self::Tally) -> Vec<Self::Row>;
}

/// A hunt's own command-line arguments (a clap `Args` struct), and how they and the config file make the
/// hunt.
pub trait HuntOptions: clap::Args {
    type Hunt: Hunt + 'static;

    /// The hunt these arguments ask for; `config` is the `--config` file (or the empty config).
    fn hunt(self, config: &RulesConfig) -> Self::Hunt;

    /// The same hunt as Athena (Trino) SQL over `table` (`compile::sql::TABLE_DDL`) within `range`: the rows'
    /// JSON fields as columns, in their order (see [`crate::hunts::sql`]).
    fn sql(&self, config: &RulesConfig, table: &str, range: &compile::sql::TimeRange) -> String;
}

/// One hunt of the registry ([`crate::hunts::ALL`]): the subcommand `trailwarden hunt NAME`.
#[derive(Debug)]
pub struct Entry {
    /// The subcommand's name.
    pub name: &'static str,
    /// The subcommand's help (one paragraph).
    pub about: &'static str,
    /// Adds the hunt's own arguments to the subcommand.
    pub args: fn(clap::Command) -> clap::Command,
    /// The hunt for the subcommand's parsed arguments and the config file.
    pub start: Start,
    /// Its Athena SQL for the subcommand's parsed arguments, the config file, a table and a time range.
    pub sql: SqlStart,
}

/// How an [`Entry`] makes its SQL (see [`HuntOptions::sql`]).
pub type SqlStart = fn(
    &clap::ArgMatches,
    &RulesConfig,
    &str,
    &compile::sql::TimeRange,
) -> Result<String, clap::Error>;

/// How an [`Entry`] makes its hunt: from the subcommand's parsed arguments and the config file.
pub type Start = fn(&clap::ArgMatches, &RulesConfig) -> Result<Box<dyn Query>, clap::Error>;

impl Entry {
    /// The entry of the hunt that `O` makes.
    pub const fn new<O: HuntOptions>(name: &'static str, about: &'static str) -> Entry {
        Entry {
            name,
            about,
            args: O::augment_args,
            start: start::<O>,
            sql: sql::<O>,
        }
    }
}

fn start<O: HuntOptions>(
    matches: &clap::ArgMatches,
    config: &RulesConfig,
) -> Result<Box<dyn Query>, clap::Error> {
    let options = <O as clap::FromArgMatches>::from_arg_matches(matches)?;
    Ok(Box::new(options.hunt(config)))
}

fn sql<O: HuntOptions>(
    matches: &clap::ArgMatches,
    config: &RulesConfig,
    table: &str,
    range: &compile::sql::TimeRange,
) -> Result<String, clap::Error> {
    let options = <O as clap::FromArgMatches>::from_arg_matches(matches)?;
    Ok(options.sql(config, table, range))
}

/// A hunt of any type, as `trailwarden hunt` runs it: the filter, and a tally to add records to.
pub trait Query: Sync {
    /// [`Hunt::wants`].
    fn wants(&self, r: &Record) -> bool;

    /// An empty tally.
    fn tally(&self) -> Box<dyn Tally + '_>;
}

/// The aggregation of a running hunt.
pub trait Tally {
    /// [`Hunt::add`].
    fn add(&mut self, r: &Record);

    /// [`Hunt::finish`], ready to print.
    fn finish(self: Box<Self>) -> Report;
}

impl<H: Hunt> Query for H {
    fn wants(&self, r: &Record) -> bool {
        Hunt::wants(self, r)
    }

    fn tally(&self) -> Box<dyn Tally + '_> {
        Box::new(Running {
            hunt: self,
            tally: H::Tally::default(),
        })
    }
}

struct Running<'h, H: Hunt> {
    hunt: &'h H,
    tally: H::Tally,
}

impl<H: Hunt> Tally for Running<'_, H> {
    fn add(&mut self, r: &Record) {
        self.hunt.add(&mut self.tally, r);
    }

    fn finish(self: Box<Self>) -> Report {
        Report::of(self.hunt.finish(self.tally))
    }
}

/// A row type: its table header and cells (the JSON form is its serde serialization).
pub trait TableRow: Serialize {
    const HEADER: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

/// A finished hunt, ready to print.
#[derive(Debug, Default)]
pub struct Report {
    pub header: Vec<&'static str>,
    pub cells: Vec<Vec<String>>,
    /// Each row as a JSON object, its fields in the row type's order.
    pub json: Vec<Box<RawValue>>,
}

impl Report {
    pub fn of<R: TableRow>(rows: Vec<R>) -> Report {
        Report {
            header: R::HEADER.to_vec(),
            cells: rows.iter().map(TableRow::cells).collect(),
            // Serializing plain structs of strings and numbers cannot fail; `null` would show if it did.
            json: rows
                .iter()
                .map(|r| {
                    serde_json::value::to_raw_value(r)
                        .or_else(|_| RawValue::from_string("null".to_owned()))
                        .unwrap_or_default()
                })
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.json.len()
    }
}

/// Runs a hunt over records.
#[cfg(test)]
pub fn run<'a, H: Hunt>(hunt: &H, records: impl IntoIterator<Item = &'a Record>) -> Report {
    let mut tally = Query::tally(hunt);
    for r in records {
        if Hunt::wants(hunt, r) {
            tally.add(r);
        }
    }
    tally.finish()
}

/// Shown for a missing value.
pub const NONE: &str = "-";

/// A field of `userIdentity`.
pub fn identity<'r>(
    r: &'r Record,
    field: impl FnOnce(&'r cloudtrail::UserIdentity) -> Option<&'r str>,
) -> Option<&'r str> {
    r.user_identity.as_ref().and_then(field)
}

/// The caller as (type, name): an assumed role is named by its role (the session issuer), so every session
/// of a role is one identity; others by ARN, else principal id, user name, invoking service.
pub fn caller(r: &Record) -> (String, String) {
    let kind = r.identity_type().unwrap_or(NONE).to_owned();
    let role = r
        .user_identity
        .as_ref()
        .and_then(|i| i.session_context.as_ref())
        .and_then(|c| c.session_issuer.as_ref())
        .and_then(|issuer| issuer.get("arn"))
        .and_then(Value::as_str)
        .filter(|_| kind == "AssumedRole");
    let name = role.or_else(|| r.principal()).unwrap_or(NONE).to_owned();
    (kind, name)
}

/// `ok`, or the error code (or message).
pub fn result(r: &Record) -> String {
    r.error_code
        .clone()
        .or_else(|| r.error_message.clone())
        .unwrap_or_else(|| "ok".to_owned())
}

pub fn or_dash(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| NONE.to_owned())
}

/// Rows sorted by time; rows with the same time stay in file order.
pub fn by_time<R>(mut rows: Vec<R>, time: impl Fn(&R) -> &Option<String>) -> Vec<R> {
    rows.sort_by(|a, b| time(a).cmp(time(b)));
    rows
}

/// Calls, errors, first and last `eventTime`.
#[derive(Debug, Default)]
pub struct Seen {
    pub calls: u64,
    pub errors: u64,
    pub first: Option<String>,
    pub last: Option<String>,
}

impl Seen {
    pub fn add(&mut self, r: &Record) {
        self.calls += 1;
        if !r.succeeded() {
            self.errors += 1;
        }
        if let Some(t) = &r.event_time {
            if self.first.as_ref().is_none_or(|f| t < f) {
                self.first = Some(t.clone());
            }
            if self.last.as_ref().is_none_or(|l| t > l) {
                self.last = Some(t.clone());
            }
        }
    }
}

/// Records and reports for the hunts' unit tests.
#[cfg(test)]
pub mod testing {
    use super::{Hunt, Report};
    use cloudtrail::Record;
    use serde_json::{json, Value};

    pub fn rec(v: Value) -> Record {
        serde_json::from_value(v).unwrap()
    }

    /// A report's rows, parsed.
    pub struct Parsed {
        pub header: Vec<&'static str>,
        pub cells: Vec<Vec<String>>,
        pub json: Vec<Value>,
    }

    impl Parsed {
        pub fn len(&self) -> usize {
            self.json.len()
        }
    }

    /// Runs a hunt over records and parses its report.
    pub fn run<H: Hunt>(hunt: &H, records: &[Record]) -> Parsed {
        parse(super::run(hunt, records))
    }

    pub fn parse(report: Report) -> Parsed {
        Parsed {
            json: report
                .json
                .iter()
                .map(|r| serde_json::from_str(r.get()).unwrap())
                .collect(),
            header: report.header,
            cells: report.cells,
        }
    }

    pub fn user(name: &str, account: &str, key: &str) -> Value {
        json!({"type": "IAMUser", "arn": format!("arn:aws:iam::{account}:user/{name}"),
               "accountId": account, "userName": name, "accessKeyId": key})
    }

    pub fn call(time: &str, name: &str, region: &str, who: Value) -> Value {
        json!({"eventTime": time, "eventName": name, "eventSource": "ec2.amazonaws.com",
               "awsRegion": region, "userIdentity": who, "recipientAccountId": "111122223333",
               "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2", "eventID": format!("id-{time}")})
    }

    /// Four EC2 calls by alice and bob in account 111122223333, one of them denied in ap-south-1.
    pub fn sample() -> Vec<Record> {
        let alice = user("alice", "111122223333", "AKIAALICE");
        let bob = user("bob", "111122223333", "AKIABOB");
        let mut denied = call(
            "2024-01-01T00:03:00Z",
            "RunInstances",
            "ap-south-1",
            alice.clone(),
        );
        denied["errorCode"] = json!("Client.UnauthorizedOperation");
        vec![
            rec(call(
                "2024-01-01T00:02:00Z",
                "DescribeInstances",
                "us-east-1",
                alice.clone(),
            )),
            rec(call(
                "2024-01-01T00:01:00Z",
                "DescribeInstances",
                "us-east-1",
                bob,
            )),
            rec(denied),
            rec(call(
                "2024-01-01T00:04:00Z",
                "DescribeRegions",
                "us-east-1",
                alice,
            )),
        ]
    }
}
