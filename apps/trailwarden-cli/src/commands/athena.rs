//! `scan --engine athena` and `hunt NAME --engine athena`: the rules (one query per rule,
//! `compile::sql::engine_queries`) or the hunt's query ([`crate::hunt::Entry::sql`]) run in an Athena workgroup
//! over the CloudTrail table ([`crate::athena`]), printed in the local engine's formats, with what they scanned
//! and its cost at list price on stderr.
//!
//! A finding's `finding_id` is computed here from the row's `eventid` and `rule_id` exactly as
//! [`rules::Finding::id`] computes it, so it is the id the local scan and the Lambda's alert give the same
//! finding. Its `file` is the row's `"$path"` (the log file's `s3://bucket/key`); its `record` is `null` (the
//! table holds the record's columns, not its text).

use super::hunt::print as print_hunt;
use super::rules::sql::time_range;
use crate::athena::{self, Event, Outcome, Place, Rows, Settings};
use crate::cli::{AthenaArgs, HuntQuery, InputArgs, ScanArgs};
use crate::exit;
use crate::hunt::Report;
use crate::location::LogFile;
use crate::output::{self, Format, HuntFormat};
use crate::ruleset::{self, Config};
use anyhow::Context;
use compile::sql::engine_queries;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rules::{Engine, Finding};
use serde_json::Value;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `--workgroup` unless given: the Terraform module's `<name_prefix>-hunting` with the default prefix.
pub const DEFAULT_WORKGROUP: &str = "trailwarden-hunting";
/// `--database` unless given: the module's `<name_prefix>`.
pub const DEFAULT_DATABASE: &str = "trailwarden";
/// `--table` unless given.
pub const DEFAULT_TABLE: &str = "cloudtrail";
/// `--athena-timeout` unless given, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 1800;
/// Queries running at once.
const MAX_RUNNING: usize = 8;
/// Between two rounds of polling.
const POLL: Duration = Duration::from_millis(500);

/// The finding fields every rule query returns (`compile::sql::FINDING_COLUMNS`), read into a [`Finding`].
const FINDING_FIELDS: [&str; 16] = [
    "rule_id",
    "title",
    "severity",
    "event_id",
    "event_name",
    "event_source",
    "event_time",
    "account_id",
    "region",
    "principal",
    "principal_type",
    "principal_account_id",
    "access_key_id",
    "source_ip",
    "user_agent",
    "error_code",
];

/// Where the queries run and what they read, from the options.
struct Target {
    place: Place,
    /// `database.table` as the SQL names it.
    table: String,
    timeout: Duration,
}

impl Target {
    fn of(args: &AthenaArgs) -> Target {
        let database = args
            .database
            .clone()
            .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
        let table = args.table.as_deref().unwrap_or(DEFAULT_TABLE);
        Target {
            table: format!("{}.{}", identifier(&database), identifier(table)),
            place: Place {
                workgroup: args
                    .workgroup
                    .clone()
                    .unwrap_or_else(|| DEFAULT_WORKGROUP.to_owned()),
                database,
            },
            timeout: Duration::from_secs(args.athena_timeout.unwrap_or(DEFAULT_TIMEOUT_SECS)),
        }
    }
}

/// A name as a SQL identifier: as is when plain (`[a-z_][a-z0-9_]*`), else double-quoted (a `name_prefix`
/// with a hyphen makes a database `tw-prod`).
fn identifier(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The Athena engine reads no PATH.
fn no_paths(input: &InputArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        input.paths.is_empty(),
        "--engine athena reads the CloudTrail table, not PATH arguments ({} given); leave them out",
        input.paths.len()
    );
    anyhow::ensure!(
        input.jobs.is_none(),
        "--jobs is for the local engine (Athena runs up to {MAX_RUNNING} queries at once)"
    );
    Ok(())
}

/// A rule query that also returns the log file of each row (Athena's `"$path"` column of the table).
fn with_path(sql: &str) -> String {
    match sql.strip_prefix("SELECT ") {
        Some(rest) => format!("SELECT \"$path\" AS file, {rest}"),
        None => sql.to_owned(),
    }
}

#[allow(
    clippy::print_stderr,
    reason = "rules without a SQL form, query errors, the summary and the cost go to stderr"
)]
pub fn scan(args: ScanArgs) -> anyhow::Result<ExitCode> {
    no_paths(&args.input)?;
    let config = Config::load(args.selection.config.as_deref())?;
    let flag = args.selection.profile;
    let engine = config.engine(flag, &rules::today_utc())?;
    let engine = ruleset::narrow(engine, &args.rules, &config, config.profile(flag))?;
    let target = Target::of(&args.athena);
    let range = time_range(args.input.since, args.input.until)?;
    let mut queries = Vec::new();
    let mut rule_ids = Vec::new();
    let mut not_run = 0usize;
    for q in engine_queries(&engine, &target.table, &range) {
        match q.sql {
            Ok(sql) => {
                queries.push(with_path(&sql));
                rule_ids.push(q.rule_id);
            }
            Err(no) => {
                not_run += 1;
                eprintln!(
                    "warning: {}: not run on Athena: {} (run `trailwarden scan PATH…` for it)",
                    no.rule_id, no.reason
                );
            }
        }
    }
    let outcomes = execute(
        &queries,
        &rule_ids,
        &target,
        args.input.aws_profile.as_deref(),
    )?;

    let format = args.format.unwrap_or_else(Format::for_stdout);
    let mut out = output::writer(format, io::stdout().lock());
    let mut findings = 0usize;
    let mut failed = 0usize;
    let mut written = || -> io::Result<()> {
        for (rule_id, outcome) in rule_ids.iter().zip(&outcomes) {
            match &outcome.result {
                Ok(rows) => {
                    for row in &rows.rows {
                        match finding(&engine, rows, row) {
                            Ok((file, f)) => {
                                findings += 1;
                                out.write(&file, f)?;
                            }
                            Err(e) => {
                                failed += 1;
                                eprintln!("error: {rule_id}: a row of query {}: {e:#}", rows.id);
                            }
                        }
                    }
                    out.flush()?;
                }
                Err(e) => {
                    failed += 1;
                    eprintln!("error: {rule_id}: {e}");
                }
            }
        }
        out.finish()
    };
    match written() {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        Err(e) => return Err(e).context("writing findings to stdout failed"),
    }
    eprintln!(
        "athena: {findings} {} from {} rule {}{}{}",
        if findings == 1 { "finding" } else { "findings" },
        queries.len(),
        if queries.len() == 1 {
            "query"
        } else {
            "queries"
        },
        if failed > 0 {
            format!("; {failed} failed")
        } else {
            String::new()
        },
        if not_run > 0 {
            format!("; {not_run} rules not run on Athena (named above)")
        } else {
            String::new()
        },
    );
    let scanned: Vec<u64> = outcomes.iter().map(|o| o.scanned).collect();
    eprintln!("{}", athena::cost_line(&scanned));
    Ok(if failed > 0 {
        ExitCode::from(exit::ERROR)
    } else if args.fail_on_findings && findings > 0 {
        ExitCode::from(exit::FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

#[allow(
    clippy::print_stderr,
    reason = "the query's error, the row count and the cost go to stderr"
)]
pub fn hunt(args: HuntQuery) -> anyhow::Result<ExitCode> {
    let common = &args.common;
    no_paths(&common.input)?;
    let config = Config::load(common.config.as_deref())?;
    let target = Target::of(&common.athena);
    let range = time_range(common.input.since, common.input.until)?;
    let sql = (args.hunt.sql)(&args.matches, &config.rules, &target.table, &range)?;
    let name = args.hunt.name.to_owned();
    let outcomes = execute(
        &[sql],
        std::slice::from_ref(&name),
        &target,
        common.input.aws_profile.as_deref(),
    )?;
    let scanned: Vec<u64> = outcomes.iter().map(|o| o.scanned).collect();
    let Some(Outcome { result, .. }) = outcomes.into_iter().next() else {
        anyhow::bail!("the hunt's query was not run");
    };
    let code = match result {
        Ok(rows) => {
            let report = report(&rows);
            let format = common.format.unwrap_or_else(HuntFormat::for_stdout);
            match print_hunt(&report, format, &mut io::stdout().lock()) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
                Err(e) => return Err(e).context("writing rows to stdout failed"),
            }
            let n = report.len();
            eprintln!(
                "athena: {n} {} from query {}",
                if n == 1 { "row" } else { "rows" },
                rows.id
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: hunt {name}: {e}");
            ExitCode::from(exit::ERROR)
        }
    };
    eprintln!("{}", athena::cost_line(&scanned));
    Ok(code)
}

/// Runs the queries on Athena with the credentials of `aws_profile` (or the standard chain), with a progress
/// display on stderr; `names` name each query in it.
fn execute(
    queries: &[String],
    names: &[String],
    target: &Target,
    aws_profile: Option<&str>,
) -> anyhow::Result<Vec<Outcome>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime for Athena")?;
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(name) = aws_profile {
        loader = loader.profile_name(name);
    }
    let sdk = rt.block_on(loader.load());
    anyhow::ensure!(
        sdk.region().is_some(),
        "no AWS region for Athena: set AWS_REGION, or a region in the --aws-profile profile (the region of \
         the workgroup and the table)"
    );
    let api = athena::Sdk::new(&sdk);
    let settings = Settings {
        place: target.place.clone(),
        poll: POLL,
        timeout: target.timeout,
        max_running: MAX_RUNNING,
    };
    let display = Display::new(queries.len() as u64);
    let outcomes = rt.block_on(athena::run_all(&api, queries, &settings, &mut |e| {
        display.event(&e, names)
    }));
    display.finish();
    Ok(outcomes)
}

/// The progress of the queries on stderr: a bar when stderr is a terminal, else one plain line per query
/// started and ended.
struct Display {
    bar: Option<ProgressBar>,
    scanned: std::cell::Cell<u64>,
}

impl Display {
    fn new(queries: u64) -> Display {
        let bar = io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(queries), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} Athena queries  {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Display {
            bar,
            scanned: std::cell::Cell::new(0),
        }
    }

    #[allow(
        clippy::print_stderr,
        reason = "progress lines go to stderr when it is not a terminal"
    )]
    fn event(&self, event: &Event, names: &[String]) {
        let name = |i: usize| names.get(i).map_or("?", String::as_str);
        match (&self.bar, event) {
            (Some(bar), Event::Started { .. }) => bar.tick(),
            (Some(bar), Event::Ended { scanned, .. }) => {
                self.scanned.set(self.scanned.get() + scanned);
                bar.inc(1);
                bar.set_message(format!(
                    "{} scanned",
                    athena::human_bytes(self.scanned.get())
                ));
            }
            (None, Event::Started { index, id }) => {
                eprintln!("athena: {} started (query {id})", name(*index));
            }
            (None, Event::Ended { index, ok, scanned }) => eprintln!(
                "athena: {} {} ({} scanned)",
                name(*index),
                if *ok { "succeeded" } else { "did not succeed" },
                athena::human_bytes(*scanned)
            ),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// A rule query's row as the finding the local engine gives for the same event (see the module
/// documentation), with its log file.
fn finding(
    engine: &Engine,
    rows: &Rows,
    row: &[Option<String>],
) -> anyhow::Result<(LogFile, Finding)> {
    let get = |name: &str| rows.index(name).and_then(|i| row.get(i).cloned().flatten());
    let rule_id = get("rule_id").context("no rule_id")?;
    let controls: Vec<String> = engine
        .rules()
        .iter()
        .find(|r| r.id() == rule_id)
        .map(|r| r.controls().iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    let mut object = serde_json::Map::new();
    for field in FINDING_FIELDS {
        object.insert(
            field.to_owned(),
            get(field).map_or(Value::Null, Value::String),
        );
    }
    object.insert("controls".to_owned(), controls.into());
    object.insert("note".to_owned(), Value::Null);
    object.insert("record".to_owned(), Value::Null);
    // Through text: the record is a `RawValue`, which only a JSON reader of text can make.
    let text = serde_json::to_string(&Value::Object(object))?;
    let finding: Finding = serde_json::from_str(&text).context("not a finding")?;
    let file = match get("file").as_deref().and_then(|p| p.strip_prefix("s3://")) {
        Some(path) => {
            let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
            LogFile::S3 {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            }
        }
        None => LogFile::Local(PathBuf::from(format!("athena:{}", rows.id))),
    };
    Ok((file, finding))
}

/// A hunt query's rows as the local hunt's report: each value typed by its column's Athena type (numbers,
/// booleans, `array(varchar)` as a list of strings), the columns in the query's order.
fn report(rows: &Rows) -> Report {
    // The header outlives the report only as long as the process; a handful of names.
    let header: Vec<&'static str> = rows
        .columns
        .iter()
        .map(|c| &*Box::leak(c.name.clone().into_boxed_str()))
        .collect();
    let mut cells = Vec::with_capacity(rows.rows.len());
    let mut json = Vec::with_capacity(rows.rows.len());
    for row in &rows.rows {
        let values: Vec<Value> = rows
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| typed(&c.kind, row.get(i).and_then(Option::as_deref)))
            .collect();
        cells.push(values.iter().map(cell).collect());
        // By hand, so the fields keep the columns' order.
        let mut text = String::from("{");
        for (i, (c, v)) in rows.columns.iter().zip(&values).enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&Value::String(c.name.clone()).to_string());
            text.push(':');
            text.push_str(&v.to_string());
        }
        text.push('}');
        json.push(
            serde_json::value::RawValue::from_string(text)
                .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
        );
    }
    Report {
        header,
        cells,
        json,
    }
}

/// A value of Athena's text form as JSON, by its column type. `array` is Athena's `[a, b]` text, split at
/// `, ` (an element holding `, ` itself would be split too; the hunts' arrays are ARNs, key ids, IP
/// addresses and CIDRs).
fn typed(kind: &str, text: Option<&str>) -> Value {
    let Some(t) = text else {
        return Value::Null;
    };
    let string = || Value::String(t.to_owned());
    match kind.to_ascii_lowercase().as_str() {
        "bigint" | "integer" | "int" | "smallint" | "tinyint" => {
            t.parse::<i64>().map_or_else(|_| string(), Value::from)
        }
        "double" | "float" | "real" => t
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(string, Value::Number),
        "boolean" => match t {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => string(),
        },
        "array" => match t.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            Some("") => Value::Array(Vec::new()),
            Some(inner) => Value::Array(
                inner
                    .split(", ")
                    .map(|s| Value::String(s.to_owned()))
                    .collect(),
            ),
            None => string(),
        },
        "json" => serde_json::from_str(t).unwrap_or_else(|_| string()),
        _ => string(),
    }
}

/// A value as a table cell: `-` for null, lists joined with `, `.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => crate::hunt::NONE.to_owned(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::athena::Column;

    fn col(name: &str, kind: &str) -> Column {
        Column {
            name: name.into(),
            kind: kind.into(),
        }
    }

    #[test]
    fn names_are_quoted_only_when_they_must_be() {
        assert_eq!(identifier("trailwarden"), "trailwarden");
        assert_eq!(identifier("tw-prod"), "\"tw-prod\"");
        assert_eq!(identifier("Odd\"name"), "\"Odd\"\"name\"");
    }

    #[test]
    fn rule_queries_also_return_the_log_file() {
        assert_eq!(
            with_path("SELECT 'r' AS rule_id FROM t"),
            "SELECT \"$path\" AS file, 'r' AS rule_id FROM t"
        );
    }

    #[test]
    fn a_row_is_the_local_finding_with_the_same_id() {
        let engine = Engine::with_ids(&["cis-4.3-root-account-usage"]).unwrap();
        let mut columns = vec![col("file", "varchar")];
        columns.extend(FINDING_FIELDS.iter().map(|f| col(f, "varchar")));
        columns.push(col("eventid", "varchar"));
        let mut row: Vec<Option<String>> = vec![Some(
            "s3://trail/AWSLogs/1/CloudTrail/us-east-1/2024/01/15/f.json.gz".into(),
        )];
        row.extend(FINDING_FIELDS.iter().map(|f| match *f {
            "rule_id" => Some("cis-4.3-root-account-usage".to_owned()),
            "severity" => Some("high".to_owned()),
            "event_id" => Some("e-1".to_owned()),
            "error_code" => None,
            other => Some(format!("{other}-value")),
        }));
        row.push(Some("e-1".into()));
        let rows = Rows {
            id: "q".into(),
            columns,
            rows: vec![],
        };
        let (file, f) = finding(&engine, &rows, &row).unwrap();
        assert_eq!(
            file.name(),
            "s3://trail/AWSLogs/1/CloudTrail/us-east-1/2024/01/15/f.json.gz"
        );
        assert_eq!(
            f.id(),
            rules::finding_id(Some("e-1"), "cis-4.3-root-account-usage", "")
        );
        assert_eq!(f.severity, rules::Severity::High);
        assert!(!f.controls.is_empty(), "the rule's controls");
        assert_eq!(f.error_code, None);
        assert_eq!(f.source_ip.as_deref(), Some("source_ip-value"));
    }

    #[test]
    fn hunt_values_are_typed_by_their_column() {
        let rows = Rows {
            id: "q".into(),
            columns: vec![
                col("region", "varchar"),
                col("calls", "bigint"),
                col("allowed", "boolean"),
                col("ips", "array"),
                col("none", "array"),
                col("first_seen", "varchar"),
            ],
            rows: vec![vec![
                Some("us-east-1".into()),
                Some("12".into()),
                Some("false".into()),
                Some("[192.0.2.1, 198.51.100.7]".into()),
                Some("[]".into()),
                None,
            ]],
        };
        let r = report(&rows);
        assert_eq!(
            r.json[0].get(),
            r#"{"region":"us-east-1","calls":12,"allowed":false,"ips":["192.0.2.1","198.51.100.7"],"none":[],"first_seen":null}"#
        );
        assert_eq!(
            r.cells[0],
            [
                "us-east-1",
                "12",
                "false",
                "192.0.2.1, 198.51.100.7",
                "",
                "-"
            ]
        );
        assert_eq!(r.header[1], "calls");
    }
}
