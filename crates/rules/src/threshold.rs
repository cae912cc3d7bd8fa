//! Threshold rules: "at least N matching events with the same key within W minutes", optionally counting the
//! distinct values of a field instead of events.
//!
//! A threshold rule is a filter (a CloudWatch filter pattern, evaluated and indexed like any pattern rule), a
//! group key (zero or more record fields: `userIdentity.arn`, `sourceIPAddress`, …; none = one key for every
//! matching event), a window of W minutes, a count N and optionally `distinct` fields.
//!
//! **Semantics.**
//! * Event time is the record's `eventTime` (second resolution); the window slides over event times, so
//!   records out of order (within a file, or across files scanned in parallel) still count together when their
//!   times are within W of each other (`t_last - t_first <= W` minutes, both ends included).
//! * Without `distinct`, every matching event counts one. With `distinct`, the distinct values of those fields
//!   count (the values of all the listed fields are pooled; an array counts each element; `GetParameters`'
//!   `names` and `SendCommand`'s `instanceIds` are arrays). A matching event that names no value in any of
//!   the fields (e.g. a `BatchGetSecretValue` by tag filter, a `SendCommand` by `targets`) counts as one value
//!   of its own: the record cannot show that it repeats an earlier one.
//! * The rule fires once per key and window, on the event that brings the count in some window of W minutes to
//!   N: one finding, carrying that event as its record, plus the count, the window, the key and the distinct
//!   values (at most [`SHOWN_VALUES`]). The window of the alert starts at the first event of the qualifying
//!   window and lasts W minutes; later matching events of the same key inside it are absorbed (no alert per
//!   event), and so are records that arrive late with a time up to W before the alert's window (they belong to
//!   the same burst). An event after the alert's window starts counting from zero again: a new window, and a
//!   new alert when it reaches N.
//! * Exclusions apply to matching events before they are counted: an excluded event never counts (it is
//!   reported as suppressed, like any excluded match).
//! * State lives in a [`Windows`], per scan: the function keeps one per invocation, `trailwarden scan` one
//!   per command (over its time-ordered files). Windows do not span invocations yet (the real-time path's
//!   deduplication table will carry them).
//!
//! **Bounded memory.** Per rule at most [`MAX_KEYS_PER_RULE`] keys and per key at most [`MAX_EVENTS_PER_KEY`]
//! counted entries are kept; values and key parts are cut to [`MAX_VALUE_BYTES`]. Entries older than W plus
//! [`LATENESS_SECS`] before the newest event of their key are forgotten (a record that late can no longer
//! combine with them). A matching event that cannot be counted (a cap is full, or it has no valid `eventTime`)
//! is never forgotten silently: it is counted per rule in [`Uncounted`] (the scan's statistics, the function's
//! log line and `trailwarden scan`'s summary) and the rule's next alert says so in its note.

use crate::pattern::{ParseError, Pattern};
use crate::CompiledRule;
use cloudtrail::{Kind, Node};
use foldhash::{HashMap, HashMapExt};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// The longest window, in minutes (one day).
pub const MAX_WINDOW_MINUTES: u32 = 1440;
/// The largest count N.
pub const MAX_COUNT: u32 = 10_000;
/// Keys tracked per rule and scan.
pub const MAX_KEYS_PER_RULE: usize = 10_000;
/// Counted entries (events, or values of events) kept per key. Larger than [`MAX_COUNT`], so a key can always
/// reach its count.
pub const MAX_EVENTS_PER_KEY: usize = 20_000;
/// Distinct values and key parts are cut to this many bytes (at a character boundary).
pub const MAX_VALUE_BYTES: usize = 256;
/// How many distinct values an alert lists.
pub const SHOWN_VALUES: usize = 20;
/// How much later than the newest event of its key a record may come and still be counted with older ones.
pub const LATENESS_SECS: i64 = 3600;

/// A built-in threshold rule's definition (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub struct Threshold {
    /// The CloudWatch filter pattern the events must match.
    pub filter: &'static str,
    /// The fields whose values form the key (`userIdentity.arn`, …); empty: one key.
    pub group_by: &'static [&'static str],
    /// W, in minutes.
    pub window_minutes: u32,
    /// N.
    pub count: u32,
    /// Fields whose distinct values are counted instead of events; empty: events are counted.
    pub distinct: &'static [&'static str],
}

/// Why a threshold definition is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ThresholdError {
    #[error("count must be between 1 and {MAX_COUNT}, not {0}")]
    Count(i64),
    #[error("window_minutes must be between 1 and {MAX_WINDOW_MINUTES}, not {0}")]
    Window(i64),
    #[error("{0:?} is not a field path like userIdentity.arn (names of letters, digits, _ and -, joined by .)")]
    Field(String),
    #[error("field {0:?} is listed twice")]
    Repeated(String),
    #[error("{0:?} is both a group_by and a distinct field: within a key it has a single value")]
    DistinctIsKey(String),
    #[error("distinct needs at least one field")]
    NoDistinct,
}

/// A parsed field path: its names.
type FieldPath = Vec<Box<str>>;

/// A field path: `userIdentity.arn` (a leading `$.` is accepted). Arrays on the way are walked element by
/// element.
fn parse_field(text: &str) -> Result<Vec<Box<str>>, ThresholdError> {
    let bare = text.strip_prefix("$.").unwrap_or(text);
    let steps: Vec<Box<str>> = bare.split('.').map(Box::from).collect();
    let ok = !bare.is_empty()
        && steps.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if ok {
        Ok(steps)
    } else {
        Err(ThresholdError::Field(text.to_owned()))
    }
}

/// A compiled threshold: what a [`CompiledRule`] with a threshold carries besides its filter.
#[derive(Debug, Clone)]
pub struct ThresholdSpec {
    count: u32,
    window_minutes: u32,
    group_by: Vec<String>,
    distinct: Vec<String>,
    group_paths: Vec<Vec<Box<str>>>,
    distinct_paths: Vec<Vec<Box<str>>>,
}

impl ThresholdSpec {
    /// Checks and compiles a definition. Field names are kept as written, without a leading `$.`.
    pub fn new<S: AsRef<str>>(
        count: i64,
        window_minutes: i64,
        group_by: &[S],
        distinct: Option<&[S]>,
    ) -> Result<ThresholdSpec, ThresholdError> {
        let count_ok = u32::try_from(count)
            .ok()
            .filter(|c| (1..=MAX_COUNT).contains(c))
            .ok_or(ThresholdError::Count(count))?;
        let window_ok = u32::try_from(window_minutes)
            .ok()
            .filter(|w| (1..=MAX_WINDOW_MINUTES).contains(w))
            .ok_or(ThresholdError::Window(window_minutes))?;
        let mut names: Vec<String> = Vec::new();
        let mut parse_all =
            |fields: &[S]| -> Result<(Vec<String>, Vec<FieldPath>), ThresholdError> {
                let mut out = (Vec::new(), Vec::new());
                for f in fields {
                    let path = parse_field(f.as_ref())?;
                    let name = path.join(".");
                    if names.contains(&name) {
                        return Err(ThresholdError::Repeated(name));
                    }
                    names.push(name.clone());
                    out.0.push(name);
                    out.1.push(path);
                }
                Ok(out)
            };
        let (group_names, group_paths) = parse_all(group_by)?;
        let (distinct_names, distinct_paths) = match distinct {
            Some([]) => return Err(ThresholdError::NoDistinct),
            Some(fields) => parse_all(fields).map_err(|e| match e {
                ThresholdError::Repeated(n) if group_names.contains(&n) => {
                    ThresholdError::DistinctIsKey(n)
                }
                e => e,
            })?,
            None => (Vec::new(), Vec::new()),
        };
        Ok(ThresholdSpec {
            count: count_ok,
            window_minutes: window_ok,
            group_by: group_names,
            distinct: distinct_names,
            group_paths,
            distinct_paths,
        })
    }

    /// Compiles a built-in definition: its filter and its threshold.
    pub fn compile(t: &Threshold) -> Result<(Pattern, ThresholdSpec), String> {
        let filter = Pattern::parse(t.filter).map_err(|e: ParseError| e.to_string())?;
        let distinct = (!t.distinct.is_empty()).then_some(t.distinct);
        let spec = ThresholdSpec::new(
            i64::from(t.count),
            i64::from(t.window_minutes),
            t.group_by,
            distinct,
        )
        .map_err(|e| e.to_string())?;
        Ok((filter, spec))
    }

    /// N.
    pub fn count(&self) -> u32 {
        self.count
    }
    /// W, in minutes.
    pub fn window_minutes(&self) -> u32 {
        self.window_minutes
    }
    /// The key's fields (empty: one key).
    pub fn group_by(&self) -> &[String] {
        &self.group_by
    }
    /// The fields whose distinct values count (empty: events count).
    pub fn distinct(&self) -> &[String] {
        &self.distinct
    }

    /// One line for people: `at least 10 distinct requestParameters.secretId within 10 minutes per
    /// userIdentity.arn`.
    pub fn describe(&self) -> String {
        let what = if self.distinct.is_empty() {
            "matching events".to_owned()
        } else {
            format!("distinct {}", self.distinct.join(" + "))
        };
        let per = if self.group_by.is_empty() {
            "over all matching events".to_owned()
        } else {
            format!("per {}", self.group_by.join(" + "))
        };
        format!(
            "at least {} {what} within {} minutes {per}",
            self.count, self.window_minutes
        )
    }

    fn window_secs(&self) -> i64 {
        i64::from(self.window_minutes) * 60
    }

    /// The key of a record: each group field's value (array elements joined by `,`; `(missing)` when absent).
    ///
    /// `userIdentity.arn`, the principal, falls back to the other fields that name a principal, in the order
    /// findings name one ([`crate::PrincipalField::ALL`]: `principalId`, `userName`, `invokedBy`, `type`),
    /// marked with the field (`principalId=…`): callers without an ARN (`AWSAccount` callers from other
    /// accounts, some service events) are then counted each on their own instead of all under `(missing)`.
    fn key(&self, record: Node<'_>) -> Box<[String]> {
        self.group_paths
            .iter()
            .map(|path| {
                let mut parts = Vec::new();
                walk(record, path, &mut |v| parts.push(cut(v).to_owned()));
                if parts.is_empty() && is_principal_arn(path) {
                    if let Some(identity) = record.get("userIdentity") {
                        for field in &crate::PrincipalField::ALL[1..] {
                            if let Some(v) = identity.get(field.key()).and_then(|v| v.as_str()) {
                                parts.push(format!("{}={}", field.key(), cut(v)));
                                break;
                            }
                        }
                    }
                }
                if parts.is_empty() {
                    "(missing)".to_owned()
                } else {
                    parts.join(",")
                }
            })
            .collect()
    }

    /// The distinct values a record names (deduplicated, in record order).
    fn values(&self, record: Node<'_>) -> Vec<Box<str>> {
        let mut out: Vec<Box<str>> = Vec::new();
        for path in &self.distinct_paths {
            walk(record, path, &mut |v| {
                let v = cut(v);
                if !out.iter().any(|o| **o == *v) {
                    out.push(v.into());
                }
            });
        }
        out
    }
}

/// Calls `emit` with the text of every scalar at `path` (strings as decoded, numbers as written, `true`,
/// `false`), walking arrays element by element, at any step and at the end.
/// `userIdentity.arn`: the group field that names the principal.
fn is_principal_arn(path: &[Box<str>]) -> bool {
    matches!(path, [a, b] if &**a == "userIdentity" && &**b == "arn")
}

fn walk(node: Node<'_>, path: &[Box<str>], emit: &mut dyn FnMut(&str)) {
    match node.kind() {
        Kind::Array => {
            for element in node.elements() {
                walk(element, path, emit);
            }
            return;
        }
        Kind::Object => {
            if let Some((first, rest)) = path.split_first() {
                if let Some(next) = node.get(first) {
                    walk(next, rest, emit);
                }
            }
            return;
        }
        _ => {}
    }
    if !path.is_empty() {
        return;
    }
    match node.kind() {
        Kind::String => emit(node.as_str().unwrap_or_default()),
        Kind::Number => emit(node.as_number_text().unwrap_or_default()),
        Kind::Bool => emit(if node.as_bool().unwrap_or_default() {
            "true"
        } else {
            "false"
        }),
        _ => {}
    }
}

fn cut(v: &str) -> &str {
    if v.len() <= MAX_VALUE_BYTES {
        return v;
    }
    let mut end = MAX_VALUE_BYTES;
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    &v[..end]
}

/// Seconds since the epoch of an `eventTime` (`2024-07-31T12:29:17Z`, fractions and offsets accepted).
pub fn event_seconds(time: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.timestamp())
}

/// What a threshold alert says, besides its record: attached to the [`Finding`](crate::Finding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThresholdDetails {
    /// How many events (or distinct values) the window held when the rule fired (at least `threshold`).
    pub count: u32,
    /// N.
    pub threshold: u32,
    /// W.
    pub window_minutes: u32,
    /// The key's fields and, in the same order, the key's values.
    pub group_by: Vec<String>,
    pub key: Vec<String>,
    /// The fields whose distinct values were counted (empty: events were counted).
    pub distinct: Vec<String>,
    /// The distinct values counted, in event-time order, at most [`SHOWN_VALUES`].
    pub distinct_values: Vec<String>,
    /// Counted events that named no value of the distinct fields (each counted as one value of its own).
    #[serde(default)]
    pub unnamed: u32,
    /// The `eventTime` of the window's first and last counted event.
    pub first_event_time: String,
    pub last_event_time: String,
}

impl ThresholdDetails {
    /// One line: `20 distinct requestParameters.secretId (threshold 10) within 10 minutes for userIdentity.arn =
    /// arn:…`.
    pub fn summary(&self) -> String {
        let what = if self.distinct.is_empty() {
            "matching events".to_owned()
        } else {
            format!("distinct {}", self.distinct.join(" + "))
        };
        let key: Vec<String> = self
            .group_by
            .iter()
            .zip(&self.key)
            .map(|(f, v)| format!("{f} = {v}"))
            .collect();
        let per = if key.is_empty() {
            String::new()
        } else {
            format!(" for {}", key.join(", "))
        };
        format!(
            "{} {what} (threshold {}) within {} minutes{per}, {} to {}",
            self.count,
            self.threshold,
            self.window_minutes,
            self.first_event_time,
            self.last_event_time
        )
    }
}

/// Matching events of a threshold rule that were not counted, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uncounted {
    /// The rule already tracked [`MAX_KEYS_PER_RULE`] keys.
    pub keys_full: u64,
    /// The key already held [`MAX_EVENTS_PER_KEY`] entries.
    pub key_full: u64,
    /// The record has no valid `eventTime`.
    pub untimed: u64,
}

impl Uncounted {
    pub fn total(&self) -> u64 {
        self.keys_full + self.key_full + self.untimed
    }
}

/// One counted entry: an event time and the value it counts (`None`: a value of its own).
#[derive(Debug, Clone)]
struct Entry {
    t: i64,
    time: Box<str>,
    value: Option<Box<str>>,
}

#[derive(Debug, Default)]
struct KeyState {
    /// Sorted by `t`.
    entries: Vec<Entry>,
    /// Absorbing ranges `[alert window start - W, alert window end]` (seconds): events inside are absorbed.
    fired: Vec<(i64, i64)>,
    newest: i64,
}

#[derive(Debug, Default)]
struct RuleState {
    keys: HashMap<Box<[String]>, KeyState>,
    newest: i64,
}

#[derive(Debug, Default)]
struct State {
    rules: HashMap<String, RuleState>,
    uncounted: BTreeMap<String, Uncounted>,
    /// Events absorbed by an alert's window, per rule.
    absorbed: BTreeMap<String, u64>,
}

/// The windows of every threshold rule for one scan (see the module documentation). Shareable between
/// threads: the lock is taken only for records that matched a threshold rule's filter.
#[derive(Debug)]
pub struct Windows {
    state: Mutex<State>,
    max_keys: usize,
    max_events: usize,
}

impl Default for Windows {
    fn default() -> Self {
        Windows::with_caps(MAX_KEYS_PER_RULE, MAX_EVENTS_PER_KEY)
    }
}

impl Windows {
    pub fn new() -> Windows {
        Windows::default()
    }

    /// Windows with other caps than [`MAX_KEYS_PER_RULE`] and [`MAX_EVENTS_PER_KEY`] (tests).
    pub fn with_caps(max_keys: usize, max_events: usize) -> Windows {
        Windows {
            state: Mutex::default(),
            max_keys,
            max_events,
        }
    }

    /// Counts a record that matched `rule`'s filter (and no exclusion). Returns the alert's details when this
    /// record brings a window to the rule's count. A rule without a threshold returns `None`.
    pub fn observe(&self, rule: &CompiledRule, record: Node<'_>) -> Option<ThresholdDetails> {
        let spec = rule.threshold()?;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let state = &mut *state;
        let Some((t, time)) = record
            .get("eventTime")
            .and_then(|n| n.as_str())
            .and_then(|s| Some((event_seconds(s)?, s)))
        else {
            state
                .uncounted
                .entry(rule.id().to_owned())
                .or_default()
                .untimed += 1;
            return None;
        };
        let key = spec.key(record);
        let rule_state = state.rules.entry(rule.id().to_owned()).or_default();
        let horizon = spec.window_secs() + LATENESS_SECS;
        rule_state.newest = rule_state.newest.max(t);
        if !rule_state.keys.contains_key(&key) && rule_state.keys.len() >= self.max_keys {
            // Forget keys with nothing left that can still count, then check again.
            let newest = rule_state.newest;
            rule_state.keys.retain(|_, k| k.newest >= newest - horizon);
            if rule_state.keys.len() >= self.max_keys {
                state
                    .uncounted
                    .entry(rule.id().to_owned())
                    .or_default()
                    .keys_full += 1;
                return None;
            }
        }
        let ks = rule_state.keys.entry(key.clone()).or_default();
        if ks.fired.iter().any(|&(s, e)| s <= t && t <= e) {
            *state.absorbed.entry(rule.id().to_owned()).or_default() += 1;
            return None;
        }
        ks.newest = ks.newest.max(t);
        // Forget what no record within the lateness allowance can combine with.
        let oldest = ks.newest - horizon;
        let stale = ks.entries.partition_point(|e| e.t < oldest);
        ks.entries.drain(..stale);
        ks.fired.retain(|&(_, end)| end >= oldest);

        let values: Vec<Option<Box<str>>> = if spec.distinct_paths.is_empty() {
            vec![None]
        } else {
            let named = spec.values(record);
            if named.is_empty() {
                vec![None]
            } else {
                named.into_iter().map(Some).collect()
            }
        };
        if ks.entries.len() + values.len() > self.max_events {
            state
                .uncounted
                .entry(rule.id().to_owned())
                .or_default()
                .key_full += 1;
            return None;
        }
        let at = ks.entries.partition_point(|e| e.t <= t);
        let distinct_mode = !spec.distinct_paths.is_empty();
        let new: Vec<Entry> = values
            .into_iter()
            // The same value at the same second changes no window's distinct count.
            .filter(|v| {
                !(distinct_mode
                    && v.is_some()
                    && ks.entries[..at]
                        .iter()
                        .rev()
                        .take_while(|e| e.t == t)
                        .any(|e| e.value == *v))
            })
            .map(|value| Entry {
                t,
                time: time.into(),
                value,
            })
            .collect();
        ks.entries.splice(at..at, new);

        let (start, end) = first_full_window(&ks.entries, t, spec)?;
        let details = details(&ks.entries[start..end], spec, &key);
        let window_start = ks.entries[start].t;
        // Absorbed from here on: the alert's window and, for records that arrive late, the W before it.
        ks.fired.push((
            window_start - spec.window_secs(),
            window_start + spec.window_secs(),
        ));
        ks.entries.drain(start..end);
        Some(details)
    }

    /// Matching events not counted so far, per rule id.
    pub fn uncounted(&self) -> BTreeMap<String, Uncounted> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .uncounted
            .clone()
    }

    /// Matching events not counted so far for one rule.
    pub fn uncounted_for(&self, rule_id: &str) -> Uncounted {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .uncounted
            .get(rule_id)
            .copied()
            .unwrap_or_default()
    }

    /// Matching events absorbed by an alert's window (already alerted on), per rule id.
    pub fn absorbed(&self) -> BTreeMap<String, u64> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .absorbed
            .clone()
    }
}

/// The earliest window `[s, s + W]` that contains `t`, starts at an entry and holds at least N distinct
/// values (events without a value each count one): its entries, as a range of `entries`.
fn first_full_window(entries: &[Entry], t: i64, spec: &ThresholdSpec) -> Option<(usize, usize)> {
    let w = spec.window_secs();
    let lo = entries.partition_point(|e| e.t < t - w);
    let hi = entries.partition_point(|e| e.t <= t + w);
    let need = spec.count as usize;
    if hi - lo < need {
        return None;
    }
    let mut counts: HashMap<&str, u32> = HashMap::new();
    let mut own = 0usize;
    let mut j = lo;
    for i in lo..hi {
        if entries[i].t > t {
            break;
        }
        // Grow the window to everything within W of its start.
        while j < hi && entries[j].t <= entries[i].t + w {
            match &entries[j].value {
                Some(v) => *counts.entry(v).or_default() += 1,
                None => own += 1,
            }
            j += 1;
        }
        if counts.len() + own >= need {
            return Some((i, j));
        }
        // Slide the start past entry i.
        match &entries[i].value {
            Some(v) => {
                if let Some(c) = counts.get_mut(&**v) {
                    *c -= 1;
                    if *c == 0 {
                        counts.remove(&**v);
                    }
                }
            }
            None => own -= 1,
        }
    }
    None
}

fn details(window: &[Entry], spec: &ThresholdSpec, key: &[String]) -> ThresholdDetails {
    let mut shown: Vec<String> = Vec::new();
    let mut seen: foldhash::HashSet<&str> = foldhash::HashSet::default();
    let mut unnamed = 0u32;
    for e in window {
        match &e.value {
            Some(v) if seen.insert(v) => {
                if shown.len() < SHOWN_VALUES {
                    shown.push(v.to_string());
                }
            }
            Some(_) => {}
            None => unnamed += 1,
        }
    }
    let count = u32::try_from(seen.len())
        .unwrap_or(u32::MAX)
        .saturating_add(unnamed);
    ThresholdDetails {
        count,
        threshold: spec.count,
        window_minutes: spec.window_minutes,
        group_by: spec.group_by.clone(),
        key: key.to_vec(),
        distinct: spec.distinct.clone(),
        distinct_values: shown,
        unnamed,
        first_event_time: window
            .first()
            .map(|e| e.time.to_string())
            .unwrap_or_default(),
        last_event_time: window
            .last()
            .map(|e| e.time.to_string())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, RulesConfig};
    use serde_json::json;

    /// An engine with one custom threshold rule on `{ $.eventName = "Get" }`.
    fn engine(threshold: &str) -> Engine {
        let cfg = format!(
            "profile = \"cis\"\n[[custom_rules]]\nid = \"t\"\ntitle = \"T\"\nseverity = \"low\"\npattern = '{{ $.eventName = \"Get\" }}'\nthreshold = {threshold}\n"
        );
        let cfg = RulesConfig::parse(&cfg, "t.toml").unwrap();
        Engine::from_config(&cfg, "2026-01-01")
            .unwrap()
            .retain_ids(&["t"])
            .unwrap()
    }

    /// Feeds records (`(second offset, principal, value)`) in the given order; returns the alerts.
    fn run(e: &Engine, events: &[(i64, &str, &str)]) -> Vec<ThresholdDetails> {
        let windows = Windows::new();
        let rule = &e.rules()[0];
        let mut out = Vec::new();
        for (secs, who, value) in events {
            let t = chrono::DateTime::from_timestamp(1_767_261_600 + secs, 0).unwrap();
            let r = json!({"eventName": "Get", "eventTime": t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                           "userIdentity": {"arn": who}, "requestParameters": {"id": value}});
            let parsed = cloudtrail::Parsed::from_value(&r);
            assert!(rule.matches(parsed.root(), e.context()));
            out.extend(windows.observe(rule, parsed.root()));
        }
        out
    }

    const COUNT3: &str = "{ count = 3, window_minutes = 10, group_by = [\"userIdentity.arn\"] }";

    #[test]
    fn exactly_n_at_the_window_edge_fires_and_one_second_more_does_not() {
        let e = engine(COUNT3);
        let a = run(&e, &[(0, "a", "x"), (300, "a", "x"), (600, "a", "x")]);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].count, 3);
        assert_eq!(a[0].first_event_time, "2026-01-01T10:00:00Z");
        assert_eq!(a[0].last_event_time, "2026-01-01T10:10:00Z");
        assert!(run(&e, &[(0, "a", "x"), (300, "a", "x"), (601, "a", "x")]).is_empty());
    }

    #[test]
    fn n_minus_one_does_not_fire_and_events_w_plus_one_minute_apart_never_do() {
        let e = engine(COUNT3);
        assert!(run(&e, &[(0, "a", "x"), (10, "a", "x")]).is_empty());
        let apart: Vec<(i64, &str, &str)> = (0..20).map(|i| (i * 660, "a", "x")).collect();
        assert!(run(&e, &apart).is_empty());
    }

    #[test]
    fn out_of_order_records_count_within_the_window() {
        let e = engine(COUNT3);
        // The middle event arrives last; so does an early one in the second case.
        assert_eq!(
            run(&e, &[(0, "a", "x"), (600, "a", "x"), (300, "a", "x")]).len(),
            1
        );
        let late = run(&e, &[(900, "a", "x"), (1200, "a", "x"), (700, "a", "x")]);
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].first_event_time, "2026-01-01T10:11:40Z");
        // 400 s with 900 s and 1,200 s spans more than W.
        assert!(run(&e, &[(900, "a", "x"), (1200, "a", "x"), (400, "a", "x")]).is_empty());
        // An alert at [600 s, 1,200 s] absorbs late records back to 0 s: one alert for the burst.
        let burst = [
            (600, "a", "x"),
            (700, "a", "x"),
            (800, "a", "x"),
            (100, "a", "x"),
            (200, "a", "x"),
            (300, "a", "x"),
        ];
        assert_eq!(run(&e, &burst).len(), 1);
        // Far out of order but more than W apart: nothing.
        assert!(run(&e, &[(2000, "a", "x"), (0, "a", "x"), (1000, "a", "x")]).is_empty());
    }

    #[test]
    fn once_per_window_then_a_new_window_a_new_alert() {
        let e = engine(COUNT3);
        let mut events: Vec<(i64, &str, &str)> = (0..10).map(|i| (i * 10, "a", "x")).collect();
        assert_eq!(
            run(&e, &events).len(),
            1,
            "absorbed inside the alert's window"
        );
        // The alert's window is [0 s, 600 s]; three more events after it: a second alert.
        events.extend([(601, "a", "x"), (700, "a", "x"), (800, "a", "x")]);
        let alerts = run(&e, &events);
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[1].first_event_time, "2026-01-01T10:10:01Z");
    }

    #[test]
    fn keys_are_counted_apart() {
        let e = engine(COUNT3);
        assert!(run(
            &e,
            &[(0, "a", "x"), (1, "b", "x"), (2, "a", "x"), (3, "b", "x")]
        )
        .is_empty());
        let a = run(
            &e,
            &[(0, "a", "x"), (1, "b", "x"), (2, "a", "x"), (3, "a", "x")],
        );
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].key, ["a"]);
        assert_eq!(a[0].group_by, ["userIdentity.arn"]);
        // No group_by: one key for every event.
        let all = engine("{ count = 3, window_minutes = 10 }");
        let a = run(&all, &[(0, "a", "x"), (1, "b", "x"), (2, "c", "x")]);
        assert_eq!(a.len(), 1);
        assert!(a[0].key.is_empty());
    }

    /// Callers without `userIdentity.arn` (AWSAccount callers, some service events) are keyed by the next
    /// principal field, so many of them are not counted as one caller.
    #[test]
    fn a_principal_without_an_arn_is_keyed_by_its_principal_id() {
        let e = engine(COUNT3);
        let rule = &e.rules()[0];
        let observe = |ids: &[&str]| {
            let windows = Windows::new();
            let mut out = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                let r = json!({"eventName": "Get", "eventTime": format!("2026-01-01T10:00:0{i}Z"),
                               "userIdentity": {"type": "AWSAccount", "principalId": id, "accountId": "444455556666"}});
                let parsed = cloudtrail::Parsed::from_value(&r);
                out.extend(windows.observe(rule, parsed.root()));
            }
            out
        };
        assert!(
            observe(&["AIDA1", "AIDA2", "AIDA3"]).is_empty(),
            "three callers, one call each"
        );
        let same = observe(&["AIDA1", "AIDA1", "AIDA1"]);
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].key, ["principalId=AIDA1"]);
    }

    #[test]
    fn distinct_counts_values_not_events() {
        let e = engine("{ count = 3, window_minutes = 10, group_by = [\"userIdentity.arn\"], distinct = \"requestParameters.id\" }");
        let same: Vec<(i64, &str, &str)> = (0..30).map(|i| (i, "a", "s1")).collect();
        assert!(run(&e, &same).is_empty(), "the same value thirty times");
        assert!(run(&e, &[(0, "a", "s1"), (1, "a", "s2"), (2, "a", "s1")]).is_empty());
        let a = run(
            &e,
            &[
                (0, "a", "s1"),
                (1, "a", "s2"),
                (2, "a", "s1"),
                (3, "a", "s3"),
            ],
        );
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].distinct_values, ["s1", "s2", "s3"]);
        assert_eq!(a[0].distinct, ["requestParameters.id"]);
        // A value that left the window no longer counts.
        assert!(run(
            &e,
            &[
                (0, "a", "s1"),
                (601, "a", "s2"),
                (602, "a", "s3"),
                (603, "a", "s2")
            ]
        )
        .is_empty());
    }

    #[test]
    fn array_values_count_each_and_events_without_a_value_count_as_their_own() {
        let e = engine("{ count = 4, window_minutes = 10, distinct = [\"requestParameters.id\", \"requestParameters.ids\"] }");
        let rule = &e.rules()[0];
        let windows = Windows::new();
        let feed =
            |r: serde_json::Value| windows.observe(rule, cloudtrail::Parsed::from_value(&r).root());
        let base = |params: serde_json::Value| json!({"eventName": "Get", "eventTime": "2026-01-01T10:00:00Z", "requestParameters": params});
        assert!(feed(base(json!({"ids": ["i-1", "i-2", "i-1"]}))).is_none());
        assert!(feed(base(json!({"filters": [{"key": "tag"}]}))).is_none());
        let d = feed(base(json!({"id": "i-3"}))).expect("i-1, i-2, one unnamed, i-3");
        assert_eq!((d.count, d.unnamed), (4, 1));
        assert_eq!(d.distinct_values, ["i-1", "i-2", "i-3"]);
    }

    #[test]
    fn records_without_an_event_time_are_counted_as_uncounted() {
        let e = engine(COUNT3);
        let rule = &e.rules()[0];
        let windows = Windows::new();
        for _ in 0..5 {
            let r = json!({"eventName": "Get", "eventTime": "yesterday"});
            assert!(windows
                .observe(rule, cloudtrail::Parsed::from_value(&r).root())
                .is_none());
        }
        assert_eq!(windows.uncounted_for("t").untimed, 5);
        assert_eq!(windows.uncounted()["t"].total(), 5);
    }

    #[test]
    fn full_caps_are_counted_not_forgotten() {
        let e = engine("{ count = 2, window_minutes = 60, group_by = [\"userIdentity.arn\"], distinct = \"requestParameters.id\" }");
        let rule = &e.rules()[0];
        let windows = Windows::with_caps(2, 5);
        let feed = |secs: u32, who: &str| {
            let r = json!({"eventName": "Get", "eventTime": format!("2026-01-01T10:{:02}:{:02}Z", secs / 60, secs % 60),
                           "userIdentity": {"arn": who}, "requestParameters": {"id": "same"}});
            windows.observe(rule, cloudtrail::Parsed::from_value(&r).root())
        };
        // The same value at 7 different seconds: 5 entries kept, 2 over the key's cap.
        for s in 0..7 {
            assert!(feed(s, "a").is_none());
        }
        assert_eq!(windows.uncounted_for("t").key_full, 2);
        // A second key fits, a third does not (its events are recent: nothing to forget).
        assert!(feed(10, "b").is_none());
        assert!(feed(11, "c").is_none());
        assert_eq!(
            windows.uncounted_for("t"),
            Uncounted {
                keys_full: 1,
                key_full: 2,
                untimed: 0
            }
        );
    }

    #[test]
    fn field_paths() {
        assert_eq!(parse_field("$.userIdentity.arn").unwrap().len(), 2);
        for bad in ["", "a..b", ".a", "a b", "a[0]", "$."] {
            assert!(parse_field(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            ThresholdSpec::new(3, 10, &["a", "$.a"], None).unwrap_err(),
            ThresholdError::Repeated("a".into())
        );
        assert_eq!(
            ThresholdSpec::new(3, 10, &["a"], Some(&["a"])).unwrap_err(),
            ThresholdError::DistinctIsKey("a".into())
        );
    }
}
