//! The noise budget (issue 18): findings per 100,000 records, rule by rule, of one profile over a generated
//! file. The counts are the pipeline measurement's own ([`PipelineResult::per_rule`]: `LogReader` →
//! `scan_log`, whose windows count threshold rules too), so the rates and the speed come from the same run.

use crate::measure::PipelineResult;
use rules::{Engine, Profile};
use serde::Serialize;
use std::fmt::Write as _;

/// Rates above this many findings per 100,000 records are named in the report: on benign traffic a default
/// rule should stay below it.
pub const QUIET_PER_100K: f64 = 1.0;

/// One rule that fired at least once.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRate {
    pub rule_id: String,
    pub findings: u64,
    /// Findings per 100,000 records.
    pub per_100k: f64,
    /// A threshold rule (one finding per full window, not per record).
    pub threshold: bool,
}

/// The per-rule finding rates of one profile over one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Noise {
    pub profile: String,
    pub records: u64,
    /// Rules the profile runs.
    pub rules: usize,
    /// The rules that fired, most findings first (then by id).
    pub firing: Vec<RuleRate>,
    /// Rules of the profile that never fired.
    pub silent: usize,
}

/// Findings per 100,000 records (0 for an empty file).
pub fn per_100k(findings: u64, records: u64) -> f64 {
    if records == 0 {
        0.0
    } else {
        findings as f64 * 100_000.0 / records as f64
    }
}

/// The rates of `result`, a pipeline run with `profile` (whose rules say which are threshold rules).
pub fn noise(profile: Profile, result: &PipelineResult) -> anyhow::Result<Noise> {
    let engine = Engine::profile(profile)?;
    let is_threshold = |id: &str| engine.rule(id).is_some_and(|r| r.threshold().is_some());
    let mut firing: Vec<RuleRate> = result
        .per_rule
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(id, &n)| RuleRate {
            rule_id: id.clone(),
            findings: n,
            per_100k: per_100k(n, result.records),
            threshold: is_threshold(id),
        })
        .collect();
    firing.sort_by(|a, b| b.findings.cmp(&a.findings).then(a.rule_id.cmp(&b.rule_id)));
    Ok(Noise {
        profile: profile.as_str().to_owned(),
        records: result.records,
        rules: result.rules,
        silent: result.rules.saturating_sub(firing.len()),
        firing,
    })
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The report's section: one row per rule that fired, one line for the rules that never did, and the rules
/// above [`QUIET_PER_100K`].
pub fn render(n: &Noise) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| rule | findings | per 100,000 records |\n|---|---:|---:|"
    );
    for r in &n.firing {
        let _ = writeln!(
            s,
            "| {}{} | {} | {:.1} |",
            r.rule_id,
            if r.threshold { " (threshold)" } else { "" },
            thousands(r.findings),
            r.per_100k
        );
    }
    let _ = writeln!(s, "\n{} rules: 0", n.silent);
    let loud: Vec<String> = n
        .firing
        .iter()
        .filter(|r| r.per_100k > QUIET_PER_100K)
        .map(|r| format!("{} ({:.1})", r.rule_id, r.per_100k))
        .collect();
    let _ = writeln!(
        s,
        "Above {QUIET_PER_100K:.0} per 100,000 records: {}.",
        if loud.is_empty() {
            "none".to_owned()
        } else {
            loud.join(", ")
        }
    );
    s
}
