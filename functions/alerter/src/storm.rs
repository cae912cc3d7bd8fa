//! Storm control that still pages on the first hit, and cannot be used to hide the event that matters.
//! Within one invocation:
//!
//! - critical findings and [`rules::UNEVALUATED_RECORD`] findings are always sent one by one, never folded;
//! - for the others, each principal's first N findings of a rule are sent one by one (N from the rules file's
//!   `[alerts]` table, per rule if configured), so one noisy caller cannot use up another caller's alerts;
//! - a rule sends at most [`STORM_CEILING_FACTOR`] × N individual alerts over all principals, so a caller who
//!   can mint principal strings (role session names are the caller's choice) cannot flood the topic;
//! - the rest is folded into one digest per rule, sent at the end of the invocation.

use crate::alert::Alert;
use rules::{AlertSettings, Finding, Severity};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The flood ceiling: a rule sends at most this many times its storm limit (N) individual alerts per
/// invocation, over all principals (with the default N = 10: 100). Each principal still has its own N, so
/// the first ten callers of a storm are all heard before anything of a new caller is folded.
pub const STORM_CEILING_FACTOR: u64 = 10;

/// Distinct principals counted per folded rule; more are counted under one "(other principals)" entry so
/// memory stays bounded however large the storm.
const MAX_DISTINCT_PRINCIPALS: usize = 1000;
/// Principals listed in a summary.
const TOP_PRINCIPALS: usize = 5;
const OTHER_PRINCIPALS: &str = "(other principals)";
/// Principals longer than this (real ARNs are well below: a user ARN with the longest IAM path is under 700
/// bytes) are counted under their first bytes plus a hash of the whole, so a record's oversized principal
/// cannot make storm control's memory grow with it.
const MAX_PRINCIPAL_KEY_BYTES: usize = 1024;

/// The principal a finding is counted under.
fn principal_key(f: &Finding) -> std::borrow::Cow<'_, str> {
    let p = f
        .principal
        .as_deref()
        .filter(|p| !p.is_empty())
        .unwrap_or("unknown");
    if p.len() <= MAX_PRINCIPAL_KEY_BYTES {
        return std::borrow::Cow::Borrowed(p);
    }
    let mut end = MAX_PRINCIPAL_KEY_BYTES - 64;
    while !p.is_char_boundary(end) {
        end -= 1;
    }
    std::borrow::Cow::Owned(format!(
        "{}... #{}",
        &p[..end],
        rules::short_hash(&["principal", p])
    ))
}

/// Storm control: what was not sent individually for one rule in one invocation.
#[derive(Debug, Clone)]
pub struct StormDigest {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub controls: Vec<String>,
    /// Findings of this rule sent as individual alerts (each principal's first N, within the rule's ceiling).
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
    /// Lambda request id, for a deterministic digest finding_id.
    pub invocation_id: String,
}

impl Default for StormDigest {
    fn default() -> Self {
        StormDigest {
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
    /// Over the principal's limit for the rule, or over the rule's ceiling: folded into the rule's summary.
    Fold,
}

/// Whether a finding is always sent on its own: critical findings, and records the rules could not
/// evaluate ([`rules::UNEVALUATED_RECORD`]).
pub fn never_folded(f: &Finding) -> bool {
    f.severity == Severity::Critical || f.is_unevaluated()
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
    /// Individual alerts sent for the rule (over all principals, never-folded findings not counted).
    sent: u64,
    /// Individual alerts sent per principal. An entry exists only for a principal that was sent at least
    /// one, so there are at most [`STORM_CEILING_FACTOR`] × N entries.
    sent_by_principal: HashMap<String, u64>,
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
        if never_folded(f) {
            return Admission::Send;
        }
        let limit = u64::from(self.settings.storm_limit_for(&f.rule_id));
        let ceiling = limit.saturating_mul(STORM_CEILING_FACTOR);
        let key = principal_key(f);
        let principal: &str = &key;
        let state = self.rules.entry(f.rule_id.clone()).or_default();
        let by_principal = state.sent_by_principal.get(principal).copied().unwrap_or(0);
        if by_principal < limit && state.sent < ceiling {
            state.sent += 1;
            *state
                .sent_by_principal
                .entry(principal.to_owned())
                .or_default() += 1;
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
        if !alert.bucket.is_empty() {
            // A record from EventBridge (the fast path) has no log file yet.
            folded
                .files
                .insert((alert.bucket.clone(), alert.key.clone()));
        }
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

    /// One digest per rule that went over its limit, in rule-id order.
    pub fn digests(&self) -> Vec<StormDigest> {
        self.rules
            .iter()
            .filter_map(|(rule_id, state)| {
                let f = state.folded.as_ref()?;
                let mut principals: Vec<(String, u64)> =
                    f.principals.iter().map(|(p, n)| (p.clone(), *n)).collect();
                // Most frequent first; ties by name so the digest is deterministic.
                principals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                principals.truncate(TOP_PRINCIPALS);
                Some(StormDigest {
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
