//! `trailwarden rules explain --event-id ID PATH…`: why a record did or did not alert. Finds the record in
//! the inputs and evaluates it as `scan` would (same config file, profile and exclusions), then shows each
//! rule that matched with its outcome, the terms of its pattern and the exclusion that suppressed it.

use crate::cli::ExplainArgs;
use crate::commands::inputs;
use crate::exit;
use crate::output::ExplainFormat;
use crate::parallel_read::{self, Item, Progress};
use crate::records;
use crate::ruleset::{self, Config};
use anyhow::{anyhow, Context};
use rules::{CompiledRule, Engine, Exclusion, Outcome};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

pub fn run(args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(args.selection.config.as_deref())?;
    let flag = args.selection.profile;
    let profile = config.profile(flag);
    let engine = config.engine(flag, &rules::today_utc())?;
    // Only to check the ids (with the reason when one is not selected); the whole engine is evaluated.
    ruleset::narrow(engine.clone(), &args.rules, &config, profile)?;
    let sources = inputs::sources(&args.input)?;
    let progress = Progress::new();
    let (window, s3) = (sources.window, sources.s3());
    let id = args.event_id.as_str();
    let mut found = Vec::new();
    let (mut records, mut files, mut failed) = (0u64, 0u64, 0u64);
    let done: Result<(), std::convert::Infallible> = parallel_read::run(
        parallel_read::counted(sources.discovery(), &progress),
        sources.jobs,
        |file| {
            records::read::<Value, _>(file, s3, window, |index, value| {
                (value.get("eventID").and_then(Value::as_str) == Some(id)).then_some((index, value))
            })
        },
        |item| {
            match item {
                Item::File(file, read) => {
                    records += read.records;
                    match read.error {
                        None => files += 1,
                        Some(e) => {
                            progress.println(format!("error: {}: {e}", file.name()));
                            failed += 1;
                        }
                    }
                    for (index, value) in read.kept {
                        found.push(explain(&engine, &args.rules, &file.name(), index, &value));
                    }
                }
                Item::Skipped(_) => {}
                Item::Failed { name, error } => {
                    progress.println(format!("error: {name}: {error}"));
                    failed += 1;
                }
            }
            progress.done(|| format!("{records} records"));
            Ok(())
        },
    );
    let Ok(()) = done;
    progress.finish();
    if found.is_empty() {
        return Err(anyhow!(
            "no record with eventID {id:?} in {records} records of {files} files{}",
            if failed > 0 {
                format!(" ({failed} inputs could not be read)")
            } else {
                String::new()
            }
        ));
    }
    let context = format!(
        "{} evaluated (profile {}{})",
        engine.rules().len(),
        profile,
        config
            .path
            .as_deref()
            .map(|p| format!(", config {p}"))
            .unwrap_or_default()
    );
    let text = match args.format {
        ExplainFormat::Json => {
            let mut s = serde_json::to_string_pretty(&found).context("serializing")?;
            s.push('\n');
            s
        }
        ExplainFormat::Text => found
            .iter()
            .map(|e| render(e, &context))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e).context("writing to stdout failed"),
    }
    Ok(if failed > 0 {
        ExitCode::from(exit::ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// One record, explained.
#[derive(Debug, Serialize)]
pub struct Explained {
    pub file: String,
    /// Position in the file's `Records` array.
    pub index: usize,
    pub event_id: Option<String>,
    pub event_name: Option<String>,
    pub event_time: Option<String>,
    pub principal: Option<String>,
    pub source_ip: Option<String>,
    pub error_code: Option<String>,
    pub rules_evaluated: usize,
    /// The rules that matched, in catalog order, then the rules named by `--rules` that did not.
    pub rules: Vec<Verdict>,
    /// How many other rules did not match.
    pub not_matched: usize,
}

/// One rule's verdict on the record.
#[derive(Debug, Serialize)]
pub struct Verdict {
    pub rule_id: String,
    pub title: String,
    pub severity: String,
    /// `pattern` or `code`.
    pub kind: &'static str,
    pub matched: bool,
    /// `finding` (an alert), `suppressed` (an exclusion applies) or `no match`.
    pub outcome: &'static str,
    /// A code rule's note for the alert.
    pub note: Option<String>,
    /// Each term of a pattern rule's pattern, in source order, and whether it held.
    pub terms: Option<Vec<Term>>,
    /// The exclusion that suppressed the finding.
    pub suppressed_by: Option<ExclusionVerdict>,
    /// An exclusion that matched but had expired (the alert is sent, with a note).
    pub expired_exclusion: Option<ExclusionVerdict>,
    /// For a threshold rule: its count N, window W, key and distinct fields. A matching record counts toward
    /// the rule; the alert needs N of them (see `trailwarden scan`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<ThresholdVerdict>,
}

/// A threshold rule's threshold, as `rules explain` shows it.
#[derive(Debug, Serialize)]
pub struct ThresholdVerdict {
    pub count: u32,
    pub window_minutes: u32,
    pub group_by: Vec<String>,
    pub distinct: Vec<String>,
    /// e.g. `at least 10 distinct requestParameters.secretId within 10 minutes per userIdentity.arn`.
    pub description: String,
}

#[derive(Debug, Serialize)]
pub struct Term {
    pub term: String,
    pub matched: bool,
}

#[derive(Debug, Serialize)]
pub struct ExclusionVerdict {
    pub id: String,
    pub reason: String,
    pub expires: Option<String>,
    /// The terms of the exclusion's condition.
    pub terms: Vec<Term>,
}

fn terms(pattern: &rules::Pattern, record: &Value) -> Vec<Term> {
    pattern
        .explain(record)
        .into_iter()
        .map(|t| Term {
            term: t.term,
            matched: t.matched,
        })
        .collect()
}

fn exclusion(x: &Exclusion, record: &Value) -> ExclusionVerdict {
    ExclusionVerdict {
        id: x.id.clone(),
        reason: x.reason.clone(),
        expires: x.expires.clone(),
        terms: terms(x.pattern(), record),
    }
}

/// Evaluates a record with the engine, as `scan` does, and keeps the reasons.
pub fn explain(
    engine: &Engine,
    named: &[String],
    file: &str,
    index: usize,
    record: &Value,
) -> Explained {
    let parsed = cloudtrail::Parsed::from_value(record);
    let node = parsed.root();
    let outcomes: Vec<Outcome<'_>> = engine.evaluate(node).collect();
    let outcome_of = |rule: &CompiledRule| {
        outcomes.iter().find(|o| match o {
            Outcome::Finding { rule: r, .. } | Outcome::Suppressed { rule: r, .. } => {
                r.id() == rule.id()
            }
        })
    };
    let verdict = |rule: &CompiledRule| {
        let outcome = outcome_of(rule);
        let (label, suppressed_by, expired) = match outcome {
            Some(Outcome::Finding { expired, .. }) => {
                ("finding", None, expired.map(|x| exclusion(x, record)))
            }
            Some(Outcome::Suppressed { exclusion: x, .. }) => {
                ("suppressed", Some(exclusion(x, record)), None)
            }
            None => ("no match", None, None),
        };
        Verdict {
            rule_id: rule.id().to_owned(),
            title: rule.title().to_owned(),
            severity: rule.severity().to_string(),
            kind: if rule.threshold().is_some() {
                "threshold"
            } else if rule.pattern().is_some() {
                "pattern"
            } else {
                "code"
            },
            matched: outcome.is_some(),
            outcome: label,
            note: match outcome {
                Some(Outcome::Finding { hit, .. }) => hit.note.map(str::to_owned),
                _ => rule
                    .evaluate(node, engine.context())
                    .and_then(|h| h.note)
                    .map(str::to_owned),
            },
            terms: rule.pattern().map(|p| terms(p, record)),
            suppressed_by,
            expired_exclusion: expired,
            threshold: rule.threshold().map(|t| ThresholdVerdict {
                count: t.count(),
                window_minutes: t.window_minutes(),
                group_by: t.group_by().to_vec(),
                distinct: t.distinct().to_vec(),
                description: t.describe(),
            }),
        }
    };
    let mut rules: Vec<Verdict> = engine
        .rules()
        .iter()
        .filter(|r| outcome_of(r).is_some())
        .map(verdict)
        .collect();
    rules.extend(
        engine
            .rules()
            .iter()
            .filter(|r| outcome_of(r).is_none() && named.iter().any(|n| n == r.id()))
            .map(verdict),
    );
    let str_at = |path: &[&str]| {
        path.iter()
            .try_fold(record, |v, k| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Explained {
        file: file.to_owned(),
        index,
        event_id: str_at(&["eventID"]),
        event_name: str_at(&["eventName"]),
        event_time: str_at(&["eventTime"]),
        // The record vocabulary's principal fallback, the one findings use (this list had left out userName).
        principal: cloudtrail::vocab::PrincipalField::ALL
            .into_iter()
            .find_map(|field| str_at(&["userIdentity", field.key()])),
        source_ip: str_at(&["sourceIPAddress"]),
        error_code: str_at(&["errorCode"]),
        rules_evaluated: engine.rules().len(),
        not_matched: engine.rules().len() - rules.len(),
        rules,
    }
}

fn mark(matched: bool) -> &'static str {
    if matched {
        "✓"
    } else {
        "✗"
    }
}

/// The text form.
pub fn render(e: &Explained, context: &str) -> String {
    let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        s,
        "event {} ({} at {})",
        dash(&e.event_id),
        dash(&e.event_name),
        dash(&e.event_time)
    );
    let _ = writeln!(s, "  file:      {}, record {}", e.file, e.index);
    let _ = writeln!(
        s,
        "  principal: {} from {}",
        dash(&e.principal),
        dash(&e.source_ip)
    );
    if let Some(code) = &e.error_code {
        let _ = writeln!(s, "  error:     {code}");
    }
    let matched = e.rules.iter().filter(|v| v.matched).count();
    let suppressed = e.rules.iter().filter(|v| v.outcome == "suppressed").count();
    let _ = writeln!(
        s,
        "  rules:     {context}: {matched} matched ({} alert{}, {suppressed} suppressed)",
        matched - suppressed,
        if matched - suppressed == 1 { "" } else { "s" }
    );
    for v in &e.rules {
        let _ = writeln!(s);
        let verdict = match (v.outcome, &v.suppressed_by) {
            ("suppressed", Some(x)) => format!("SUPPRESSED by exclusion {}", x.id),
            ("finding", _) if v.threshold.is_some() => {
                "MATCHED: counts toward the threshold".to_owned()
            }
            ("finding", _) => "MATCHED: alert".to_owned(),
            _ => "no match".to_owned(),
        };
        let _ = writeln!(s, "{} [{}]: {verdict}", v.rule_id, v.severity);
        let _ = writeln!(s, "  {}", v.title);
        if let Some(t) = &v.threshold {
            let _ = writeln!(
                s,
                "  threshold: {} (count {}, window {} minutes); one record alone does not alert",
                t.description, t.count, t.window_minutes
            );
        }
        match &v.terms {
            Some(terms) => {
                let _ = writeln!(s, "  pattern terms (✓ held, ✗ did not):");
                for t in terms {
                    let _ = writeln!(s, "    {} {}", mark(t.matched), t.term);
                }
            }
            None => {
                let _ = writeln!(
                    s,
                    "  code rule: {}",
                    if v.matched {
                        "matched"
                    } else {
                        "did not match"
                    }
                );
            }
        }
        if let Some(note) = &v.note {
            let _ = writeln!(s, "  note: {note}");
        }
        for (label, x) in [
            ("suppressed by exclusion", &v.suppressed_by),
            ("matched an expired exclusion", &v.expired_exclusion),
        ] {
            let Some(x) = x else { continue };
            let expires = x.expires.as_deref().unwrap_or("never");
            let _ = writeln!(s, "  {label} {}: {} (expires {expires})", x.id, x.reason);
            for t in &x.terms {
                let _ = writeln!(s, "    {} {}", mark(t.matched), t.term);
            }
        }
    }
    if e.not_matched > 0 {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{} other rule{} did not match (name one with --rules ID to see its terms).",
            e.not_matched,
            if e.not_matched == 1 { "" } else { "s" }
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn engine(config: &str) -> Engine {
        let cfg = rules::RulesConfig::parse(config, "t.toml").unwrap();
        Engine::from_config(&cfg, "2026-01-01").unwrap()
    }

    fn denied() -> Value {
        json!({"eventID": "e2", "eventName": "GetBucketPolicy", "eventTime": "2024-01-15T12:02:00Z",
               "errorCode": "AccessDenied", "sourceIPAddress": "198.51.100.23",
               "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice"}})
    }

    #[test]
    fn shows_terms_and_the_suppressing_exclusion() {
        let engine = engine(
            "[[exclusions]]\nid = \"audit\"\nreason = \"the audit job\"\n\
             match = { eventName = \"GetBucketPolicy\" }\n",
        );
        let e = explain(&engine, &[], "f.json", 1, &denied());
        let ids: Vec<&str> = e.rules.iter().map(|v| v.rule_id.as_str()).collect();
        assert_eq!(ids, ["cis-4.1-unauthorized-api-calls"]);
        let v = &e.rules[0];
        assert_eq!(v.outcome, "suppressed");
        let x = v.suppressed_by.as_ref().unwrap();
        assert_eq!(x.id, "audit");
        assert!(x.terms.iter().all(|t| t.matched));
        let terms = v.terms.as_ref().unwrap();
        assert!(terms
            .iter()
            .any(|t| t.matched && t.term.contains("AccessDenied")));
        assert!(terms
            .iter()
            .any(|t| !t.matched && t.term.contains("UnauthorizedOperation")));
        assert_eq!(e.not_matched, engine.rules().len() - 1);
        let text = render(&e, "ctx");
        assert!(
            text.contains("cis-4.1-unauthorized-api-calls [medium]: SUPPRESSED by exclusion audit"),
            "{text}"
        );
        assert!(
            text.contains("suppressed by exclusion audit: the audit job (expires never)"),
            "{text}"
        );
        assert!(
            text.contains("1 matched (0 alerts, 1 suppressed)"),
            "{text}"
        );
    }

    #[test]
    fn named_rules_are_explained_when_they_do_not_match() {
        let engine = engine("profile = \"all\"\n");
        let named = [
            "cis-4.3-root-account-usage".to_owned(),
            "root-activity".to_owned(),
        ];
        let e = explain(&engine, &named, "f.json", 1, &denied());
        let got: Vec<(&str, &str, &str)> = e
            .rules
            .iter()
            .map(|v| (v.rule_id.as_str(), v.kind, v.outcome))
            .collect();
        assert_eq!(
            got,
            [
                ("cis-4.1-unauthorized-api-calls", "pattern", "finding"),
                // A denied List call counts toward the enumeration threshold (profile all).
                ("enumeration-burst", "threshold", "finding"),
                ("cis-4.3-root-account-usage", "pattern", "no match"),
                ("root-activity", "code", "no match"),
            ]
        );
        let root = &e.rules[2];
        assert!(root
            .terms
            .as_ref()
            .unwrap()
            .iter()
            .any(|t| !t.matched && t.term.contains("Root")));
        assert!(e.rules[3].terms.is_none());
        let text = render(&e, "ctx");
        assert!(
            text.contains("MATCHED: counts toward the threshold"),
            "{text}"
        );
        assert!(text.contains("code rule: did not match"), "{text}");
        assert!(text.contains("MATCHED: alert"), "{text}");
    }
}
