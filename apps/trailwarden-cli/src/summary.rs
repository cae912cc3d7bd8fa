//! The counters of a run, printed on stderr at the end.

use crate::location::Skip;
use rules::{Engine, ScanStats};
use std::collections::BTreeMap;
use std::fmt;

/// What a scan did, across every file.
#[derive(Debug, Default)]
pub struct Summary {
    /// Files read to the end.
    pub files_scanned: u64,
    /// Records of the files read to the end.
    pub records: u64,
    /// With `--since`/`--until`: records of those files outside the window (read, not evaluated).
    pub outside_window: Option<u64>,
    /// How many rules the engine evaluated.
    pub rules_evaluated: usize,
    /// Findings printed, per rule, in the engine's rule order then `unevaluated-record` (rules without findings
    /// are kept here but not printed). Counted as they are printed, so findings of a file that failed part way
    /// are included.
    pub findings: Vec<(String, u64)>,
    /// Findings suppressed by exclusions, per exclusion id, in the config file's order (every exclusion is
    /// listed, also with 0, so a stale exclusion shows). Counted for files read to the end.
    pub suppressed: Vec<(String, u64)>,
    /// Records of the files read to the end that could not be evaluated (each is also an
    /// `unevaluated-record` finding).
    pub unevaluated: u64,
    /// Threshold-rule events not counted (a state cap was full, or no valid `eventTime`).
    pub threshold_uncounted: u64,
    pub skipped: BTreeMap<Skip, u64>,
    /// Files that could not be read, and paths that could not be examined.
    pub failed: u64,
}

impl Summary {
    pub fn new(engine: &Engine) -> Summary {
        Summary {
            rules_evaluated: engine.rules().len(),
            findings: engine
                .rules()
                .iter()
                .map(|r| (r.id().to_owned(), 0))
                .chain([(rules::UNEVALUATED_RECORD.to_owned(), 0)])
                .collect(),
            suppressed: engine
                .exclusions()
                .iter()
                .map(|x| (x.id.clone(), 0))
                .collect(),
            ..Summary::default()
        }
    }

    /// Counts records outside the time window (and shows the counter).
    pub fn add_outside_window(&mut self, n: u64) {
        *self.outside_window.get_or_insert(0) += n;
    }

    pub fn add_finding(&mut self, rule_id: &str) {
        add(&mut self.findings, rule_id, 1);
    }

    /// Adds a file that was read to the end.
    pub fn add_file(&mut self, stats: &ScanStats) {
        self.files_scanned += 1;
        self.records += stats.records;
        self.unevaluated += stats.unevaluated;
        self.threshold_uncounted += stats.threshold_uncounted;
        for (exclusion, n) in &stats.suppressed_by {
            add(&mut self.suppressed, exclusion, *n);
        }
    }

    pub fn add_skipped(&mut self, reason: Skip) {
        *self.skipped.entry(reason).or_default() += 1;
    }

    pub fn add_failed(&mut self) {
        self.failed += 1;
    }

    pub fn total_findings(&self) -> u64 {
        self.findings.iter().map(|(_, n)| n).sum()
    }

    pub fn total_suppressed(&self) -> u64 {
        self.suppressed.iter().map(|(_, n)| n).sum()
    }
}

fn add(counts: &mut Vec<(String, u64)>, id: &str, n: u64) {
    match counts.iter_mut().find(|(k, _)| k == id) {
        Some((_, count)) => *count += n,
        None => counts.push((id.to_owned(), n)),
    }
}

/// Several lines, one counter each; per-rule counts only for rules with findings, per-exclusion counts for
/// every exclusion:
///
/// ```text
/// summary:
///   files scanned:     1
///   records:           8
///   rules evaluated:   2
///   findings:          2
///     cis-4.1-unauthorized-api-calls: 1
///     cis-4.3-root-account-usage: 1
///   suppressed:        1
///     audit-probe: 1
///   unevaluated records: 0 (each is an unevaluated-record finding)
///   skipped files:     2 (digest: 1, other_extension: 1)
///   failed files:      0
/// ```
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "summary:")?;
        writeln!(f, "  files scanned:     {}", self.files_scanned)?;
        writeln!(f, "  records:           {}", self.records)?;
        if let Some(n) = self.outside_window {
            writeln!(
                f,
                "  outside window:    {n} (before --since or after --until; not evaluated)"
            )?;
        }
        writeln!(f, "  rules evaluated:   {}", self.rules_evaluated)?;
        writeln!(f, "  findings:          {}", self.total_findings())?;
        for (rule, n) in self.findings.iter().filter(|(_, n)| *n > 0) {
            writeln!(f, "    {rule}: {n}")?;
        }
        writeln!(f, "  suppressed:        {}", self.total_suppressed())?;
        for (exclusion, n) in &self.suppressed {
            writeln!(f, "    {exclusion}: {n}")?;
        }
        writeln!(
            f,
            "  unevaluated records: {} (each is an {} finding)",
            self.unevaluated,
            rules::UNEVALUATED_RECORD
        )?;
        if self.threshold_uncounted > 0 {
            writeln!(
                f,
                "  threshold events not counted: {} (a threshold state cap was full, or no eventTime)",
                self.threshold_uncounted
            )?;
        }
        let skipped: u64 = self.skipped.values().sum();
        write!(f, "  skipped files:     {skipped}")?;
        if skipped > 0 {
            let reasons: Vec<String> = self
                .skipped
                .iter()
                .map(|(reason, n)| format!("{reason}: {n}"))
                .collect();
            write!(f, " ({})", reasons.join(", "))?;
        }
        writeln!(f)?;
        writeln!(f, "  failed files:      {}", self.failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rules::RulesConfig;

    #[test]
    fn prints_every_counter() {
        let engine = Engine::with_ids(&[
            "cis-4.1-unauthorized-api-calls",
            "cis-4.3-root-account-usage",
        ])
        .unwrap();
        let mut s = Summary::new(&engine);
        s.add_file(&ScanStats {
            records: 8,
            unevaluated: 1,
            ..ScanStats::default()
        });
        s.add_finding("cis-4.1-unauthorized-api-calls");
        s.add_finding("cis-4.1-unauthorized-api-calls");
        s.add_finding(rules::UNEVALUATED_RECORD);
        s.add_skipped(Skip::OtherExtension);
        s.add_skipped(Skip::Digest);
        s.add_failed();
        let text = s.to_string();
        assert_eq!(
            text,
            "summary:
  files scanned:     1
  records:           8
  rules evaluated:   2
  findings:          3
    cis-4.1-unauthorized-api-calls: 2
    unevaluated-record: 1
  suppressed:        0
  unevaluated records: 1 (each is an unevaluated-record finding)
  skipped files:     2 (digest: 1, other_extension: 1)
  failed files:      1
"
        );
    }

    #[test]
    fn counts_suppressions_per_exclusion() {
        let cfg = RulesConfig::parse(
            "[[exclusions]]\nid = \"a\"\nreason = \"r\"\npattern = '{ $.x = 1 }'\n\
             [[exclusions]]\nid = \"b\"\nreason = \"r\"\npattern = '{ $.x = 2 }'\n",
            "t.toml",
        )
        .unwrap();
        let engine = Engine::from_config(&cfg, "2026-01-01")
            .unwrap()
            .retain_ids(&["cis-4.3-root-account-usage"])
            .unwrap();
        let mut s = Summary::new(&engine);
        for _ in 0..2 {
            s.add_file(&ScanStats {
                records: 4,
                suppressed: 3,
                suppressed_by: [("b".to_owned(), 3)].into_iter().collect(),
                ..ScanStats::default()
            });
        }
        s.add_finding("cis-4.3-root-account-usage");
        let text = s.to_string();
        assert!(
            text.contains(
                "  findings:          1
    cis-4.3-root-account-usage: 1
  suppressed:        6
    a: 0
    b: 6
"
            ),
            "{text}"
        );
    }
}
