//! The counters of a run, printed on stderr at the end.

use crate::inputs::Skip;
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
    /// Findings printed, per rule, in the engine's rule order (every selected rule is listed, also with
    /// 0, so the summary shows which rules ran). Counted as they are printed, so findings of a file that
    /// failed part way are included.
    pub findings: Vec<(String, u64)>,
    pub malformed: u64,
    pub skipped: BTreeMap<Skip, u64>,
    /// Files that could not be read, and paths that could not be examined.
    pub failed: u64,
}

impl Summary {
    pub fn new(engine: &Engine) -> Summary {
        Summary {
            findings: engine
                .rules()
                .iter()
                .map(|r| (r.id().to_owned(), 0))
                .collect(),
            ..Summary::default()
        }
    }

    pub fn add_finding(&mut self, rule_id: &str) {
        match self.findings.iter_mut().find(|(id, _)| id == rule_id) {
            Some((_, n)) => *n += 1,
            None => self.findings.push((rule_id.to_owned(), 1)),
        }
    }

    /// Adds a file that was read to the end.
    pub fn add_file(&mut self, stats: &ScanStats) {
        self.files_scanned += 1;
        self.records += stats.records;
        self.malformed += stats.malformed;
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
}

/// Several lines, one counter each:
///
/// ```text
/// summary:
///   files scanned:     1
///   records:           8
///   findings:          3
///     cis-4.1-unauthorized-api-calls: 2
///     cis-4.3-root-account-usage: 1
///   malformed records: 0
///   skipped files:     2 (digest: 1, other_extension: 1)
///   failed files:      0
/// ```
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "summary:")?;
        writeln!(f, "  files scanned:     {}", self.files_scanned)?;
        writeln!(f, "  records:           {}", self.records)?;
        writeln!(f, "  findings:          {}", self.total_findings())?;
        for (rule, n) in &self.findings {
            writeln!(f, "    {rule}: {n}")?;
        }
        writeln!(f, "  malformed records: {}", self.malformed)?;
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

    #[test]
    fn prints_every_counter() {
        let mut s = Summary::new(&Engine::builtin().unwrap());
        s.add_file(&ScanStats {
            records: 8,
            malformed: 1,
            ..ScanStats::default()
        });
        s.add_finding("cis-4.1-unauthorized-api-calls");
        s.add_finding("cis-4.1-unauthorized-api-calls");
        s.add_skipped(Skip::OtherExtension);
        s.add_skipped(Skip::Digest);
        s.add_failed();
        let text = s.to_string();
        assert_eq!(
            text,
            "summary:
  files scanned:     1
  records:           8
  findings:          2
    cis-4.1-unauthorized-api-calls: 2
    cis-4.3-root-account-usage: 0
  malformed records: 1
  skipped files:     2 (digest: 1, other_extension: 1)
  failed files:      1
"
        );
    }
}
