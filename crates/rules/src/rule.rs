//! What a rule is: stable metadata plus a detection (a CloudWatch filter pattern, or Rust code where a pattern
//! cannot say it).

use crate::threshold::Threshold;
use crate::{own_resources::OwnResources, profile::Profile, severity::Severity};
use cloudtrail::Node;
use serde::Serialize;
use std::collections::BTreeSet;

/// A benchmark or standard a rule implements, with the control's id in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Control {
    /// e.g. `CIS v1.2`, `CIS v1.4-v5.0`, `CIS v6.0-v7.0`, `Security Hub`.
    pub framework: &'static str,
    /// e.g. `3.1`, `4.1`, `5.1`, `CloudWatch.2`.
    pub id: &'static str,
}

impl std::fmt::Display for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.framework, self.id)
    }
}

/// Deployment-specific facts some rules need (from the config file): who is trusted, which keys are watched,
/// where activity is allowed. Empty sets mean "not configured".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Account ids whose calls into this organization are expected (besides the recipient account itself).
    pub trusted_accounts: BTreeSet<String>,
    /// Access key ids whose every use alerts (e.g. a leaked key).
    pub watched_access_keys: BTreeSet<String>,
    /// Regions where non-read-only activity is expected; empty = no region rule.
    pub allowed_regions: BTreeSet<String>,
    /// This deployment's own resources (the rules file's `[pipeline]` table), watched by
    /// `trailwarden-pipeline-tampering`; empty = that rule is off.
    pub own_resources: OwnResources,
}

/// A code rule's positive verdict, optionally with a note for the alert (e.g. "centralized root access
/// session (sts:AssumeRoot)").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hit {
    pub note: Option<&'static str>,
}

impl Hit {
    /// A match without a note.
    pub const PLAIN: Hit = Hit { note: None };

    /// A match with a note shown in the alert.
    pub const fn noted(note: &'static str) -> Hit {
        Hit { note: Some(note) }
    }
}

/// The signature of a code rule. Must be total: a missing or oddly typed field is "no match", never a panic.
pub type CodeRule = fn(Node<'_>, &Context) -> Option<Hit>;

/// What a code rule can match at most, declared in the rule's own file: every record the rule matches
/// satisfies it. The engine's index, the EventBridge pattern generator and the documentation read it; a code
/// rule cannot be written without one.
#[derive(Clone, Copy)]
pub enum Prefilter {
    /// Only records whose `eventName` is one of these.
    EventNames(&'static [&'static str]),
    /// Only records with these field values, which may depend on the deployment's context (the trusted
    /// accounts, the allowed regions, the watched keys).
    Fields(fn(&Context) -> FieldPrefilter),
}

impl std::fmt::Debug for Prefilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Prefilter::EventNames(events) => f.debug_tuple("EventNames").field(events).finish(),
            Prefilter::Fields(_) => f.write_str("Fields(..)"),
        }
    }
}

/// A code rule's field prefilter in one deployment context.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPrefilter {
    /// Each field (a dotted path below the record, e.g. `userIdentity.type`) with the values it may have (any
    /// one of them); a record the rule matches satisfies every entry. `None`: the rule matches nothing in this
    /// context (it is off, e.g. without watched keys).
    pub fields: Option<Vec<(&'static str, Vec<FieldValue>)>>,
    /// The rule never matches a read-only event (`readOnly: true`).
    pub write_only: bool,
    /// Why the prefilter still selects a wide share of all events, if it does (EventBridge patterns built from
    /// it are listed as widened, with this reason).
    pub broad: Option<&'static str>,
}

/// One value a prefiltered field may have.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FieldValue {
    /// Exactly this string.
    Is(String),
    /// A string starting with this.
    Prefix(String),
    /// A string ending with this.
    Suffix(String),
    /// Any value but these strings (the field must have a value).
    AnythingBut(BTreeSet<String>),
    /// `true`: the field has a value; `false`: it has none.
    Exists(bool),
}

impl FieldPrefilter {
    /// Matches nothing in this context.
    pub fn nothing(write_only: bool) -> FieldPrefilter {
        FieldPrefilter {
            fields: None,
            write_only,
            broad: None,
        }
    }

    /// Records with these fields.
    pub fn fields(
        fields: Vec<(&'static str, Vec<FieldValue>)>,
        write_only: bool,
    ) -> FieldPrefilter {
        FieldPrefilter {
            fields: Some(fields),
            write_only,
            broad: None,
        }
    }

    /// Says why the prefilter still selects a wide share of all events.
    pub fn broad(mut self, why: &'static str) -> FieldPrefilter {
        self.broad = Some(why);
        self
    }
}

impl FieldValue {
    /// Exactly one of these strings (as alternatives of one field).
    pub fn one_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<FieldValue> {
        values
            .into_iter()
            .map(|v| FieldValue::Is(v.to_owned()))
            .collect()
    }

    /// Any value but these strings.
    pub fn anything_but<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<FieldValue> {
        vec![FieldValue::AnythingBut(
            values.into_iter().map(str::to_owned).collect(),
        )]
    }

    /// The field is absent (`false`) or present (`true`).
    pub fn exists(present: bool) -> Vec<FieldValue> {
        vec![FieldValue::Exists(present)]
    }
}

/// How a rule decides whether a record matches.
#[derive(Clone, Copy)]
pub enum Detection {
    /// A CloudWatch Logs JSON filter pattern, evaluated with CloudWatch's semantics.
    Pattern(&'static str),
    /// Rust code, for what a pattern cannot express, with what it can match: every record `detect` accepts
    /// satisfies `prefilter`. The engine indexes the rule by it (event names, as it indexes patterns, so other
    /// records never run it) and the EventBridge pattern generator selects by it. The code must still check
    /// what the prefilter says itself (it is also run on its own, e.g. by `rules test`).
    Code {
        prefilter: Prefilter,
        detect: CodeRule,
    },
    /// A threshold rule: at least N events matching a filter pattern with the same key within W minutes,
    /// optionally counting distinct values of fields (see [`crate::threshold`]). The filter is indexed like a
    /// pattern; only records it matches touch the threshold state.
    Threshold(Threshold),
    /// A threshold rule whose filter is Rust code: `detect` says whether a record counts (as a
    /// [`Detection::Code`] rule says whether it matches), and the rule fires once at least `count` counted
    /// events share a key within `window_minutes` (see [`crate::threshold`]). With `count = 1` it is a code
    /// rule that alerts once per key and window instead of on every one of many alike records.
    CodeThreshold {
        prefilter: Prefilter,
        detect: CodeRule,
        group_by: &'static [&'static str],
        window_minutes: u32,
        count: u32,
    },
}

impl std::fmt::Debug for Detection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Detection::Pattern(p) => f.debug_tuple("Pattern").field(p).finish(),
            Detection::Code { prefilter, .. } => f
                .debug_struct("Code")
                .field("prefilter", prefilter)
                .finish_non_exhaustive(),
            Detection::Threshold(t) => f.debug_tuple("Threshold").field(t).finish(),
            Detection::CodeThreshold {
                prefilter,
                group_by,
                window_minutes,
                count,
                ..
            } => f
                .debug_struct("CodeThreshold")
                .field("prefilter", prefilter)
                .field("group_by", group_by)
                .field("window_minutes", window_minutes)
                .field("count", count)
                .finish_non_exhaustive(),
        }
    }
}

/// A built-in rule. Ids are stable kebab-case: they appear in alerts, exclusions and configs.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// The profiles that run it, besides `all` (which runs every built-in rule): `&[Profile::Cis,
    /// Profile::Recommended]` for a CIS control, `&[Profile::Recommended]` for a beyond-CIS detection, `&[]`
    /// for a rule that runs only when a rules file enables it (or under `all`).
    pub profiles: &'static [Profile],
    pub controls: &'static [Control],
    pub detection: Detection,
    /// Why it matters, in one paragraph.
    pub rationale: &'static str,
    /// What to check next when it fires.
    pub next_steps: &'static str,
}

impl Rule {
    /// Whether `profile` runs this rule: `all` runs every rule, the others the rules that list them.
    pub fn in_profile(&self, profile: Profile) -> bool {
        profile == Profile::All || self.profiles.contains(&profile)
    }
}

/// A set of rules handed to the configuration and the engine, which do not know the built-in catalog
/// themselves (the built-in one is `catalog::CATALOG`).
#[derive(Debug, Clone, Copy)]
pub struct Catalog {
    /// Every rule, in catalog order.
    pub rules: &'static [&'static Rule],
    /// The id of the rule that watches this deployment's own resources: on whatever the profile when the
    /// rules file has a `[pipeline]` table, and never excluded.
    pub own_resources_rule: &'static str,
}

impl Catalog {
    /// Whether `id` is one of the catalog's rules.
    pub fn contains(&self, id: &str) -> bool {
        self.rules.iter().any(|r| r.id == id)
    }
}
