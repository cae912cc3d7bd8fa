//! `trailwarden rules list`: the rules of a profile (default: every built-in rule) and the config's custom
//! rules, as a table, JSON or Markdown.

use crate::cli::ListArgs;
use crate::output::ListFormat;
use crate::ruleset::Config;
use anyhow::Context;
use comfy_table::{presets, ContentArrangement, Table};
use rules::{CompiledRule, Profile};
use serde::Serialize;
use std::io::{self, Write};
use std::process::ExitCode;

pub fn run(args: ListArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(args.config.as_deref())?;
    let profile = args.profile.unwrap_or(Profile::All);
    let engine = config.engine(Some(profile), &rules::today_utc())?;
    let rows: Vec<RuleRow> = engine.rules().iter().map(RuleRow::new).collect();
    match write(args.format, &rows, &mut io::stdout().lock()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // `trailwarden rules list | head`: the reader has what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing the rule list to stdout failed"),
    }
}

/// One rule as listed (and as serialized by `--format json`).
#[derive(Debug, Serialize)]
pub struct RuleRow {
    pub id: String,
    pub severity: rules::Severity,
    /// e.g. `CIS v1.4-v5.0 4.1`; empty for custom rules.
    pub controls: Vec<String>,
    pub title: String,
    /// `pattern` (a CloudWatch filter pattern) or `code` (a Rust rule).
    pub kind: &'static str,
    /// The filter pattern of a pattern rule.
    pub pattern: Option<String>,
    /// Built into trailwarden, or a custom rule of the config file.
    pub builtin: bool,
}

impl RuleRow {
    fn new(rule: &CompiledRule) -> RuleRow {
        RuleRow {
            id: rule.id().to_owned(),
            severity: rule.severity(),
            controls: rule.controls().iter().map(ToString::to_string).collect(),
            title: rule.title().to_owned(),
            kind: if rule.pattern().is_some() {
                "pattern"
            } else {
                "code"
            },
            pattern: rule.pattern().map(|p| p.source().to_owned()),
            builtin: rule.is_builtin(),
        }
    }

    /// The controls, comma-joined, or `-` for none.
    fn controls_text(&self) -> String {
        if self.controls.is_empty() {
            "-".to_owned()
        } else {
            self.controls.join(", ")
        }
    }
}

pub fn write(format: ListFormat, rows: &[RuleRow], out: &mut dyn Write) -> io::Result<()> {
    match format {
        ListFormat::Table => write_table(rows, out),
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, rows)?;
            writeln!(out)
        }
        ListFormat::Markdown => write_markdown(rows, out),
    }?;
    out.flush()
}

fn write_table(rows: &[RuleRow], out: &mut dyn Write) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["id", "severity", "controls", "title"]);
    for row in rows {
        table.add_row([
            row.id.clone(),
            row.severity.to_string(),
            row.controls_text(),
            row.title.clone(),
        ]);
    }
    writeln!(out, "{table}")
}

/// `| id | severity | controls | title |`, one row per rule in catalog order: the same bytes for the same
/// rules, so documentation that embeds it can be checked by a test.
fn write_markdown(rows: &[RuleRow], out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "| id | severity | controls | title |")?;
    writeln!(out, "|---|---|---|---|")?;
    for row in rows {
        writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            row.id,
            row.severity,
            markdown_cell(&row.controls_text()),
            markdown_cell(&row.title)
        )?;
    }
    Ok(())
}

/// Text safe in a Markdown table cell: one line, `|` escaped, no surrounding whitespace.
fn markdown_cell(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rules::Engine;

    fn rows() -> Vec<RuleRow> {
        let engine =
            Engine::with_ids(&["cis-4.1-unauthorized-api-calls", "root-activity"]).unwrap();
        engine.rules().iter().map(RuleRow::new).collect()
    }

    fn render(format: ListFormat) -> String {
        let mut out = Vec::new();
        write(format, &rows(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn markdown_is_one_row_per_rule_without_trailing_spaces() {
        let text = render(ListFormat::Markdown);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "| id | severity | controls | title |");
        assert_eq!(lines[1], "|---|---|---|---|");
        assert_eq!(lines.len(), 4);
        assert!(lines[2].starts_with("| `cis-4.1-unauthorized-api-calls` | "));
        assert!(lines[2].contains("CIS v1.4-v5.0 4.1, "), "{}", lines[2]);
        assert!(lines[3].starts_with("| `root-activity` | high | "));
        assert!(text.lines().all(|l| l == l.trim_end() && l.ends_with('|')));
        assert!(text.ends_with("|\n"));
    }

    #[test]
    fn markdown_cells_are_escaped() {
        assert_eq!(markdown_cell(" a | b\nc "), "a \\| b c");
    }

    #[test]
    fn json_is_one_array() {
        let v: serde_json::Value = serde_json::from_str(&render(ListFormat::Json)).unwrap();
        let rules = v.as_array().unwrap();
        assert_eq!(rules.len(), 2);
        assert_eq!(rules[0]["id"], "cis-4.1-unauthorized-api-calls");
        assert_eq!(rules[0]["kind"], "pattern");
        assert!(rules[0]["pattern"].as_str().unwrap().starts_with('{'));
        assert_eq!(rules[1]["kind"], "code");
        assert_eq!(rules[1]["pattern"], serde_json::Value::Null);
        assert_eq!(rules[1]["builtin"], true);
    }

    #[test]
    fn table_has_the_four_columns() {
        let text = render(ListFormat::Table);
        for needle in ["id", "severity", "controls", "title", "root-activity"] {
            assert!(text.contains(needle), "{needle} not in\n{text}");
        }
    }
}
