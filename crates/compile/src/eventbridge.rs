//! The EventBridge event patterns that select, among the CloudTrail events EventBridge delivers, every event an
//! enabled rule could match: the fast path's filter (issue 16).
//!
//! CloudTrail sends each management event to EventBridge as an event whose `detail-type` is one of
//! [`DETAIL_TYPES`] and whose `detail` is the CloudTrail record. [`generate`] derives, for every enabled rule, a
//! set of conjunctions of constraints on the record that every record the rule can match satisfies (an
//! over-approximation, never narrower), translates them to EventBridge's pattern syntax, merges them and packs
//! them into patterns of at most [`MAX_PATTERN_CHARS`] characters each.
//!
//! # How a rule is translated
//! * A filter pattern (pattern rules, and threshold rules' filters) is walked term by term:
//!   - `$.f = "text"` → `["text"]`, except a text that could be a number's text (`"200"`, which CloudWatch also
//!     matches against the number 200) → `[{"exists": true}]`;
//!   - `$.f = "abc*…"` → `[{"prefix": "abc"}]`, `$.f = "*…xyz"` → `[{"suffix": "xyz"}]` (when the piece cannot
//!     start or end a number's text, which CloudWatch wildcards also match), otherwise `[{"exists": true}]`;
//!   - an unquoted number, `<`, `<=`, `>`, `>=`, and `!=` with a wildcard → `[{"exists": true}]` (CloudWatch
//!     compares numbers and numeric strings alike; EventBridge's `numeric` only sees JSON numbers);
//!   - `$.f != "text"` → `[{"anything-but": ["text"]}]` (CloudWatch's `!=` needs the field present with a string
//!     or number, as `anything-but` needs a value);
//!   - `IS TRUE`, `IS FALSE`, `IS NULL` → `[true]`, `[false]`, `[null]`;
//!   - `NOT EXISTS` → `[{"exists": false}]` for a top-level field or one directly under `userIdentity` (always an
//!     object in CloudTrail); deeper, a field might sit under an array, where CloudWatch sees nothing but
//!     EventBridge sees the elements' fields, so the term is dropped;
//!   - a selector with an index (`$.a[0].b`) is dropped: EventBridge cannot address array elements.
//!
//!   `&&` intersects (two constraints on one field keep the exact one, or the more selective one), `||` unions;
//!   a dropped term leaves its branch unconstrained, which only widens.
//! * A code rule selects by the prefilter its own file declares ([`rules::rule::Prefilter`]): its event names →
//!   `{"eventName": [...]}`; its field prefilter, in the deployment's context (root, denied error codes,
//!   `eventType`, the watched keys and allowed regions, …) → the same constraints. No rule is known here by
//!   its id; `tests/eventbridge.rs` checks every prefilter against the corpus. A field prefilter that says it is
//!   broad is listed in [`Patterns::widened_by`] with its reason.
//! * A rule whose every branch constrains no field to exact values, a prefix or a suffix (only `!=`, wildcards
//!   or `exists` on free fields) is also listed there: its branch selects nearly every event.
//!
//! Every pattern also pins `"source": [{"prefix": "aws."}]` ([`AWS_SOURCE_PREFIX`]): only AWS services can send
//! an event with such a source, so a forged CloudTrail-shaped event from `PutEvents` is never selected.
//!
//! Exclusions are not applied: an excluded record is still selected (the function then suppresses it).
//!
//! # Read-only management events
//! EventBridge delivers read-only management events (`readOnly: true`: `Get*`, `List*`, `Describe*`, but also
//! `AssumeRole`, `GetSecretValue`, …) only to rules in state `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`.
//! Whether an event name is read-only is the service's decision, so it is not guessed from the name:
//! [`Patterns::read_only_management_events`] is false only when every enabled rule provably matches no
//! read-only event (every branch requires `readOnly` to be `false`, or a code rule whose prefilter says it
//! refuses read-only records). CIS 4.1 (denied `Describe*` calls), root usage and the
//! external-access rules need them, so the default profile sets it.

use pattern::ast::{Literal, Node, Term, Test};
use pattern::PathStep;
use rules::engine::{CompiledRule, Engine};
use rules::rule::{Context, FieldPrefilter, FieldValue, Prefilter};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub use cloudtrail::vocab::{detail_type, DETAIL_TYPES};

/// An event pattern's size limit (characters, serialized compactly): EventBridge's default quota, and what the
/// Terraform AWS provider accepts.
pub const MAX_PATTERN_CHARS: usize = 2048;

/// The event patterns for an engine's rules (see [`generate`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Patterns {
    /// Complete EventBridge event patterns (top-level `detail-type`, `detail` = the CloudTrail record), each at
    /// most [`MAX_PATTERN_CHARS`] characters serialized compactly; an event an enabled rule could match
    /// matches at least one. Empty when no enabled rule can match anything.
    pub patterns: Vec<Value>,
    /// Whether some enabled rule can match a read-only management event (the EventBridge rules' state must
    /// then be `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`).
    pub read_only_management_events: bool,
    /// The rules that could not be narrowed, each with the reason: they make the patterns select far more
    /// than the other rules need.
    pub widened_by: Vec<Widened>,
}

/// A rule the patterns could not narrow (see [`Patterns::widened_by`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Widened {
    pub rule_id: String,
    pub reason: String,
}

/// One alternative value of a field constraint (a field's list in an EventBridge pattern is a disjunction).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Match {
    /// The string itself.
    Exact(String),
    /// The JSON boolean.
    Bool(bool),
    /// JSON `null`.
    Null,
    Prefix(String),
    Suffix(String),
    /// Any value (of any type) but these strings; the field must have a value.
    AnythingBut(BTreeSet<String>),
    /// `true`: the field has a value (any leaf); `false`: it has none.
    Exists(bool),
}

impl Match {
    /// A single value (exact string, boolean, null).
    fn is_value(&self) -> bool {
        matches!(self, Match::Exact(_) | Match::Bool(_) | Match::Null)
    }

    /// How much it selects: lower is narrower.
    fn breadth(&self) -> u8 {
        match self {
            Match::Exact(_) | Match::Bool(_) | Match::Null => 0,
            Match::Prefix(_) | Match::Suffix(_) => 1,
            Match::AnythingBut(_) => 2,
            Match::Exists(_) => 3,
        }
    }

    /// Whether it matches a field whose only value is `value` (a [`Match::is_value`]).
    fn admits(&self, value: &Match) -> bool {
        match (self, value) {
            (Match::Exists(present), _) => *present,
            (Match::AnythingBut(set), Match::Exact(s)) => !set.contains(s),
            (Match::AnythingBut(_), _) => true,
            (Match::Prefix(p), Match::Exact(s)) => s.starts_with(p.as_str()),
            (Match::Suffix(p), Match::Exact(s)) => s.ends_with(p.as_str()),
            (m, v) => m == v,
        }
    }

    /// Whether it matches every field `other` matches.
    fn covers(&self, other: &Match) -> bool {
        if other.is_value() {
            return self.admits(other);
        }
        match (self, other) {
            (Match::Exists(a), Match::Exists(b)) => a == b,
            (Match::Exists(true), _) => true,
            (Match::Prefix(a), Match::Prefix(b)) => b.starts_with(a.as_str()),
            (Match::Suffix(a), Match::Suffix(b)) => b.ends_with(a.as_str()),
            (Match::AnythingBut(a), Match::AnythingBut(b)) => a.is_subset(b),
            (Match::AnythingBut(a), Match::Prefix(p)) => {
                !a.iter().any(|s| s.starts_with(p.as_str()))
            }
            (Match::AnythingBut(a), Match::Suffix(p)) => !a.iter().any(|s| s.ends_with(p.as_str())),
            _ => false,
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Match::Exact(s) => Value::String(s.clone()),
            Match::Bool(b) => Value::Bool(*b),
            Match::Null => Value::Null,
            Match::Prefix(p) => single("prefix", Value::String(p.clone())),
            Match::Suffix(p) => single("suffix", Value::String(p.clone())),
            Match::AnythingBut(set) => single(
                "anything-but",
                Value::Array(set.iter().cloned().map(Value::String).collect()),
            ),
            Match::Exists(b) => single("exists", Value::Bool(*b)),
        }
    }
}

fn single(key: &str, value: Value) -> Value {
    let mut map = Map::new();
    map.insert(key.to_owned(), value);
    Value::Object(map)
}

/// A field's constraint: the field matches any of these.
type Field = BTreeSet<Match>;
/// A path below `detail` (keys only).
type Path = Vec<String>;
/// A conjunction of field constraints; empty matches every event.
type Conj = BTreeMap<Path, Field>;

fn field(m: Match) -> Field {
    BTreeSet::from([m])
}

fn exists() -> Field {
    field(Match::Exists(true))
}

/// Simplifies a disjunction; `None` when it matches every event (the path can be dropped).
fn normalize(f: Field) -> Option<Field> {
    let present = f.contains(&Match::Exists(true));
    if present && f.contains(&Match::Exists(false)) {
        return None;
    }
    if present {
        return Some(exists());
    }
    // At most one anything-but: `anything-but A` or `anything-but B` is `anything-but (A ∩ B)`; an exact string
    // joins it by leaving its list, and it already admits booleans and null.
    let mut but: Option<BTreeSet<String>> = None;
    let mut rest = Field::new();
    for m in f {
        match m {
            Match::AnythingBut(s) => {
                but = Some(match but {
                    None => s,
                    Some(b) => b.intersection(&s).cloned().collect(),
                });
            }
            other => {
                rest.insert(other);
            }
        }
    }
    if let Some(mut but) = but {
        let mut kept = Field::new();
        for m in rest {
            match m {
                Match::Exact(s) => {
                    but.remove(&s);
                }
                Match::Bool(_) | Match::Null => {}
                other => {
                    kept.insert(other);
                }
            }
        }
        if but.is_empty() {
            kept.insert(Match::Exists(true));
            return normalize(kept);
        }
        kept.insert(Match::AnythingBut(but));
        rest = kept;
    }
    // Alternatives another one already covers.
    let all: Vec<Match> = rest.iter().cloned().collect();
    rest.retain(|m| !all.iter().any(|o| o != m && o.covers(m)));
    Some(rest)
}

/// `a && b` on one field, or `None` when no event satisfies both. Without an exact intersection it keeps the
/// narrower side: dropping either conjunct only widens.
fn intersect(a: Field, b: Field) -> Option<Field> {
    let values = |f: &Field| f.iter().all(Match::is_value);
    if values(&a) || values(&b) {
        let (vals, other) = if values(&a) { (a, b) } else { (b, a) };
        let kept: Field = vals
            .into_iter()
            .filter(|v| other.iter().any(|m| m.admits(v)))
            .collect();
        return (!kept.is_empty()).then_some(kept);
    }
    let absent = field(Match::Exists(false));
    let needs_value = |f: &Field| !f.contains(&Match::Exists(false));
    if (a == absent && needs_value(&b)) || (b == absent && needs_value(&a)) {
        return None;
    }
    let breadth = |f: &Field| f.iter().map(Match::breadth).max().unwrap_or(0);
    Some(if breadth(&b) < breadth(&a) { b } else { a })
}

/// `a && b`, or `None` when no event satisfies both.
fn and(mut a: Conj, b: Conj) -> Option<Conj> {
    for (path, f) in b {
        let merged = match a.remove(&path) {
            Some(existing) => intersect(existing, f)?,
            None => f,
        };
        a.insert(path, merged);
    }
    Some(a)
}

/// The narrowest single conjunction covering all of `conjs`: the fields every one constrains, each with the
/// union of their constraints.
fn hull(conjs: &[Conj]) -> Conj {
    let Some((first, rest)) = conjs.split_first() else {
        return Conj::new();
    };
    let mut out = Conj::new();
    for (path, f) in first {
        let mut union = f.clone();
        let mut everywhere = true;
        for c in rest {
            match c.get(path) {
                Some(g) => union.extend(g.iter().cloned()),
                None => everywhere = false,
            }
        }
        if everywhere {
            if let Some(n) = normalize(union) {
                out.insert(path.clone(), n);
            }
        }
    }
    out
}

/// Whether `wide` selects every event `narrow` selects.
fn subsumes(wide: &Conj, narrow: &Conj) -> bool {
    wide.iter().all(|(path, w)| {
        narrow
            .get(path)
            .is_some_and(|n| n.iter().all(|m| w.iter().any(|o| o.covers(m))))
    })
}

/// Beyond this many alternatives for one rule, an `&&`'s operand is replaced by its hull.
const MAX_BRANCHES: usize = 64;

/// Fields CloudTrail always writes as objects: `NOT EXISTS` below them cannot be hiding under an array.
const OBJECT_FIELDS: &[&str] = &["userIdentity"];

/// The conjunctions whose union covers every record the expression can be true for.
fn over(node: &Node) -> Vec<Conj> {
    match node {
        Node::Term(term) => vec![match translate(term) {
            Some((path, f)) => Conj::from([(path, f)]),
            None => Conj::new(),
        }],
        Node::Or(items) => {
            let mut out: Vec<Conj> = Vec::new();
            for item in items.iter() {
                for c in over(item) {
                    if c.is_empty() {
                        return vec![c];
                    }
                    if !out.contains(&c) {
                        out.push(c);
                    }
                }
            }
            if out.len() > MAX_BRANCHES {
                vec![hull(&out)]
            } else {
                out
            }
        }
        Node::And(items) => {
            let mut operands: Vec<Vec<Conj>> = items.iter().map(over).collect();
            operands.sort_by_key(Vec::len);
            let mut acc = vec![Conj::new()];
            for mut operand in operands {
                if acc.len() * operand.len() > MAX_BRANCHES {
                    operand = vec![hull(&operand)];
                }
                let mut next = Vec::new();
                for a in &acc {
                    for b in &operand {
                        if let Some(c) = and(a.clone(), b.clone()) {
                            if !next.contains(&c) {
                                next.push(c);
                            }
                        }
                    }
                }
                acc = next;
            }
            acc
        }
    }
}

/// A text that could be a JSON number's text (CloudWatch compares a quoted value with a number's text).
fn numeric_like(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
}

/// A piece of a wildcard that no number's text can start (or end) with: it has a character a number lacks.
fn not_numeric(piece: &str) -> bool {
    piece
        .bytes()
        .any(|b| !(b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')))
}

/// `= literal`: what a field equal to it has.
fn equals(lit: &Literal) -> Field {
    let text = &*lit.text;
    if lit.glob.is_some() {
        let prefix = text.split('*').next().unwrap_or("");
        let suffix = text.rsplit('*').next().unwrap_or("");
        if !prefix.is_empty() && not_numeric(prefix) {
            return field(Match::Prefix(prefix.to_owned()));
        }
        if !suffix.is_empty() && not_numeric(suffix) {
            return field(Match::Suffix(suffix.to_owned()));
        }
        return exists();
    }
    if lit.number.is_some() || numeric_like(text) {
        return exists();
    }
    field(Match::Exact(text.to_owned()))
}

/// A term as a constraint on one field; `None` when it cannot be expressed (the branch is then unconstrained).
fn translate(term: &Term) -> Option<(Path, Field)> {
    let path: Path = term
        .path
        .iter()
        .map(|step| match step {
            PathStep::Key(k) => Some(k.to_string()),
            PathStep::Index(_) => None,
        })
        .collect::<Option<_>>()?;
    let f = match &term.test {
        Test::Equals(lit) => equals(lit),
        Test::NotEquals(lit) if lit.glob.is_none() => {
            field(Match::AnythingBut(BTreeSet::from([lit.text.to_string()])))
        }
        Test::NotEquals(_) | Test::Compare(..) => exists(),
        Test::IsNull => field(Match::Null),
        Test::IsTrue => field(Match::Bool(true)),
        Test::IsFalse => field(Match::Bool(false)),
        Test::NotExists => {
            let under_objects =
                path.len() == 1 || (path.len() == 2 && OBJECT_FIELDS.contains(&path[0].as_str()));
            if !under_objects {
                return None;
            }
            field(Match::Exists(false))
        }
    };
    Some((path, f))
}

fn p(path: &str) -> Path {
    path.split('.').map(str::to_owned).collect()
}

fn exact<'a>(values: impl IntoIterator<Item = &'a str>) -> Field {
    values
        .into_iter()
        .map(|v| Match::Exact(v.to_owned()))
        .collect()
}

/// What is known of one rule.
struct RuleShape {
    /// Its conjunctions (empty: it can match nothing in this deployment).
    conjs: Vec<Conj>,
    /// It never matches a read-only event.
    write_only: bool,
    /// Why it could not be narrowed, if it could not.
    widened: Option<String>,
}

/// A code rule's field prefilter as a conjunction (`None`: the rule matches nothing in this context).
fn prefilter_conj(prefilter: &FieldPrefilter) -> Option<Conj> {
    let fields = prefilter.fields.as_ref()?;
    Some(
        fields
            .iter()
            .map(|(path, values)| {
                let f: Field = values
                    .iter()
                    .map(|v| match v {
                        FieldValue::Is(s) => Match::Exact(s.clone()),
                        FieldValue::Prefix(s) => Match::Prefix(s.clone()),
                        FieldValue::Suffix(s) => Match::Suffix(s.clone()),
                        FieldValue::AnythingBut(set) => Match::AnythingBut(set.clone()),
                        FieldValue::Exists(b) => Match::Exists(*b),
                    })
                    .collect();
                (p(path), f)
            })
            .collect(),
    )
}

/// Whether a conjunction limits some field to exact values, prefixes or suffixes (rather than only `exists`,
/// `anything-but`).
fn selective(conj: &Conj) -> bool {
    conj.values().any(|f| f.iter().all(|m| m.breadth() <= 1))
}

/// Whether a conjunction requires `readOnly` to be `false`.
fn excludes_read_only(conj: &Conj) -> bool {
    conj.get(&p("readOnly")).is_some_and(|f| {
        f.iter()
            .all(|m| *m == Match::Bool(false) || *m == Match::Exact("false".into()))
    })
}

fn shape_of(rule: &CompiledRule, context: &Context) -> RuleShape {
    if let Some(pattern) = rule.pattern() {
        let conjs = over(pattern.ast());
        let write_only = conjs.iter().all(excludes_read_only);
        let widened = if conjs.iter().any(Conj::is_empty) {
            Some("its pattern has a branch that constrains no field EventBridge can test: every CloudTrail event is selected".to_owned())
        } else if conjs.iter().any(|c| !selective(c)) {
            Some("its pattern has a branch that limits no field to exact values, a prefix or a suffix (only \
                  !=, wildcards, numbers or NOT EXISTS): nearly every event is selected"
                .to_owned())
        } else {
            None
        };
        return RuleShape {
            conjs,
            write_only,
            widened,
        };
    }
    match rule.prefilter() {
        Some(Prefilter::EventNames(events)) => RuleShape {
            conjs: vec![Conj::from([(
                p("eventName"),
                exact(events.iter().copied()),
            )])],
            write_only: false,
            widened: None,
        },
        Some(Prefilter::Fields(fields)) => {
            let prefilter = fields(context);
            RuleShape {
                conjs: prefilter_conj(&prefilter).into_iter().collect(),
                write_only: prefilter.write_only,
                widened: prefilter.broad.map(str::to_owned),
            }
        }
        // A rule is a pattern or code with a prefilter; kept total all the same.
        None => RuleShape {
            conjs: vec![Conj::new()],
            write_only: false,
            widened: Some(
                "a rule without a pattern or a prefilter: it may match any record, so every CloudTrail event is \
                 selected"
                    .to_owned(),
            ),
        },
    }
}

/// The narrowest EventBridge patterns selecting every CloudTrail event an enabled rule of `engine` (in its
/// context) could match. Deterministic: the same engine gives the same patterns, in the same order.
pub fn generate(engine: &Engine) -> Patterns {
    let mut conjs: Vec<Conj> = Vec::new();
    let mut read_only = false;
    let mut widened_by = Vec::new();
    for rule in engine.rules() {
        let shape = shape_of(rule, engine.context());
        if shape.conjs.is_empty() {
            continue;
        }
        read_only |= !shape.write_only;
        if let Some(reason) = shape.widened {
            widened_by.push(Widened {
                rule_id: rule.id().to_owned(),
                reason,
            });
        }
        for c in shape.conjs {
            if !conjs.contains(&c) {
                conjs.push(c);
            }
        }
    }
    let alternatives = merge(conjs);
    Patterns {
        patterns: pack(alternatives),
        read_only_management_events: read_only,
        widened_by,
    }
}

/// Drops the conjunctions another one covers, then joins those that differ in one field only (an exact
/// union), until nothing changes. Sorted, for a stable output.
fn merge(mut conjs: Vec<Conj>) -> Vec<Conj> {
    loop {
        let before = conjs.len();
        // Subsumed ones.
        let mut kept: Vec<Conj> = Vec::new();
        for (i, c) in conjs.iter().enumerate() {
            let covered = conjs
                .iter()
                .enumerate()
                .any(|(j, o)| j != i && subsumes(o, c) && !(subsumes(c, o) && j > i));
            if !covered {
                kept.push(c.clone());
            }
        }
        conjs = kept;
        // Pairs differing in one field.
        let mut i = 0;
        while i < conjs.len() {
            let mut j = i + 1;
            while j < conjs.len() {
                if let Some(joined) = join(&conjs[i], &conjs[j]) {
                    conjs[i] = joined;
                    conjs.remove(j);
                } else {
                    j += 1;
                }
            }
            i += 1;
        }
        if conjs.len() == before {
            break;
        }
    }
    conjs.sort();
    conjs
}

/// `a || b` as one conjunction, when they constrain the same fields and differ in at most one of them (an exact
/// union), or only in `eventName` and `eventSource` (both exact lists: the union then also admits the other
/// services' names, a small widening since event names are nearly service-specific).
fn join(a: &Conj, b: &Conj) -> Option<Conj> {
    if a.len() != b.len() || !a.keys().eq(b.keys()) {
        return None;
    }
    let differing: Vec<&Path> = a
        .iter()
        .zip(b.iter())
        .filter(|((_, x), (_, y))| x != y)
        .map(|((path, _), _)| path)
        .collect();
    let name_and_source = || {
        differing.len() == 2
            && differing.iter().all(|path| {
                (**path == p("eventName") || **path == p("eventSource"))
                    && [a, b].iter().all(|c| c[*path].iter().all(Match::is_value))
            })
    };
    if differing.len() > 1 && !name_and_source() {
        return None;
    }
    let mut out = a.clone();
    for path in differing {
        match normalize(a[path].iter().chain(b[path].iter()).cloned().collect()) {
            Some(f) => out.insert(path.clone(), f),
            None => out.remove(path),
        };
    }
    Some(out)
}

/// The `detail` object of a conjunction.
fn detail(conj: &Conj) -> Value {
    let mut root = Map::new();
    for (path, f) in conj {
        let list = Value::Array(f.iter().map(Match::to_json).collect());
        insert(&mut root, path, list);
    }
    Value::Object(root)
}

/// Puts `value` at `path`. A path that runs into another one's leaf (`a` and `a.b`, which no record satisfies
/// both of) is left out: that only widens.
fn insert(map: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = map;
    for key in parents {
        let entry = current
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        match entry {
            Value::Object(next) => current = next,
            _ => return,
        }
    }
    if !current.contains_key(last) {
        current.insert(last.clone(), value);
    }
}

fn detail_types() -> Value {
    Value::Array(
        DETAIL_TYPES
            .iter()
            .map(|t| Value::String((*t).to_owned()))
            .collect(),
    )
}

/// The `source` every pattern pins: only AWS services send events whose source starts with `aws.` (EventBridge
/// refuses a `PutEvents` entry with such a source), so a customer's own event with a CloudTrail `detail-type`
/// never reaches the fast path. The function refuses such an event too (defence in depth).
pub const AWS_SOURCE_PREFIX: &str = "aws.";

/// A complete pattern of these `detail` alternatives (none: every CloudTrail event).
fn pattern(details: &[Value]) -> Value {
    let mut top = Map::new();
    top.insert(
        "source".to_owned(),
        Value::Array(vec![single(
            "prefix",
            Value::String(AWS_SOURCE_PREFIX.to_owned()),
        )]),
    );
    top.insert("detail-type".to_owned(), detail_types());
    match details {
        [] => {}
        [one] => {
            top.insert("detail".to_owned(), one.clone());
        }
        many => {
            top.insert(
                "detail".to_owned(),
                single("$or", Value::Array(many.to_vec())),
            );
        }
    }
    Value::Object(top)
}

fn chars(value: &Value) -> usize {
    value.to_string().chars().count()
}

/// Splits a conjunction too large for one pattern in two, along its longest list of values; `None` when no
/// list has two values left to split.
fn split(conj: &Conj) -> Option<(Conj, Conj)> {
    let (path, f) = conj
        .iter()
        .filter(|(_, f)| f.len() > 1)
        .max_by_key(|(_, f)| f.len())?;
    let half = f.len() / 2;
    let (left, right): (Vec<_>, Vec<_>) =
        f.iter().cloned().enumerate().partition(|(i, _)| *i < half);
    let mut a = conj.clone();
    let mut b = conj.clone();
    a.insert(path.clone(), left.into_iter().map(|(_, m)| m).collect());
    b.insert(path.clone(), right.into_iter().map(|(_, m)| m).collect());
    Some((a, b))
}

/// Packs the alternatives into as few patterns of at most [`MAX_PATTERN_CHARS`] as first-fit-decreasing finds.
fn pack(conjs: Vec<Conj>) -> Vec<Value> {
    if conjs.is_empty() {
        return Vec::new();
    }
    if conjs.iter().any(Conj::is_empty) {
        return vec![pattern(&[])];
    }
    // Alternatives that fit a pattern on their own.
    let mut todo = conjs;
    let mut fitting: Vec<Value> = Vec::new();
    while let Some(c) = todo.pop() {
        let d = detail(&c);
        if chars(&pattern(std::slice::from_ref(&d))) <= MAX_PATTERN_CHARS {
            fitting.push(d);
            continue;
        }
        match split(&c) {
            Some((a, b)) => {
                todo.push(a);
                todo.push(b);
            }
            // One value longer than a pattern: keep it alone (EventBridge will refuse it, loudly).
            None => fitting.push(d),
        }
    }
    fitting.sort_by(|a, b| {
        chars(b)
            .cmp(&chars(a))
            .then_with(|| a.to_string().cmp(&b.to_string()))
    });
    let mut bins: Vec<Vec<Value>> = Vec::new();
    for d in fitting {
        let slot = bins.iter().position(|bin| {
            let mut trial = bin.clone();
            trial.push(d.clone());
            chars(&pattern(&trial)) <= MAX_PATTERN_CHARS
        });
        match slot {
            Some(i) => bins[i].push(d),
            None => bins.push(vec![d]),
        }
    }
    bins.iter().map(|bin| pattern(bin)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pattern::Pattern;
    use rules::config::RulesConfig;
    use serde_json::json;

    fn conjs(src: &str) -> Vec<Value> {
        over(Pattern::parse(src).unwrap().ast())
            .iter()
            .map(detail)
            .collect()
    }

    #[test]
    fn cis_4_1_becomes_error_code_prefix_and_suffix() {
        let got = conjs("{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && ($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }");
        assert_eq!(
            got,
            [
                json!({"errorCode": [{"suffix": "UnauthorizedOperation"}]}),
                json!({"errorCode": [{"prefix": "AccessDenied"}], "eventName": [{"anything-but": ["HeadBucket"]}],
                       "sourceIPAddress": [{"anything-but": ["delivery.logs.amazonaws.com"]}]}),
            ]
        );
    }

    #[test]
    fn terms_eventbridge_cannot_say_exactly_widen() {
        // A text a number could have, an unquoted number, a comparison: present.
        assert_eq!(
            conjs(r#"{ $.a = "200" }"#),
            [json!({"a": [{"exists": true}]})]
        );
        assert_eq!(conjs("{ $.a = 200 }"), [json!({"a": [{"exists": true}]})]);
        assert_eq!(conjs("{ $.a > 2 }"), [json!({"a": [{"exists": true}]})]);
        // A wildcard whose prefix a number could start with uses the suffix, else present.
        assert_eq!(
            conjs(r#"{ $.a = "12*x" }"#),
            [json!({"a": [{"suffix": "x"}]})]
        );
        assert_eq!(
            conjs(r#"{ $.a = "*12*" }"#),
            [json!({"a": [{"exists": true}]})]
        );
        // NOT EXISTS below a field that may be an array, and indexed selectors, constrain nothing.
        assert_eq!(conjs("{ $.resources.ARN NOT EXISTS }"), [json!({})]);
        assert_eq!(
            conjs("{ $.errorCode NOT EXISTS }"),
            [json!({"errorCode": [{"exists": false}]})]
        );
        assert_eq!(
            conjs("{ $.userIdentity.invokedBy NOT EXISTS }"),
            [json!({"userIdentity": {"invokedBy": [{"exists": false}]}})]
        );
        assert_eq!(conjs(r#"{ $.a[0].b = "x" }"#), [json!({})]);
        assert_eq!(
            conjs("{ $.a IS TRUE && $.b IS NULL }"),
            [json!({"a": [true], "b": [null]})]
        );
    }

    #[test]
    fn and_intersects_and_drops_contradictions() {
        assert_eq!(
            conjs(r#"{ ($.eventName = "A" || $.eventName = "B") && $.eventName = "B*" }"#),
            [json!({"eventName": ["B"]})]
        );
        assert!(conjs(r#"{ $.eventName = "A" && $.eventName = "B" }"#).is_empty());
        assert!(conjs(r#"{ $.errorCode NOT EXISTS && $.errorCode = "X" }"#).is_empty());
    }

    fn engine(custom: &[&str]) -> Engine {
        let mut cfg = String::from("profile = \"cis\"\ndisable = [");
        let ids: Vec<String> = rules::catalog::BUILTIN
            .iter()
            .map(|r| format!("\"{}\"", r.id))
            .collect();
        cfg += &ids.join(",");
        cfg += "]\n";
        for (i, p) in custom.iter().enumerate() {
            cfg += &format!("[[custom_rules]]\nid = \"r{i}\"\ntitle = \"t\"\nseverity = \"low\"\npattern = '{p}'\n");
        }
        Engine::from_config(&RulesConfig::parse(&cfg, "t.toml").unwrap(), "2026-01-01").unwrap()
    }

    #[test]
    fn rules_that_differ_in_one_field_merge_and_large_lists_split() {
        let names: Vec<String> = (0..300)
            .map(|i| format!("SomeRatherLongEventName{i:04}"))
            .collect();
        let rules: Vec<String> = names
            .iter()
            .map(|n| format!(r#"{{ $.eventSource = "s.amazonaws.com" && $.eventName = "{n}" }}"#))
            .collect();
        let refs: Vec<&str> = rules.iter().map(String::as_str).collect();
        let out = generate(&engine(&refs));
        assert!(out.patterns.len() > 1, "{} patterns", out.patterns.len());
        let mut seen = BTreeSet::new();
        for p in &out.patterns {
            assert!(p.to_string().chars().count() <= MAX_PATTERN_CHARS);
            assert_eq!(p["detail"]["eventSource"], json!(["s.amazonaws.com"]));
            for n in p["detail"]["eventName"].as_array().unwrap() {
                seen.insert(n.as_str().unwrap().to_owned());
            }
        }
        assert_eq!(seen, names.into_iter().collect());
        assert!(out.widened_by.is_empty());
        assert!(
            out.read_only_management_events,
            "event names may be read-only"
        );
    }

    #[test]
    fn a_rule_that_cannot_be_narrowed_is_named_and_write_only_rules_need_no_read_only_events() {
        let out = generate(&engine(&[
            r#"{ $.eventName = "A" && $.readOnly IS FALSE }"#,
        ]));
        assert!(!out.read_only_management_events);
        assert_eq!(out.patterns.len(), 1);
        let out = generate(&engine(&[
            r#"{ $.eventName = "A" }"#,
            r#"{ $.userAgent = "*x*" }"#,
        ]));
        assert_eq!(out.widened_by.len(), 1);
        assert_eq!(out.widened_by[0].rule_id, "r1");
        let out = generate(&engine(&[
            r#"{ $.eventName = "A" }"#,
            r#"{ $.a[0] = "x" }"#,
        ]));
        assert_eq!(
            out.patterns,
            [json!({"source": [{"prefix": "aws."}], "detail-type": DETAIL_TYPES})]
        );
        assert!(out.widened_by[0].reason.contains("every CloudTrail event"));
        assert_eq!(generate(&engine(&[])).patterns, Vec::<Value>::new());
    }

    #[test]
    fn context_rules_follow_the_deployment() {
        let mut cfg = RulesConfig::parse("profile = \"recommended\"\n", "t.toml").unwrap();
        let off = generate(&Engine::from_config(&cfg, "2026-01-01").unwrap());
        assert!(!off.patterns.to_string_lossy().contains("AKIAWATCHED"));
        cfg = RulesConfig::parse(
            "profile = \"recommended\"\nwatched_access_keys = [\"AKIAWATCHEDEXAMPLE01\"]\n",
            "t.toml",
        )
        .unwrap();
        let on = generate(&Engine::from_config(&cfg, "2026-01-01").unwrap());
        assert!(on
            .patterns
            .to_string_lossy()
            .contains("\"accessKeyId\":[\"AKIAWATCHEDEXAMPLE01\"]"));
    }

    trait Lossy {
        fn to_string_lossy(&self) -> String;
    }
    impl Lossy for Vec<Value> {
        fn to_string_lossy(&self) -> String {
            Value::Array(self.clone()).to_string()
        }
    }
}
