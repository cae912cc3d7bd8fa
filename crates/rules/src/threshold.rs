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

use cloudtrail::vocab::{canonical_seconds, event_seconds};
use cloudtrail::{Kind, Node};
use foldhash::HashMap;
use pattern::{ParseError, Pattern};
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

/// What the windows read of a rule (a compiled rule, `engine::CompiledRule`, is one): its id and its
/// threshold, if it has one.
pub trait ThresholdRule {
    /// The rule's id.
    fn id(&self) -> &str;
    /// The rule's threshold (`None`: the rule alerts on every match).
    fn threshold(&self) -> Option<&ThresholdSpec>;
}

/// A compiled threshold: what a compiled rule with a threshold carries besides its filter.
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

    /// The key of a record: each group field's value (array elements joined by `,`; `(missing)` when absent),
    /// encoded into `out` as `<byte length>:<value>` per field (unambiguous whatever the values contain; see
    /// [`decode_key`]). `part` is a scratch buffer.
    ///
    /// `userIdentity.arn`, the principal, falls back to the other fields that name a principal, in the order
    /// findings name one ([`crate::finding::PrincipalField::ALL`]: `principalId`, `userName`, `invokedBy`, `type`),
    /// marked with the field (`principalId=…`): callers without an ARN (`AWSAccount` callers from other
    /// accounts, some service events) are then counted each on their own instead of all under `(missing)`.
    fn key_into(&self, record: Node<'_>, out: &mut String, part: &mut String) {
        use std::fmt::Write as _;
        out.clear();
        for path in &self.group_paths {
            part.clear();
            let mut found = false;
            walk(record, path, &mut |v| {
                if found {
                    part.push(',');
                }
                found = true;
                part.push_str(cut(v));
            });
            if !found && is_principal_arn(path) {
                if let Some(identity) = record.get("userIdentity") {
                    for field in &cloudtrail::vocab::PrincipalField::ALL[1..] {
                        if let Some(v) = identity.get(field.key()).and_then(|v| v.as_str()) {
                            let _ = write!(part, "{}={}", field.key(), cut(v));
                            found = true;
                            break;
                        }
                    }
                }
            }
            if !found {
                part.push_str("(missing)");
            }
            let _ = write!(out, "{}:{part}", part.len());
        }
    }
}

/// The key's values from [`ThresholdSpec::key_into`]'s encoding.
fn decode_key(mut encoded: &str) -> Box<[String]> {
    let mut parts = Vec::new();
    while let Some((len, rest)) = encoded.split_once(':') {
        let len: usize = len.parse().unwrap_or(rest.len()).min(rest.len());
        let (value, tail) = rest.split_at(if rest.is_char_boundary(len) {
            len
        } else {
            rest.len()
        });
        parts.push(value.to_owned());
        encoded = tail;
    }
    parts.into()
}

/// `userIdentity.arn`: the group field that names the principal.
fn is_principal_arn(path: &[Box<str>]) -> bool {
    matches!(path, [a, b] if &**a == "userIdentity" && &**b == "arn")
}

/// Calls `emit` with the text of every scalar at `path` (strings as decoded, numbers as written, `true`,
/// `false`), walking arrays element by element, at any step and at the end.
fn walk(node: Node<'_>, path: &[Box<str>], emit: &mut dyn FnMut(&str)) {
    // The common case first, without recursion: objects all the way to a string (`userIdentity.arn`).
    let mut node = node;
    let mut path = path;
    while let Some((first, rest)) = path.split_first() {
        if node.kind() != Kind::Object {
            break;
        }
        match node.get(first) {
            Some(next) => {
                node = next;
                path = rest;
            }
            None => return,
        }
    }
    if path.is_empty() {
        if let Some(text) = node.as_str() {
            emit(text);
            return;
        }
    }
    walk_any(node, path, emit);
}

/// [`walk`] through arrays and to numbers and booleans.
fn walk_any(node: Node<'_>, path: &[Box<str>], emit: &mut dyn FnMut(&str)) {
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

/// The canonical `eventTime` text of `t` (`YYYY-MM-DDTHH:MM:SSZ`), for years 0-9999.
fn canonical_time(t: i64) -> Option<String> {
    let at = chrono::DateTime::from_timestamp(t, 0)?;
    (0..=9999)
        .contains(&chrono::Datelike::year(&at))
        .then(|| at.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// What a threshold alert says, besides its record: attached to the [`Finding`](crate::finding::Finding).
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

/// The id of "a value of its own" (an event counted without a value: events mode, or no value named).
const OWN: u32 = u32::MAX;

/// One counted entry: an event time, the `eventTime` text when it is not the canonical
/// `YYYY-MM-DDTHH:MM:SSZ` rendering of `t` (then it is rebuilt from `t`, sparing an allocation per event), and
/// the id of the value it counts ([`OWN`]: a value of its own).
#[derive(Debug, Clone)]
struct Entry {
    t: i64,
    time: Option<Box<str>>,
    value: u32,
}

impl Entry {
    fn time_text(&self) -> String {
        match &self.time {
            Some(text) => text.to_string(),
            None => canonical_time(self.t).unwrap_or_default(),
        }
    }
}

/// A key's distinct values, interned: entries carry small ids, and the number of values some entry still
/// holds is known without a scan (a window can never hold more distinct values than that).
#[derive(Debug, Default)]
struct Values {
    ids: HashMap<Box<str>, u32>,
    /// id → value.
    names: Vec<Box<str>>,
    /// id → entries holding it.
    live: Vec<u32>,
    /// ids with `live > 0`.
    distinct_live: usize,
}

impl Values {
    fn intern(&mut self, v: &str) -> u32 {
        if let Some(&id) = self.ids.get(v) {
            return id;
        }
        // Never OWN: a key holds at most MAX_EVENTS_PER_KEY entries and is compacted (below) long before.
        let id = u32::try_from(self.names.len()).unwrap_or(OWN - 1);
        self.ids.insert(v.into(), id);
        self.names.push(v.into());
        self.live.push(0);
        id
    }
}

#[derive(Debug)]
struct KeyState {
    /// The key's values, in `group_by` order (for the alert).
    parts: Box<[String]>,
    /// Sorted by `t`.
    entries: Vec<Entry>,
    /// Absorbing ranges `[alert window start - W, alert window end]` (seconds): events inside are absorbed.
    fired: Vec<(i64, i64)>,
    newest: i64,
    values: Values,
    /// Entries counting a value of their own.
    own_live: usize,
}

impl KeyState {
    fn new(parts: Box<[String]>) -> KeyState {
        KeyState {
            parts,
            entries: Vec::new(),
            fired: Vec::new(),
            newest: i64::MIN,
            values: Values::default(),
            own_live: 0,
        }
    }

    fn count_in(&mut self, value: u32) {
        if value == OWN {
            self.own_live += 1;
        } else if let Some(live) = self.values.live.get_mut(value as usize) {
            *live += 1;
            if *live == 1 {
                self.values.distinct_live += 1;
            }
        }
    }

    /// Removes `range` of the entries, keeping the live counts.
    fn remove(&mut self, range: std::ops::Range<usize>) {
        for e in self.entries.drain(range) {
            if e.value == OWN {
                self.own_live -= 1;
            } else if let Some(live) = self.values.live.get_mut(e.value as usize) {
                *live -= 1;
                if *live == 0 {
                    self.values.distinct_live -= 1;
                }
            }
        }
        // Forget values no entry holds once they are most of the table (ids are renumbered).
        if self.values.names.len() > 64 && self.values.names.len() > 2 * self.values.distinct_live {
            let old = std::mem::take(&mut self.values);
            let mut map = vec![OWN; old.names.len()];
            for (id, name) in old.names.into_iter().enumerate() {
                if old.live[id] > 0 {
                    map[id] = self.values.intern(&name);
                    self.values.live[map[id] as usize] = old.live[id];
                }
            }
            self.values.distinct_live = old.distinct_live;
            for e in &mut self.entries {
                if e.value != OWN {
                    e.value = map[e.value as usize];
                }
            }
        }
    }
}

#[derive(Debug, Default)]
struct RuleState {
    /// By the key's encoding ([`ThresholdSpec::key_into`]).
    keys: HashMap<Box<str>, KeyState>,
    newest: i64,
}

#[derive(Debug, Default)]
struct State {
    rules: HashMap<Box<str>, RuleState>,
    uncounted: BTreeMap<String, Uncounted>,
    /// Events absorbed by an alert's window, per rule.
    absorbed: BTreeMap<String, u64>,
    /// Reused buffers: the key's encoding, one part of it, an event's value ids.
    key: String,
    part: String,
    ids: Vec<u32>,
}

/// What counting one event did ([`Windows::observe_event`]).
#[derive(Debug, Default)]
pub struct Observation {
    /// The alert, when this event completed a window.
    pub alert: Option<ThresholdDetails>,
    /// Counted (or absorbed by an alert's window); `false`: added to the rule's [`Uncounted`] instead.
    pub counted: bool,
    /// With an alert: the rule's events not counted in this scan so far.
    pub uncounted_before: u64,
}

/// An event that was not counted (see [`Uncounted`]).
struct NotCounted;

/// The value of `id` in `map`, inserted with the default first (the id is copied only then).
fn slot<'m, V: Default>(map: &'m mut BTreeMap<String, V>, id: &str) -> &'m mut V {
    if !map.contains_key(id) {
        map.insert(id.to_owned(), V::default());
    }
    map.get_mut(id).expect("inserted above")
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
    ///
    /// Cost: this runs for every matching event (for some rules, a large share of all records), so the common
    /// paths allocate nothing: the key is encoded into a reused buffer and looked up by reference, the time's
    /// text is kept only when it is not canonical, values are interned per key, and a key whose retained
    /// entries hold fewer distinct values than the count cannot complete a window, so no window is searched.
    pub fn observe(&self, rule: &impl ThresholdRule, record: Node<'_>) -> Option<ThresholdDetails> {
        self.observe_event(rule, record).alert
    }

    /// [`Windows::observe`], saying also whether the event was counted (one lock, no lookup of the rule's
    /// uncounted totals unless an alert or an uncounted event needs them).
    pub fn observe_event(&self, rule: &impl ThresholdRule, record: Node<'_>) -> Observation {
        let Some(spec) = rule.threshold() else {
            return Observation::default();
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let state = &mut *state;
        match self.count(state, rule, spec, record) {
            Ok(alert) => {
                let uncounted_before = match alert {
                    Some(_) => state.uncounted.get(rule.id()).map_or(0, Uncounted::total),
                    None => 0,
                };
                Observation {
                    alert,
                    counted: true,
                    uncounted_before,
                }
            }
            Err(NotCounted) => Observation::default(),
        }
    }

    /// Counts the event (`Err`: not counted, and added to the rule's [`Uncounted`]).
    fn count(
        &self,
        state: &mut State,
        rule: &impl ThresholdRule,
        spec: &ThresholdSpec,
        record: Node<'_>,
    ) -> Result<Option<ThresholdDetails>, NotCounted> {
        // The canonical form's text is rebuilt from `t` when needed: only other forms are kept.
        let Some((t, kept_text)) = record
            .get("eventTime")
            .and_then(|n| n.as_str())
            .and_then(|s| match canonical_seconds(s) {
                Some(t) => Some((t, None)),
                None => Some((event_seconds(s)?, Some(s))),
            })
        else {
            slot(&mut state.uncounted, rule.id()).untimed += 1;
            return Err(NotCounted);
        };
        spec.key_into(record, &mut state.key, &mut state.part);
        if !state.rules.contains_key(rule.id()) {
            state.rules.insert(rule.id().into(), RuleState::default());
        }
        let rule_state = state.rules.get_mut(rule.id()).expect("inserted above");
        let horizon = spec.window_secs() + LATENESS_SECS;
        rule_state.newest = rule_state.newest.max(t);
        if !rule_state.keys.contains_key(state.key.as_str()) {
            if rule_state.keys.len() >= self.max_keys {
                // Forget keys with nothing left that can still count, then check again.
                let newest = rule_state.newest;
                rule_state.keys.retain(|_, k| k.newest >= newest - horizon);
                if rule_state.keys.len() >= self.max_keys {
                    slot(&mut state.uncounted, rule.id()).keys_full += 1;
                    return Err(NotCounted);
                }
            }
            rule_state.keys.insert(
                state.key.as_str().into(),
                KeyState::new(decode_key(&state.key)),
            );
        }
        let ks = rule_state
            .keys
            .get_mut(state.key.as_str())
            .expect("inserted above");
        if ks.fired.iter().any(|&(s, e)| s <= t && t <= e) {
            *slot(&mut state.absorbed, rule.id()) += 1;
            return Ok(None);
        }
        ks.newest = ks.newest.max(t);
        // Forget what no record within the lateness allowance can combine with.
        let oldest = ks.newest - horizon;
        let stale = ks.entries.partition_point(|e| e.t < oldest);
        if stale > 0 {
            ks.remove(0..stale);
        }
        ks.fired.retain(|&(_, end)| end >= oldest);

        let values = &mut state.ids;
        values.clear();
        if !spec.distinct_paths.is_empty() {
            for path in &spec.distinct_paths {
                walk(record, path, &mut |v| {
                    let id = ks.values.intern(cut(v));
                    if !values.contains(&id) {
                        values.push(id);
                    }
                });
            }
        }
        if values.is_empty() {
            values.push(OWN);
        }
        if ks.entries.len() + values.len() > self.max_events {
            slot(&mut state.uncounted, rule.id()).key_full += 1;
            return Err(NotCounted);
        }
        let at = ks.entries.partition_point(|e| e.t <= t);
        let distinct_mode = !spec.distinct_paths.is_empty();
        // The same value at the same second changes no window's distinct count.
        values.retain(|&v| {
            !(distinct_mode
                && v != OWN
                && ks.entries[..at]
                    .iter()
                    .rev()
                    .take_while(|e| e.t == t)
                    .any(|e| e.value == v))
        });
        let text = kept_text.map(Box::<str>::from);
        for &v in values.iter() {
            ks.count_in(v);
        }
        ks.entries.splice(
            at..at,
            values.iter().map(|&value| Entry {
                t,
                time: text.clone(),
                value,
            }),
        );
        if ks.values.distinct_live + ks.own_live < spec.count as usize {
            return Ok(None);
        }

        let Some((start, end)) = first_full_window(ks, t, spec) else {
            return Ok(None);
        };
        let details = details(ks, start..end, spec);
        let window_start = ks.entries[start].t;
        // Absorbed from here on: the alert's window and, for records that arrive late, the W before it.
        ks.fired.push((
            window_start - spec.window_secs(),
            window_start + spec.window_secs(),
        ));
        ks.remove(start..end);
        Ok(Some(details))
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
fn first_full_window(ks: &KeyState, t: i64, spec: &ThresholdSpec) -> Option<(usize, usize)> {
    let entries = &ks.entries;
    let w = spec.window_secs();
    let lo = entries.partition_point(|e| e.t < t - w);
    let hi = entries.partition_point(|e| e.t <= t + w);
    let need = spec.count as usize;
    if hi - lo < need {
        return None;
    }
    // Occurrences per value id in the window, and how many ids occur.
    let mut counts = vec![0u32; ks.values.names.len()];
    let mut distinct = 0usize;
    let mut own = 0usize;
    let mut j = lo;
    for i in lo..hi {
        if entries[i].t > t {
            break;
        }
        // Grow the window to everything within W of its start.
        while j < hi && entries[j].t <= entries[i].t + w {
            match counts.get_mut(entries[j].value as usize) {
                Some(c) => {
                    *c += 1;
                    distinct += usize::from(*c == 1);
                }
                None => own += 1,
            }
            j += 1;
        }
        if distinct + own >= need {
            return Some((i, j));
        }
        // Slide the start past entry i.
        match counts.get_mut(entries[i].value as usize) {
            Some(c) => {
                *c -= 1;
                distinct -= usize::from(*c == 0);
            }
            None => own -= 1,
        }
    }
    None
}

fn details(ks: &KeyState, range: std::ops::Range<usize>, spec: &ThresholdSpec) -> ThresholdDetails {
    let window = &ks.entries[range];
    let mut shown: Vec<String> = Vec::new();
    let mut seen: foldhash::HashSet<u32> = foldhash::HashSet::default();
    let mut unnamed = 0u32;
    for e in window {
        if e.value == OWN {
            unnamed += 1;
        } else if seen.insert(e.value) && shown.len() < SHOWN_VALUES {
            shown.push(ks.values.names[e.value as usize].to_string());
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
        key: ks.parts.to_vec(),
        distinct: spec.distinct.clone(),
        distinct_values: shown,
        unnamed,
        first_event_time: window.first().map(Entry::time_text).unwrap_or_default(),
        last_event_time: window.last().map(Entry::time_text).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::RulesConfig, engine::Engine};
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

    #[test]
    fn canonical_times_parse_as_rfc3339_does() {
        for text in [
            "2024-07-31T12:29:17Z",
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z",
        ] {
            let want = chrono::DateTime::parse_from_rfc3339(text)
                .unwrap()
                .timestamp();
            assert_eq!(canonical_seconds(text), Some(want), "{text}");
            assert_eq!(canonical_time(want).as_deref(), Some(text));
        }
        // Not the canonical form, or not a date: the RFC 3339 parser decides.
        for text in [
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-07-31T24:00:00Z",
            "2024-07-31T12:29:60Z",
            "2024-07-31T12:29:17.5Z",
            "2024-07-31T12:29:17+02:00",
            "2024-07-31 12:29:17Z",
            "２024-07-31T12:29:1Z",
            "-024-07-31T12:29:17Z",
        ] {
            assert_eq!(canonical_seconds(text), None, "{text}");
        }
        assert_eq!(
            event_seconds("2024-07-31T14:29:17.5+02:00"),
            canonical_seconds("2024-07-31T12:29:17Z")
        );
        assert_eq!(event_seconds("2023-02-29T00:00:00Z"), None);
    }

    #[test]
    fn keys_encode_their_fields_unambiguously() {
        let spec = ThresholdSpec::new(2, 10, &["a", "b"], None).unwrap();
        let key = |a: &str, b: &str| {
            let r = json!({"a": a, "b": b});
            let (mut out, mut part) = (String::new(), String::new());
            spec.key_into(
                cloudtrail::Parsed::from_value(&r).root(),
                &mut out,
                &mut part,
            );
            out
        };
        // Values that a plain separator would run together.
        let pairs = [
            ("x,1:y", "z"),
            ("x", "1:y,z"),
            ("1:x", ""),
            ("", "1:x"),
            ("é:", "2:é"),
        ];
        let keys: Vec<String> = pairs.iter().map(|(a, b)| key(a, b)).collect();
        for (i, (a, b)) in pairs.iter().enumerate() {
            let want_b = if b.is_empty() { "" } else { b };
            let parts = decode_key(&keys[i]);
            assert_eq!(parts[0], if a.is_empty() { "" } else { *a });
            assert_eq!(parts[1], want_b);
            for (j, other) in keys.iter().enumerate() {
                assert_eq!(
                    i == j,
                    keys[i] == *other,
                    "{:?} vs {:?}",
                    pairs[i],
                    pairs[j]
                );
            }
        }
    }

    /// The windows' semantics written the plain way (every value a string, every window searched from
    /// scratch), for comparing with [`Windows`], whose bookkeeping is optimised.
    /// One key of [`Reference`]: its entries (time, value), its alerts' absorbing ranges, its newest time.
    type ReferenceKey = (Vec<(i64, Option<String>)>, Vec<(i64, i64)>, i64);

    #[derive(Default)]
    struct Reference {
        keys: std::collections::HashMap<String, ReferenceKey>,
    }

    impl Reference {
        fn observe(
            &mut self,
            spec: &ThresholdSpec,
            t: i64,
            key: &str,
            values: &[&str],
        ) -> Option<(u32, Vec<String>, i64, i64)> {
            let w = spec.window_secs();
            let (entries, fired, newest) =
                self.keys
                    .entry(key.to_owned())
                    .or_insert((Vec::new(), Vec::new(), i64::MIN));
            if fired.iter().any(|&(s, e)| s <= t && t <= e) {
                return None;
            }
            *newest = (*newest).max(t);
            let oldest = *newest - w - LATENESS_SECS;
            entries.retain(|e| e.0 >= oldest);
            fired.retain(|&(_, end)| end >= oldest);
            let mut new: Vec<Option<String>> = Vec::new();
            for v in values {
                if !new.contains(&Some((*v).to_owned())) {
                    new.push(Some((*v).to_owned()));
                }
            }
            if new.is_empty() {
                new.push(None);
            }
            let at = entries.partition_point(|e| e.0 <= t);
            new.retain(|v| v.is_none() || !entries[..at].iter().any(|e| e.0 == t && e.1 == *v));
            entries.splice(at..at, new.into_iter().map(|v| (t, v)));
            let distinct = |window: &[(i64, Option<String>)]| {
                let named: std::collections::HashSet<&String> =
                    window.iter().filter_map(|e| e.1.as_ref()).collect();
                named.len() + window.iter().filter(|e| e.1.is_none()).count()
            };
            for i in 0..entries.len() {
                let s = entries[i].0;
                if s < t - w || s > t {
                    continue;
                }
                let j = entries.partition_point(|e| e.0 <= s + w);
                if distinct(&entries[i..j]) >= spec.count as usize {
                    let window: Vec<_> = entries.drain(i..j).collect();
                    fired.push((s - w, s + w));
                    let mut shown: Vec<String> = Vec::new();
                    for v in window.iter().filter_map(|e| e.1.clone()) {
                        if !shown.contains(&v) {
                            shown.push(v);
                        }
                    }
                    shown.truncate(SHOWN_VALUES);
                    let count = u32::try_from(distinct(&window)).unwrap();
                    return Some((count, shown, window[0].0, window[window.len() - 1].0));
                }
            }
            None
        }
    }

    proptest::proptest! {
        /// Random streams (three principals, values from a pool, events without a value, records out of order,
        /// spans long enough for entries and values to be forgotten): the same alerts as [`Reference`].
        #[test]
        fn windows_alert_exactly_as_the_plain_reference(
            distinct_mode in proptest::bool::ANY,
            count in 1u32..8,
            principals in 1usize..4,
            span in 300i64..20000,
            pool in 3u32..1000,
            events in proptest::collection::vec((0i64..20000, 0usize..3, proptest::collection::vec(0u32..1000, 0..4)), 1..400),
        ) {
            let threshold = if distinct_mode {
                format!("{{ count = {count}, window_minutes = 10, group_by = [\"userIdentity.arn\"], distinct = \"requestParameters.id\" }}")
            } else {
                format!("{{ count = {count}, window_minutes = 10, group_by = [\"userIdentity.arn\"] }}")
            };
            let e = engine(&threshold);
            let rule = &e.rules()[0];
            let spec = rule.threshold().unwrap();
            let windows = Windows::new();
            let mut reference = Reference::default();
            // Mostly in order, as in a log file: sort, then let every 7th event jump back.
            let mut events: Vec<(i64, usize, Vec<u32>)> = events
                .into_iter()
                .map(|(t, who, ids)| (t % span, who % principals, ids.into_iter().map(|i| i % pool).collect()))
                .collect();
            events.sort_by_key(|e| e.0);
            for (i, ev) in events.iter_mut().enumerate() {
                if i % 7 == 6 {
                    ev.0 = (ev.0 - span / 4).max(0);
                }
            }
            for (secs, who, ids) in &events {
                let who = ["a", "b", "c"][*who];
                let names: Vec<String> = ids.iter().map(|i| format!("v{i}")).collect();
                let at = chrono::DateTime::from_timestamp(1_767_261_600 + secs, 0).unwrap();
                let r = json!({"eventName": "Get", "eventTime": at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                               "userIdentity": {"arn": who}, "requestParameters": {"id": names}});
                let got = windows.observe(rule, cloudtrail::Parsed::from_value(&r).root());
                let values: Vec<&str> = if distinct_mode { names.iter().map(String::as_str).collect() } else { Vec::new() };
                let want = reference.observe(spec, 1_767_261_600 + secs, who, &values);
                let got = got.map(|d| {
                    let time = |s: &str| event_seconds(s).unwrap();
                    (d.count, d.distinct_values.clone(), time(&d.first_event_time), time(&d.last_event_time))
                });
                proptest::prop_assert_eq!(got, want, "at {} by {}", secs, who);
            }
        }
    }
}
