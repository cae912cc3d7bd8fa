//! Storm control that still pages on the first hit: within one invocation, a rule's first N findings are
//! sent one by one (N from the rules file's `[alerts]` table, per rule if configured), the rest are folded
//! into one summary per rule, sent at the end of the invocation.

use crate::alert::Alert;
use rules::{AlertSettings, Severity};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Distinct principals counted per folded rule; more are counted under one "(other principals)" entry so
/// memory stays bounded however large the storm.
const MAX_DISTINCT_PRINCIPALS: usize = 1000;
/// Principals listed in a summary.
const TOP_PRINCIPALS: usize = 5;
const OTHER_PRINCIPALS: &str = "(other principals)";

/// Storm control: what was not sent individually for one rule in one invocation.
#[derive(Debug, Clone)]
pub struct StormSummary {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub controls: Vec<String>,
    /// Findings of this rule sent as individual alerts before the storm limit was reached (N).
    pub sent_individually: u64,
    /// Findings folded into this summary.
    pub count: u64,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// Most frequent first, at most 5 (the caller computes).
    pub top_principals: Vec<(String, u64)>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// (bucket, key) of the log files.
    pub files: Vec<(String, String)>,
    /// Lambda request id, for a deterministic summary finding_id.
    pub invocation_id: String,
}

impl Default for StormSummary {
    fn default() -> Self {
        StormSummary {
            rule_id: String::new(),
            title: String::new(),
            severity: Severity::Info,
            controls: Vec::new(),
            sent_individually: 0,
            count: 0,
            first_time: None,
            last_time: None,
            top_principals: Vec::new(),
            accounts: Vec::new(),
            regions: Vec::new(),
            files: Vec::new(),
            invocation_id: String::new(),
        }
    }
}

/// What to do with a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send it on its own.
    Send,
    /// Over the rule's limit: folded into the rule's summary.
    Fold,
}

#[derive(Debug)]
struct Folded {
    title: String,
    severity: Severity,
    controls: Vec<String>,
    count: u64,
    first_time: Option<String>,
    last_time: Option<String>,
    principals: HashMap<String, u64>,
    accounts: BTreeSet<String>,
    regions: BTreeSet<String>,
    files: BTreeSet<(String, String)>,
}

#[derive(Debug, Default)]
struct RuleState {
    sent: u64,
    folded: Option<Folded>,
}

/// Per-invocation storm accounting.
#[derive(Debug)]
pub struct StormControl {
    settings: AlertSettings,
    invocation_id: String,
    rules: BTreeMap<String, RuleState>,
}

impl StormControl {
    pub fn new(settings: AlertSettings, invocation_id: impl Into<String>) -> Self {
        StormControl {
            settings,
            invocation_id: invocation_id.into(),
            rules: BTreeMap::new(),
        }
    }

    /// Counts the alert and says whether to send it individually.
    pub fn admit(&mut self, alert: &Alert) -> Admission {
        let f = &alert.finding;
        let limit = u64::from(self.settings.storm_limit_for(&f.rule_id));
        let state = self.rules.entry(f.rule_id.clone()).or_default();
        if state.sent < limit {
            state.sent += 1;
            return Admission::Send;
        }
        let folded = state.folded.get_or_insert_with(|| Folded {
            title: f.title.clone(),
            severity: f.severity,
            controls: f.controls.clone(),
            count: 0,
            first_time: None,
            last_time: None,
            principals: HashMap::new(),
            accounts: BTreeSet::new(),
            regions: BTreeSet::new(),
            files: BTreeSet::new(),
        });
        folded.count += 1;
        if let Some(t) = &f.event_time {
            // ISO 8601 UTC timestamps order as text.
            if folded.first_time.as_ref().is_none_or(|first| t < first) {
                folded.first_time = Some(t.clone());
            }
            if folded.last_time.as_ref().is_none_or(|last| t > last) {
                folded.last_time = Some(t.clone());
            }
        }
        let principal = f.principal.as_deref().unwrap_or("unknown");
        if let Some(n) = folded.principals.get_mut(principal) {
            *n += 1;
        } else if folded.principals.len() < MAX_DISTINCT_PRINCIPALS {
            folded.principals.insert(principal.to_owned(), 1);
        } else {
            *folded
                .principals
                .entry(OTHER_PRINCIPALS.to_owned())
                .or_default() += 1;
        }
        if let Some(a) = &f.account_id {
            folded.accounts.insert(a.clone());
        }
        if let Some(r) = &f.region {
            folded.regions.insert(r.clone());
        }
        folded
            .files
            .insert((alert.bucket.clone(), alert.key.clone()));
        Admission::Fold
    }

    /// Findings folded so far, over all rules.
    pub fn folded(&self) -> u64 {
        self.rules
            .values()
            .filter_map(|s| s.folded.as_ref())
            .map(|f| f.count)
            .sum()
    }

    /// One summary per rule that went over its limit, in rule-id order.
    pub fn summaries(&self) -> Vec<StormSummary> {
        self.rules
            .iter()
            .filter_map(|(rule_id, state)| {
                let f = state.folded.as_ref()?;
                let mut principals: Vec<(String, u64)> =
                    f.principals.iter().map(|(p, n)| (p.clone(), *n)).collect();
                // Most frequent first; ties by name so the summary is deterministic.
                principals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                principals.truncate(TOP_PRINCIPALS);
                Some(StormSummary {
                    rule_id: rule_id.clone(),
                    title: f.title.clone(),
                    severity: f.severity,
                    controls: f.controls.clone(),
                    sent_individually: state.sent,
                    count: f.count,
                    first_time: f.first_time.clone(),
                    last_time: f.last_time.clone(),
                    top_principals: principals,
                    accounts: f.accounts.iter().cloned().collect(),
                    regions: f.regions.iter().cloned().collect(),
                    files: f.files.iter().cloned().collect(),
                    invocation_id: self.invocation_id.clone(),
                })
            })
            .collect()
    }
}
