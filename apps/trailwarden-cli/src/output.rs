//! Output: the formats every command prints in (chosen with `--format`), the streamed JSON array they share,
//! and the writers of findings: JSON Lines for machines, a table for people.

use crate::location::LogFile;
use clap::ValueEnum;
use comfy_table::{presets, ContentArrangement, Table};
use rules::{Finding, Severity};
use serde::Serialize;
use std::io::{self, IsTerminal, Write};

/// How findings (and matching records) are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// One JSON array.
    Json,
    /// A table for reading in a terminal.
    Table,
}

impl Format {
    /// The format to use when none was asked for: a table for a person at a terminal, JSON Lines for
    /// pipes and files (so `trailwarden scan … | jq` works without a flag).
    pub fn for_stdout() -> Format {
        if io::stdout().is_terminal() {
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

/// How `rules coverage` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CoverageFormat {
    /// Markdown: a summary line, the ATT&CK matrix, the Stratus Red Team table (what README embeds).
    Markdown,
    /// One JSON object: `attack` (rows of tactic, technique, name, rules) and `stratus` (rows of technique,
    /// rules, status, reason).
    Json,
}

impl std::fmt::Display for CoverageFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CoverageFormat::Markdown => "markdown",
            CoverageFormat::Json => "json",
        })
    }
}

/// How hunt rows are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HuntFormat {
    /// A table for reading in a terminal.
    Table,
    /// One JSON array of row objects.
    Json,
}

impl HuntFormat {
    pub fn for_stdout() -> HuntFormat {
        if io::stdout().is_terminal() {
            HuntFormat::Table
        } else {
            HuntFormat::Json
        }
    }
}

/// How `rules explain` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Readable text.
    Text,
    /// One JSON array, one object per record found.
    Json,
}

impl std::fmt::Display for ExplainFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ExplainFormat::Text => "text",
            ExplainFormat::Json => "json",
        })
    }
}

/// Where findings go, in the order they are found.
pub trait FindingWriter {
    /// Takes one finding of the log file `file`.
    fn write(&mut self, file: &LogFile, finding: Finding) -> io::Result<()>;

    /// Called after each log file, so JSON Lines reach a pipe file by file rather than when a buffer fills.
    fn flush(&mut self) -> io::Result<()>;

    /// Called once after the last file.
    fn finish(&mut self) -> io::Result<()>;
}

/// The writer for `format`, writing to `out`.
pub fn writer<'w, W: Write + 'w>(format: Format, out: W) -> Box<dyn FindingWriter + 'w> {
    match format {
        Format::Jsonl => Box::new(JsonLines::new(out)),
        Format::Json => Box::new(JsonArrayFindings(JsonArray::new(out))),
        Format::Table => Box::new(TableWriter::new(out)),
    }
}

/// One JSON array, written element by element (`[`, elements separated by `,` on their own lines, `]`), so
/// a long scan's output is not held in memory; an empty run prints `[]`.
pub struct JsonArray<W: Write> {
    out: io::BufWriter<W>,
    first: bool,
}

impl<W: Write> JsonArray<W> {
    pub fn new(out: W) -> Self {
        JsonArray {
            out: io::BufWriter::new(out),
            first: true,
        }
    }

    pub fn push<T: Serialize + ?Sized>(&mut self, item: &T) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"[\n" } else { b",\n" })?;
        self.first = false;
        serde_json::to_writer(&mut self.out, item)?;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    pub fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.first { b"[]\n" } else { b"\n]\n" })?;
        self.first = true;
        self.out.flush()
    }
}

struct JsonArrayFindings<W: Write>(JsonArray<W>);

impl<W: Write> FindingWriter for JsonArrayFindings<W> {
    fn write(&mut self, file: &LogFile, finding: Finding) -> io::Result<()> {
        self.0.push(&Line::new(file, &finding))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.0.finish()
    }
}

/// One JSON object per line: the finding's own fields plus `file` and `finding_id`.
pub struct JsonLines<W: Write> {
    out: io::BufWriter<W>,
}

/// A finding as the JSON formats print it.
#[derive(Serialize)]
struct Line<'a> {
    /// The log file, as given on the command line or found in a directory, or `s3://bucket/key`.
    file: String,
    /// [`Finding::id`]: the id the Lambda's alert for this finding carries.
    finding_id: String,
    #[serde(flatten)]
    finding: &'a Finding,
}

impl<'a> Line<'a> {
    fn new(file: &LogFile, finding: &'a Finding) -> Line<'a> {
        Line {
            file: file.name(),
            finding_id: finding.id(),
            finding,
        }
    }
}

impl<W: Write> JsonLines<W> {
    pub fn new(out: W) -> Self {
        JsonLines {
            out: io::BufWriter::new(out),
        }
    }
}

impl<W: Write> FindingWriter for JsonLines<W> {
    fn write(&mut self, file: &LogFile, finding: Finding) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &Line::new(file, &finding))?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// The columns of the table, kept instead of whole findings (which hold the raw record).
struct Row {
    severity: Severity,
    rule_id: String,
    event_time: Option<String>,
    event_name: Option<String>,
    principal: Option<String>,
    source_ip: Option<String>,
    /// The file name only: full paths into an `AWSLogs/` tree would take the whole width.
    file_name: String,
    note: Option<String>,
}

/// A table, printed when every file has been scanned (column widths depend on every row).
pub struct TableWriter<W: Write> {
    out: W,
    rows: Vec<Row>,
}

impl<W: Write> TableWriter<W> {
    pub fn new(out: W) -> Self {
        TableWriter {
            out,
            rows: Vec::new(),
        }
    }
}

impl<W: Write> FindingWriter for TableWriter<W> {
    fn write(&mut self, file: &LogFile, finding: Finding) -> io::Result<()> {
        let file_name = file.short_name();
        self.rows.push(Row {
            severity: finding.severity,
            rule_id: finding.rule_id,
            event_time: finding.event_time,
            event_name: finding.event_name,
            principal: finding.principal,
            source_ip: finding.source_ip,
            file_name,
            note: finding.note,
        });
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            writeln!(self.out, "no findings")?;
            return self.out.flush();
        }
        // The note column (a code rule's context, an expired exclusion) only when some finding has one.
        let notes = self.rows.iter().any(|r| r.note.is_some());
        let mut header = vec![
            "severity",
            "rule",
            "event time",
            "event name",
            "principal",
            "source ip",
            "file",
        ];
        if notes {
            header.push("note");
        }
        let mut table = Table::new();
        table
            .load_style(presets::UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header(header);
        let or_dash = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
        for row in self.rows.drain(..) {
            let mut cells = vec![
                row.severity.to_string(),
                row.rule_id,
                or_dash(row.event_time),
                or_dash(row.event_name),
                or_dash(row.principal),
                or_dash(row.source_ip),
                row.file_name,
            ];
            if notes {
                cells.push(row.note.unwrap_or_default());
            }
            table.add_row(cells);
        }
        writeln!(self.out, "{table}")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rules::Engine;
    use serde_json::Value;
    use std::path::PathBuf;

    fn local(path: &str) -> LogFile {
        LogFile::Local(PathBuf::from(path))
    }

    fn finding() -> Finding {
        let engine = Engine::with_ids(&["cis-4.3-root-account-usage"]).unwrap();
        let raw = r#"{ "eventID": "e-1", "eventName": "ConsoleLogin", "eventTime": "2024-01-15T12:00:00Z",
            "eventType": "AwsConsoleSignIn", "sourceIPAddress": "198.51.100.7",
            "userIdentity": { "type": "Root", "arn": "arn:aws:iam::111122223333:root" } }"#;
        let value = cloudtrail::Parsed::new(raw.as_bytes()).unwrap();
        let (rule, hit) = engine
            .matching(value.root())
            .next()
            .expect("the record matches");
        Finding::new(rule, hit, value.root())
    }

    #[test]
    fn json_lines_carry_every_finding_field_and_the_file() {
        let mut out = Vec::new();
        let mut w = JsonLines::new(&mut out);
        w.write(&local("logs/a.json.gz"), finding()).unwrap();
        w.write(&local("logs/b.json"), finding()).unwrap();
        w.finish().unwrap();
        drop(w);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["file"], "logs/a.json.gz");
        assert_eq!(lines[1]["file"], "logs/b.json");
        assert_eq!(lines[0]["rule_id"], "cis-4.3-root-account-usage");
        assert_eq!(lines[0]["severity"], "high");
        assert_eq!(lines[0]["event_id"], "e-1");
        assert_eq!(lines[0]["record"]["userIdentity"]["type"], "Root");
        assert_eq!(lines[0]["finding_id"], finding().id());
        let expected: Value = serde_json::to_value(finding()).unwrap();
        for key in expected.as_object().unwrap().keys() {
            assert!(lines[0].get(key).is_some(), "missing {key}");
        }
    }

    #[test]
    fn table_shows_the_short_columns() {
        let mut out = Vec::new();
        let mut w = TableWriter::new(&mut out);
        w.write(&local("AWSLogs/x/a.json.gz"), finding()).unwrap();
        w.finish().unwrap();
        drop(w);
        let text = String::from_utf8(out).unwrap();
        for needle in [
            "severity",
            "high",
            "cis-4.3-root-account-usage",
            "ConsoleLogin",
            "198.51.100.7",
            "a.json.gz",
        ] {
            assert!(text.contains(needle), "{needle} not in\n{text}");
        }
        assert!(!text.contains("AWSLogs/x"), "{text}");
    }

    #[test]
    fn table_has_a_note_column_only_when_a_finding_has_a_note() {
        let render = |note: Option<&str>| {
            let mut out = Vec::new();
            let mut w = TableWriter::new(&mut out);
            let mut f = finding();
            f.note = note.map(str::to_owned);
            w.write(&local("a.json.gz"), f).unwrap();
            w.write(&local("b.json.gz"), finding()).unwrap();
            w.finish().unwrap();
            drop(w);
            String::from_utf8(out).unwrap()
        };
        let plain = render(None);
        assert!(!plain.contains("note"), "{plain}");
        let noted = render(Some("exclusion x matched but expired on 2024-01-01"));
        assert!(noted.contains("note"), "{noted}");
        assert!(noted.contains("expired on 2024-01-01"), "{noted}");
    }

    #[test]
    fn json_is_one_array_streamed() {
        let render = |n: usize| {
            let mut out = Vec::new();
            let mut w = writer(Format::Json, &mut out);
            for _ in 0..n {
                let s3 = LogFile::S3 {
                    bucket: "b".into(),
                    key: "AWSLogs/k.json.gz".into(),
                };
                w.write(&s3, finding()).unwrap();
            }
            w.finish().unwrap();
            drop(w);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(render(0), "[]\n");
        let v: Value = serde_json::from_str(&render(2)).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 2);
        assert_eq!(v[1]["file"], "s3://b/AWSLogs/k.json.gz");
        assert_eq!(v[1]["rule_id"], "cis-4.3-root-account-usage");
        assert_eq!(v[1]["finding_id"], finding().id());
    }

    #[test]
    fn empty_table_says_so() {
        let mut out = Vec::new();
        TableWriter::new(&mut out).finish().unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "no findings\n");
    }
}
