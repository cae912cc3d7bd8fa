//! What a rule is: stable metadata plus a detection (a CloudWatch filter pattern, or Rust code where a pattern
//! cannot say it).

use crate::threshold::Threshold;
use crate::{pipeline::PipelineResources, profile::Profile, severity::Severity};
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
    pub pipeline: PipelineResources,
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

/// How a rule decides whether a record matches.
#[derive(Clone, Copy)]
pub enum Detection {
    /// A CloudWatch Logs JSON filter pattern, evaluated with CloudWatch's semantics.
    Pattern(&'static str),
    /// Rust code, for what a pattern cannot express.
    Code(CodeRule),
    /// Rust code that can only match records whose `eventName` is one of `events`. The engine indexes it by
    /// those names, as it indexes patterns, so other records never run it. The code must still check the event
    /// name itself (it is also run on its own, e.g. by `rules test`).
    CodeFor {
        events: &'static [&'static str],
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
            Detection::Code(_) => f.write_str("Code(..)"),
            Detection::CodeFor { events, .. } => f
                .debug_struct("CodeFor")
                .field("events", events)
                .finish_non_exhaustive(),
            Detection::Threshold(t) => f.debug_tuple("Threshold").field(t).finish(),
            Detection::CodeThreshold {
                group_by,
                window_minutes,
                count,
                ..
            } => f
                .debug_struct("CodeThreshold")
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
