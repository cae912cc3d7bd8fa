//! `trailwarden rules sql`: the selected rules as Athena (Trino) SQL (`compile::sql::rule_query`), one query per
//! pattern rule with the config file's exclusions; code and threshold rules are named with the reason they have
//! no SQL form, never left out.

use crate::cli::{SqlArgs, SqlFormat};
use crate::ruleset::{narrow, Config};
use crate::window::Bound;
use anyhow::Context;
use chrono::{DateTime, Days, TimeDelta, Utc};
use compile::sql::{engine_queries, RuleSql, TimeRange};
use serde_json::json;
use std::io::{self, Write};
use std::process::ExitCode;

pub fn run(args: SqlArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(args.selection.config.as_deref())?;
    if let Some(hunt) = &args.hunt {
        let range = time_range(args.since, args.until)?;
        let sql = hunt_query(hunt, &config.rules, &args.table, &range)?;
        let name = hunt.split_whitespace().next().unwrap_or_default();
        let text = match args.format {
            SqlFormat::Sql => format!("-- hunt {name}\n{sql};\n"),
            SqlFormat::Json => {
                let mut t = serde_json::to_string_pretty(&json!([{"hunt": name, "sql": sql}]))
                    .context("serializing the query")?;
                t.push('\n');
                t
            }
        };
        return write_out(&text);
    }
    let profile = config.profile(args.selection.profile);
    let engine = config.engine(args.selection.profile, &rules::today_utc())?;
    let engine = narrow(engine, &args.ids, &config, profile)?;
    let range = time_range(args.since, args.until)?;
    let queries = engine_queries(&engine, &args.table, &range);
    let text = render(&queries, args.format)?;
    summary(&queries);
    write_out(&text)
}

fn write_out(text: &str) -> anyhow::Result<ExitCode> {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing the queries to stdout failed"),
    }
}

/// A hunt's SQL from `--hunt 'NAME [ARG...]'` (the arguments split at whitespace and parsed as `trailwarden
/// hunt NAME` parses them).
pub fn hunt_query(
    spec: &str,
    config: &rules::RulesConfig,
    table: &str,
    range: &TimeRange,
) -> anyhow::Result<String> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let Some(name) = words.first() else {
        anyhow::bail!("--hunt needs a hunt's name");
    };
    let Some(entry) = crate::hunts::find(name) else {
        let names: Vec<&str> = crate::hunts::ALL.iter().map(|h| h.name).collect();
        anyhow::bail!("unknown hunt {name:?}; hunts: {}", names.join(", "));
    };
    let command = (entry.args)(clap::Command::new(entry.name).no_binary_name(true));
    let matches = command
        .try_get_matches_from(words.get(1..).unwrap_or_default())
        .map_err(|e| anyhow::anyhow!("--hunt {spec:?}: {e}"))?;
    (entry.sql)(&matches, config, table, range).map_err(|e| anyhow::anyhow!("--hunt {spec:?}: {e}"))
}

/// `--since` (inclusive) and `--until` (a day: the whole day; a time: up to that second) as a half-open range.
pub fn time_range(since: Option<Bound>, until: Option<Bound>) -> anyhow::Result<TimeRange> {
    let midnight =
        |d: chrono::NaiveDate| -> DateTime<Utc> { d.and_time(chrono::NaiveTime::MIN).and_utc() };
    let since = since.map(|b| match b {
        Bound::Day(d) => midnight(d),
        Bound::Instant(t) => t,
    });
    let until = match until {
        None => None,
        Some(Bound::Day(d)) => Some(midnight(
            d.checked_add_days(Days::new(1))
                .context("--until is the last representable day")?,
        )),
        Some(Bound::Instant(t)) => Some(t + TimeDelta::seconds(1)),
    };
    if let (Some(s), Some(u)) = (since, until) {
        anyhow::ensure!(s < u, "--since is after --until");
    }
    Ok(TimeRange { since, until })
}

/// The output: SQL (each query after a comment naming its rule, `;`-terminated; a rule without a SQL form as a
/// comment with the reason) or JSON (`[{"rule_id", "sql"}]`, `"sql": null` with `"reason"`).
pub fn render(queries: &[RuleSql], format: SqlFormat) -> anyhow::Result<String> {
    Ok(match format {
        SqlFormat::Sql => {
            let mut out = String::new();
            for q in queries {
                match &q.sql {
                    Ok(sql) => {
                        out.push_str(&format!("-- {}\n{sql};\n\n", q.rule_id));
                    }
                    Err(e) => {
                        let reason = e.reason.replace('\n', " ");
                        out.push_str(&format!("-- {}: no SQL form: {reason}\n\n", q.rule_id));
                    }
                }
            }
            out
        }
        SqlFormat::Json => {
            let items: Vec<_> = queries
                .iter()
                .map(|q| match &q.sql {
                    Ok(sql) => json!({"rule_id": q.rule_id, "sql": sql}),
                    Err(e) => json!({"rule_id": q.rule_id, "sql": null, "reason": e.reason}),
                })
                .collect();
            let mut text =
                serde_json::to_string_pretty(&items).context("serializing the queries")?;
            text.push('\n');
            text
        }
    })
}

#[allow(
    clippy::print_stderr,
    reason = "the count and the rules without a SQL form are a notice beside the queries on stdout"
)]
fn summary(queries: &[RuleSql]) {
    let without: Vec<&str> = queries
        .iter()
        .filter(|q| q.sql.is_err())
        .map(|q| q.rule_id.as_str())
        .collect();
    eprintln!(
        "{} quer{} for {} rule(s); {} without a SQL form{}{}",
        queries.len() - without.len(),
        if queries.len() - without.len() == 1 {
            "y"
        } else {
            "ies"
        },
        queries.len(),
        without.len(),
        if without.is_empty() { "" } else { ": " },
        without.join(", ")
    );
}

#[cfg(test)]
mod conformance;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_instants_make_a_half_open_range() {
        let r = time_range(
            Some(Bound::parse("2024-01-15").unwrap()),
            Some(Bound::parse("2024-01-31").unwrap()),
        )
        .unwrap();
        assert_eq!(r.since.unwrap().to_rfc3339(), "2024-01-15T00:00:00+00:00");
        assert_eq!(r.until.unwrap().to_rfc3339(), "2024-02-01T00:00:00+00:00");
        let r = time_range(None, Some(Bound::parse("2024-01-31T10:00:00Z").unwrap())).unwrap();
        assert_eq!(r.until.unwrap().to_rfc3339(), "2024-01-31T10:00:01+00:00");
        assert!(time_range(
            Some(Bound::parse("2024-02-01").unwrap()),
            Some(Bound::parse("2024-01-31").unwrap())
        )
        .is_err());
    }
}
