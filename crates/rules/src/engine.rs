//! Compiled rule sets: patterns are parsed once (at cold start), records are evaluated many times.
//!
//! An [`Engine`] holds the selected rules (built-in and custom), the deployment [`Context`] code rules consult,
//! and the exclusions. Rules are indexed by the exact values one field must have for them to match: the
//! `eventName` values their pattern requires, or for a pattern without an `eventName` term, another field it
//! limits to exact values (`$.userIdentity.type = "Root"`, `$.sourceIPAddress = "203.0.113.7"`), or, for a
//! pattern with neither, the prefixes its `eventName` wildcards require (`List*`, `Describe*`). A record is
//! then only checked against the rules its values select plus the few rules no index covers (other wildcard
//! or numeric patterns, code rules without an event list): the cost per record grows with the rules relevant
//! to it, not with the size of the catalog.

use crate::config::RulesConfig;
use crate::profile::Profile;
use crate::threshold::{ThresholdRule, ThresholdSpec};
use crate::{
    config::ConfigError, rule::Catalog, rule::CodeRule, rule::Context, rule::Control,
    rule::Detection, rule::Hit, rule::Prefilter, rule::Rule, severity::Severity,
};
use cloudtrail::Node;
use foldhash::{HashMap, HashMapExt};
use pattern::{Document as _, Lookup, ParseError, PathStep, Pattern};
use std::borrow::Cow;
use std::collections::BTreeSet;

/// Building an [`Engine`] failed. Every built-in pattern is checked by a test, so in practice this is a
/// configuration error, reported loudly at start-up.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A rule's filter pattern does not parse.
    #[error("rule {id}: invalid filter pattern: {source}")]
    Pattern {
        id: String,
        #[source]
        source: ParseError,
    },
    /// A built-in threshold rule's definition is invalid.
    #[error("rule {id}: invalid threshold: {message}")]
    Threshold { id: String, message: String },
    /// A requested rule id does not exist.
    #[error("unknown rule id {id:?} (see `trailwarden rules list`)")]
    UnknownRule { id: String },
    /// Two rules share an id.
    #[error("duplicate rule id {id:?}")]
    DuplicateRule { id: String },
}

#[derive(Debug, Clone)]
enum Matcher {
    Pattern(Pattern),
    /// Code, with what it can match (its event names are indexed).
    Code(CodeRule, Prefilter),
}

/// One rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    id: Cow<'static, str>,
    title: Cow<'static, str>,
    severity: Severity,
    controls: &'static [Control],
    rationale: Cow<'static, str>,
    next_steps: Cow<'static, str>,
    builtin: bool,
    matcher: Matcher,
    /// Indices into the engine's exclusions that apply to this rule.
    exclusions: Vec<usize>,
    /// For a threshold rule (its matcher, pattern or code, is the filter): N, W, the key and distinct fields.
    threshold: Option<Box<ThresholdSpec>>,
}

impl CompiledRule {
    /// Compiles a built-in rule's detection.
    pub fn compile(rule: &'static Rule) -> Result<Self, EngineError> {
        let mut threshold = None;
        let matcher = match rule.detection {
            Detection::Pattern(src) => {
                Matcher::Pattern(Pattern::parse(src).map_err(|source| EngineError::Pattern {
                    id: rule.id.to_owned(),
                    source,
                })?)
            }
            Detection::Code { prefilter, detect } => Matcher::Code(detect, prefilter),
            Detection::Threshold(t) => {
                let (filter, spec) =
                    ThresholdSpec::compile(&t).map_err(|message| EngineError::Threshold {
                        id: rule.id.to_owned(),
                        message,
                    })?;
                threshold = Some(Box::new(spec));
                Matcher::Pattern(filter)
            }
            Detection::CodeThreshold {
                prefilter,
                detect,
                group_by,
                window_minutes,
                count,
            } => {
                let spec =
                    ThresholdSpec::new(i64::from(count), i64::from(window_minutes), group_by, None)
                        .map_err(|e| EngineError::Threshold {
                            id: rule.id.to_owned(),
                            message: e.to_string(),
                        })?;
                threshold = Some(Box::new(spec));
                Matcher::Code(detect, prefilter)
            }
        };
        Ok(CompiledRule {
            id: Cow::Borrowed(rule.id),
            title: Cow::Borrowed(rule.title),
            severity: rule.severity,
            controls: rule.controls,
            rationale: Cow::Borrowed(rule.rationale),
            next_steps: Cow::Borrowed(rule.next_steps),
            builtin: true,
            matcher,
            exclusions: Vec::new(),
            threshold,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn title(&self) -> &str {
        &self.title
    }
    pub fn severity(&self) -> Severity {
        self.severity
    }
    /// The benchmark controls it implements (empty for custom rules).
    pub fn controls(&self) -> &[Control] {
        self.controls
    }
    /// Why it matters.
    pub fn rationale(&self) -> &str {
        &self.rationale
    }
    /// What to check next when it fires.
    pub fn next_steps(&self) -> &str {
        &self.next_steps
    }
    /// Built into trailwarden (as opposed to a custom rule from the config file).
    pub fn is_builtin(&self) -> bool {
        self.builtin
    }
    /// For a threshold rule, its threshold (its [`CompiledRule::pattern`] is the filter); `None` otherwise.
    /// A threshold rule's [`CompiledRule::matches`] says whether a record counts toward it, not that it fires.
    pub fn threshold(&self) -> Option<&ThresholdSpec> {
        self.threshold.as_deref()
    }
    /// The filter pattern, for pattern rules (and threshold rules: their filter).
    pub fn pattern(&self) -> Option<&Pattern> {
        match &self.matcher {
            Matcher::Pattern(p) => Some(p),
            Matcher::Code(..) => None,
        }
    }

    /// For a code rule, what it can match (declared in its file); `None` for a pattern.
    pub fn prefilter(&self) -> Option<Prefilter> {
        match &self.matcher {
            Matcher::Code(_, prefilter) => Some(*prefilter),
            Matcher::Pattern(_) => None,
        }
    }

    /// The fields this rule requires exact string values of, with those values, `eventName` first when it
    /// is one of them (the engine indexes the rule under one of these); empty when any record may match.
    fn required_fields(&self) -> Vec<(Cow<'_, [PathStep]>, Vec<&str>)> {
        match &self.matcher {
            Matcher::Pattern(p) => {
                let mut fields: Vec<_> = p
                    .required_fields()
                    .into_iter()
                    .map(|(path, values)| (Cow::Borrowed(path), values))
                    .collect();
                // Stable: eventName (the field almost every rule names) first, the rest in pattern order.
                fields.sort_by_key(|(path, _)| **path != *event_name_path());
                fields
            }
            Matcher::Code(_, Prefilter::EventNames(events)) => {
                vec![(Cow::Owned(event_name_path().to_vec()), events.to_vec())]
            }
            // Field prefilters depend on the context and are not exact values of one field: unindexed.
            Matcher::Code(_, Prefilter::Fields(_)) => Vec::new(),
        }
    }

    /// Whether the record matches, and the code rule's note if any.
    pub fn evaluate(&self, record: Node<'_>, context: &Context) -> Option<Hit> {
        match &self.matcher {
            Matcher::Pattern(p) => p.matches(&record).then_some(Hit::PLAIN),
            Matcher::Code(f, _) => f(record, context),
        }
    }

    /// Whether the record matches.
    pub fn matches(&self, record: Node<'_>, context: &Context) -> bool {
        self.evaluate(record, context).is_some()
    }
}

/// A visible, named exception: matching findings are suppressed and counted under its id, never dropped
/// silently.
#[derive(Debug, Clone)]
pub struct Exclusion {
    pub id: String,
    pub reason: String,
    /// Last day (`YYYY-MM-DD`, UTC) of events it applies to.
    pub expires: Option<String>,
    /// Rule ids it is limited to (all rules when `None`).
    pub rules: Option<Vec<String>>,
    pattern: Pattern,
}

impl Exclusion {
    /// The condition, as a filter pattern.
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// Whether it still applies to an event of this date (`YYYY-MM-DD…`; ISO dates compare as text).
    pub fn applies_on(&self, date: &str) -> bool {
        self.expires
            .as_deref()
            .is_none_or(|last| date.get(..10).unwrap_or(date) <= last)
    }
}

/// What evaluating a record produced for one matching rule.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// An alert. `expired` is an exclusion that matched but no longer applies (the alert says so).
    Finding {
        rule: &'a CompiledRule,
        hit: Hit,
        expired: Option<&'a Exclusion>,
    },
    /// Matched, but an exclusion applies.
    Suppressed {
        rule: &'a CompiledRule,
        exclusion: &'a Exclusion,
    },
}

/// `$.eventName` as a selector path.
fn event_name_path() -> &'static [PathStep] {
    static PATH: std::sync::OnceLock<[PathStep; 1]> = std::sync::OnceLock::new();
    PATH.get_or_init(|| [PathStep::Key("eventName".into())])
}

/// At most this many fields are indexed (`eventName` included). Each indexed field costs one lookup per
/// record, so a rule whose only exact field would be one more is checked on every record instead.
pub const MAX_INDEXED_FIELDS: usize = 8;

/// Rules indexed by the exact string values one field must have for them to match.
#[derive(Debug, Clone)]
struct FieldIndex {
    path: Box<[PathStep]>,
    /// Value → indices of the rules that require it (ascending).
    by_value: HashMap<Box<str>, Vec<usize>>,
    /// Prefix → indices of the rules that require the value to start with it (ascending): patterns whose only
    /// limit on the field is wildcards like `List*` (`eventName` only).
    by_prefix: Vec<(Box<str>, Vec<usize>)>,
    /// Every rule of this index (ascending).
    all: Vec<usize>,
}

/// At most this many prefix lists are taken for one record; beyond, the whole index is tried (a superset).
const MAX_PREFIX_LISTS: usize = 4;

impl FieldIndex {
    /// Adds the rules of this index that can match the record to `merge`.
    fn candidates<'a>(&'a self, record: &Node<'_>, merge: &mut MergeAscending<'a>) {
        match record.lookup(&self.path) {
            Lookup::String(value) => {
                merge.push(self.by_value.get(value).map_or(&[], Vec::as_slice));
                // One walk of the prefix lists: the matching ones are kept until a fifth one shows the whole
                // index is cheaper.
                let mut lists: [&[usize]; MAX_PREFIX_LISTS] = [&[]; MAX_PREFIX_LISTS];
                let mut found = 0;
                for (prefix, rules) in &self.by_prefix {
                    if value.starts_with(&**prefix) {
                        if found == MAX_PREFIX_LISTS {
                            merge.push(&self.all);
                            return;
                        }
                        lists[found] = rules;
                        found += 1;
                    }
                }
                for rules in &lists[..found] {
                    merge.push(rules);
                }
            }
            // An exact `=` value matches only a string, or a number through its text. Absent: nothing here.
            Lookup::Missing => {}
            // Anything else (a number, or a value no `=` matches): be safe, try every rule of the index.
            _ => merge.push(&self.all),
        }
    }
}

/// A set of compiled rules with their context and exclusions.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: Vec<CompiledRule>,
    context: Context,
    exclusions: Vec<Exclusion>,
    /// The indexed fields, `eventName` first when any rule requires it.
    fields: Vec<FieldIndex>,
    /// Rules no index covers (code rules without an event list, patterns without an exact field): tried on
    /// every record.
    unindexed: Vec<usize>,
    /// The date used for records without an `eventTime` (the day the engine was built).
    today: String,
    /// The catalog's rule that watches this deployment's own resources (no exclusion applies to it while
    /// the context has any); empty for an engine built from a list of rules.
    own_resources_rule: &'static str,
}

impl Engine {
    /// Compiles the given built-in rules; ids must be unique.
    pub fn new<'a>(
        rules: impl IntoIterator<Item = &'a &'static Rule>,
    ) -> Result<Self, EngineError> {
        let mut compiled: Vec<CompiledRule> = Vec::new();
        for rule in rules {
            if compiled.iter().any(|c| c.id() == rule.id) {
                return Err(EngineError::DuplicateRule {
                    id: rule.id.to_owned(),
                });
            }
            compiled.push(CompiledRule::compile(rule)?);
        }
        Ok(Engine::assemble(
            compiled,
            Context::default(),
            Vec::new(),
            String::new(),
            "",
        ))
    }

    /// Every rule of `catalog`.
    pub fn all_of(catalog: &Catalog) -> Result<Self, EngineError> {
        Engine::new(catalog.rules)
    }

    /// The rules of `catalog` in a profile.
    pub fn profile_of(catalog: &Catalog, profile: Profile) -> Result<Self, EngineError> {
        Engine::new(catalog.rules.iter().filter(|r| r.in_profile(profile)))
    }

    /// Builds the engine a configuration file describes over `catalog`: its profile adjusted by
    /// `enable`/`disable`, its custom rules, context and exclusions. `today` (`YYYY-MM-DD`) dates records that
    /// lack an `eventTime`.
    pub fn from_config_with(
        cfg: &RulesConfig,
        catalog: &Catalog,
        today: &str,
    ) -> Result<Self, ConfigError> {
        let profile = cfg.profile();
        // A rules file with a `[pipeline]` table (the Terraform module writes it) watches its own pipeline
        // whatever the profile: `cis` included. Only an explicit `disable` (visible in the reviewed file)
        // switches it off.
        let pipeline_watched = !cfg.own_resources().is_empty();
        let wanted = |rule: &Rule| {
            (rule.in_profile(profile)
                || cfg.enable.iter().any(|e| e.get_ref() == rule.id)
                || (pipeline_watched && rule.id == catalog.own_resources_rule))
                && !cfg.disable.iter().any(|d| d.get_ref() == rule.id)
        };
        let mut rules = Vec::new();
        for rule in catalog.rules.iter().filter(|r| wanted(r)) {
            // Built-in patterns are validated by a test; report rather than panic all the same.
            rules.push(CompiledRule::compile(rule).map_err(|e| cfg.error(0..0, e.to_string()))?);
        }
        for c in &cfg.custom_rules {
            rules.push(CompiledRule {
                id: Cow::Owned(c.id.get_ref().clone()),
                title: Cow::Owned(c.title.clone()),
                severity: c
                    .severity
                    .get_ref()
                    .parse()
                    .map_err(|e: String| cfg.error(c.severity.span(), e))?,
                controls: &[],
                rationale: Cow::Owned(c.rationale.clone().unwrap_or_default()),
                next_steps: Cow::Owned(c.next_steps.clone().unwrap_or_default()),
                builtin: false,
                matcher: Matcher::Pattern(cfg.compile_pattern(&c.pattern)?),
                exclusions: Vec::new(),
                threshold: cfg.custom_threshold(c)?.map(Box::new),
            });
        }
        let strings = |v: &[toml::Spanned<String>]| -> BTreeSet<String> {
            v.iter().map(|s| s.get_ref().clone()).collect()
        };
        let context = Context {
            trusted_accounts: strings(&cfg.trusted_accounts),
            watched_access_keys: strings(&cfg.watched_access_keys),
            allowed_regions: strings(&cfg.allowed_regions),
            own_resources: cfg.own_resources().clone(),
        };
        let mut exclusions = Vec::new();
        for x in &cfg.exclusions {
            exclusions.push(Exclusion {
                id: x.id.get_ref().clone(),
                reason: x.reason.get_ref().clone(),
                expires: x.expires.as_ref().map(|d| d.get_ref().clone()),
                rules: x
                    .rules
                    .as_ref()
                    .map(|ids| ids.iter().map(|i| i.get_ref().clone()).collect()),
                pattern: cfg.exclusion_pattern(x)?,
            });
        }
        Ok(Engine::assemble(
            rules,
            context,
            exclusions,
            today.to_owned(),
            catalog.own_resources_rule,
        ))
    }

    fn assemble(
        mut rules: Vec<CompiledRule>,
        context: Context,
        exclusions: Vec<Exclusion>,
        today: String,
        own_resources_rule: &'static str,
    ) -> Engine {
        // With a `[pipeline]` table the tampering rule is the pipeline's own guarantee, like `unevaluated-record`:
        // no exclusion applies to it (one naming it is refused by the rules file; a rule-wide one passes it by),
        // or a catch-all exclusion would mute the alert that reports the change that wrote it.
        let guarded = |rule: &CompiledRule| {
            !context.own_resources.is_empty() && rule.id() == own_resources_rule
        };
        for rule in &mut rules {
            if guarded(rule) {
                rule.exclusions = Vec::new();
                continue;
            }
            rule.exclusions = exclusions
                .iter()
                .enumerate()
                .filter(|(_, x)| {
                    x.rules
                        .as_ref()
                        .is_none_or(|ids| ids.iter().any(|i| i == rule.id()))
                })
                .map(|(i, _)| i)
                .collect();
        }
        let new_index = |path: &[PathStep]| FieldIndex {
            path: path.into(),
            by_value: HashMap::new(),
            by_prefix: Vec::new(),
            all: Vec::new(),
        };
        // eventName first: almost every rule names it, and it is the most selective field.
        let mut fields = vec![new_index(event_name_path())];
        let mut unindexed = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let required = rule.required_fields();
            // The rule's first field that is already indexed (eventName when the rule requires it: it comes
            // first, and its index always exists), else its first field while there is room.
            let existing = required.iter().find_map(|(path, values)| {
                let f = fields.iter().position(|f| *f.path == **path)?;
                Some((f, values))
            });
            let chosen = existing.or_else(|| {
                let (path, values) = required.first()?;
                (fields.len() < MAX_INDEXED_FIELDS).then(|| {
                    fields.push(new_index(path));
                    (fields.len() - 1, values)
                })
            });
            match chosen {
                Some((f, values)) => {
                    let index = &mut fields[f];
                    for value in values {
                        index.by_value.entry((*value).into()).or_default().push(i);
                    }
                    index.all.push(i);
                }
                // No exact field: an `eventName` limited to prefixes (`List*`, `Describe*`) still spares the
                // records whose name starts with none of them.
                None => match rule
                    .pattern()
                    .and_then(|p| p.required_prefixes(event_name_path()))
                {
                    Some(prefixes) => {
                        let index = &mut fields[0];
                        for prefix in prefixes {
                            match index.by_prefix.iter_mut().find(|(p, _)| **p == *prefix) {
                                Some((_, rules)) => rules.push(i),
                                None => index.by_prefix.push((prefix.into(), vec![i])),
                            }
                        }
                        index.all.push(i);
                    }
                    None => unindexed.push(i),
                },
            }
        }
        fields.retain(|f| !f.all.is_empty());
        Engine {
            rules,
            context,
            exclusions,
            fields,
            unindexed,
            today,
            own_resources_rule,
        }
    }

    /// Keeps only the rules with these ids; an id that is not in the engine is an error.
    pub fn retain_ids<S: AsRef<str>>(self, ids: &[S]) -> Result<Self, EngineError> {
        if let Some(missing) = ids
            .iter()
            .find(|id| !self.rules.iter().any(|r| r.id() == id.as_ref()))
        {
            return Err(EngineError::UnknownRule {
                id: missing.as_ref().to_owned(),
            });
        }
        let Engine {
            rules,
            context,
            exclusions,
            today,
            own_resources_rule,
            ..
        } = self;
        let kept = rules
            .into_iter()
            .filter(|r| ids.iter().any(|id| id.as_ref() == r.id()))
            .collect();
        Ok(Engine::assemble(
            kept,
            context,
            exclusions,
            today,
            own_resources_rule,
        ))
    }

    /// Sets the deployment context code rules consult.
    pub fn with_context(mut self, context: Context) -> Self {
        self.context = context;
        self
    }

    /// The deployment context.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The compiled rules.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn rule(&self, id: &str) -> Option<&CompiledRule> {
        self.rules.iter().find(|r| r.id() == id)
    }

    /// The exclusions.
    pub fn exclusions(&self) -> &[Exclusion] {
        &self.exclusions
    }

    /// Exclusions whose expiry date is before `date` (`YYYY-MM-DD`): they no longer apply to new events.
    pub fn expired_exclusions<'a>(
        &'a self,
        date: &'a str,
    ) -> impl Iterator<Item = &'a Exclusion> + 'a {
        self.exclusions.iter().filter(move |x| !x.applies_on(date))
    }

    /// The rules that match a record, each with its hit, ignoring exclusions.
    pub fn matching<'a, 'r>(
        &'a self,
        record: Node<'r>,
    ) -> impl Iterator<Item = (&'a CompiledRule, Hit)> + use<'a, 'r> {
        self.candidates(record).filter_map(move |i| {
            Some((
                &self.rules[i],
                self.rules[i].evaluate(record, &self.context)?,
            ))
        })
    }

    /// Evaluates a record: every matching rule, as a finding or as suppressed by an exclusion.
    pub fn evaluate<'a, 'r>(
        &'a self,
        record: Node<'r>,
    ) -> impl Iterator<Item = Outcome<'a>> + use<'a, 'r> {
        self.matching(record).map(move |(rule, hit)| {
            let mut expired = None;
            for &x in &rule.exclusions {
                let exclusion = &self.exclusions[x];
                if !exclusion.pattern.matches(&record) {
                    continue;
                }
                let date = record
                    .get("eventTime")
                    .and_then(|t| t.as_str())
                    .unwrap_or(&self.today);
                if exclusion.applies_on(date) {
                    return Outcome::Suppressed { rule, exclusion };
                }
                expired.get_or_insert(exclusion);
            }
            Outcome::Finding { rule, hit, expired }
        })
    }

    /// How many rules the index leaves to evaluate for this record (benchmarks, diagnostics).
    pub fn candidate_count(&self, record: Node<'_>) -> usize {
        self.candidates(record).count()
    }

    /// Indices of the rules that can match the record, ascending (the order findings come in), without
    /// allocating.
    fn candidates<'a>(&'a self, record: Node<'_>) -> MergeAscending<'a> {
        let mut merge = MergeAscending::default();
        for field in &self.fields {
            field.candidates(&record, &mut merge);
        }
        merge.push(&self.unindexed);
        merge
    }
}

/// Merges ascending index lists: each index once, in order. A rule is in one list only, so nothing repeats;
/// equal heads are still taken together, so the merge would stay correct if that changed.
#[derive(Default)]
struct MergeAscending<'a> {
    lists: [&'a [usize]; MAX_INDEXED_FIELDS + MAX_PREFIX_LISTS + 2],
    len: usize,
}

impl<'a> MergeAscending<'a> {
    /// Adds a list; empty ones are not kept, so the common record costs one or two lists.
    fn push(&mut self, list: &'a [usize]) {
        if !list.is_empty() {
            self.lists[self.len] = list;
            self.len += 1;
        }
    }
}

impl Iterator for MergeAscending<'_> {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        let lists = &mut self.lists[..self.len];
        // One list (only the unindexed rules, or only the event's) needs no comparisons.
        if let [only] = lists {
            let (&first, rest) = only.split_first()?;
            *only = rest;
            return Some(first);
        }
        let min = lists.iter().filter_map(|l| l.first().copied()).min()?;
        for list in lists.iter_mut() {
            if list.first() == Some(&min) {
                *list = &list[1..];
            }
        }
        Some(min)
    }
}

impl ThresholdRule for CompiledRule {
    fn id(&self) -> &str {
        CompiledRule::id(self)
    }

    fn threshold(&self) -> Option<&ThresholdSpec> {
        CompiledRule::threshold(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail::Parsed;
    use serde_json::json;

    fn engine(cfg: &str) -> Engine {
        Engine::from_config(&RulesConfig::parse(cfg, "t.toml").unwrap(), "2026-11-23").unwrap()
    }

    #[test]
    fn field_prefiltered_code_rules_are_tried_on_every_record() {
        // A field prefilter narrows the fast path's EventBridge patterns, never the engine: the S3 path
        // evaluates such a rule on every record, so a prefilter that is too narrow cannot blind the complete
        // path (README, "Adding a rule").
        let e = Engine::builtin().unwrap();
        let fielded: Vec<usize> = (0..e.rules.len())
            .filter(|&i| matches!(e.rules[i].prefilter(), Some(Prefilter::Fields(_))))
            .collect();
        assert!(fielded.len() >= 5, "{fielded:?}");
        for record in [
            json!({}),
            json!({"eventName": "GetObject", "eventSource": "s3.amazonaws.com", "readOnly": true}),
            json!({"eventName": "ConsoleLogin", "userIdentity": {"type": "IAMUser"}}),
        ] {
            let parsed = Parsed::from_value(&record);
            let candidates: Vec<usize> = e.candidates(parsed.root()).collect();
            for &i in &fielded {
                assert!(candidates.contains(&i), "{} for {record}", e.rules[i].id());
            }
        }
    }

    #[test]
    fn merge_is_ascending_and_deduplicated() {
        let merged = |lists: &[&[usize]]| {
            let mut m = MergeAscending::default();
            for l in lists {
                m.push(l);
            }
            m.collect::<Vec<_>>()
        };
        assert_eq!(merged(&[&[1, 4, 6], &[0, 4, 9]]), [0, 1, 4, 6, 9]);
        assert_eq!(merged(&[&[], &[2, 3], &[], &[1], &[0, 5]]), [0, 1, 2, 3, 5]);
        assert_eq!(merged(&[&[7, 8]]), [7, 8]);
        assert_eq!(merged(&[]), Vec::<usize>::new());
        let full: Vec<Vec<usize>> = (0..=MAX_INDEXED_FIELDS).map(|i| vec![i, i + 100]).collect();
        let lists: Vec<&[usize]> = full.iter().map(Vec::as_slice).collect();
        assert_eq!(merged(&lists).len(), 2 * (MAX_INDEXED_FIELDS + 1));
    }

    /// An engine of custom rules only (`id = pattern` pairs).
    fn custom(rules: &[(&str, &str)]) -> Engine {
        let mut cfg = String::from("profile = \"cis\"\n");
        for (id, pattern) in rules {
            cfg += &format!(
                "[[custom_rules]]\nid = \"{id}\"\ntitle = \"t\"\nseverity = \"low\"\npattern = '{pattern}'\n"
            );
        }
        let ids: Vec<&str> = rules.iter().map(|(id, _)| *id).collect();
        engine(&cfg).retain_ids(&ids).unwrap()
    }

    /// The ids of the rules the index gives for a record, and of the rules that match it.
    fn tried_and_matched(e: &Engine, record: &serde_json::Value) -> (Vec<String>, Vec<String>) {
        let parsed = Parsed::from_value(record);
        let tried = e
            .candidates(parsed.root())
            .map(|i| e.rules()[i].id().to_owned())
            .collect();
        let matched = e
            .matching(parsed.root())
            .map(|(r, _)| r.id().to_owned())
            .collect();
        (tried, matched)
    }

    #[test]
    fn rules_without_an_event_name_are_indexed_on_another_exact_field() {
        let e = custom(&[
            ("ip", r#"{ $.sourceIPAddress = "203.0.113.7" }"#),
            (
                "svc-user-errors",
                r#"{ $.userIdentity.userName = "svc" && $.errorCode = "*" }"#,
            ),
            ("scanner", r#"{ $.userAgent = "scanner/*" }"#),
            (
                "get-object",
                r#"{ $.eventSource = "s3.amazonaws.com" && $.eventName = "GetObject" }"#,
            ),
            (
                "ip-2",
                r#"{ $.sourceIPAddress = "198.51.100.1" || $.sourceIPAddress = "203.0.113.7" }"#,
            ),
        ]);
        // eventName, then the two other exact fields in rule order; the wildcard-only rule is unindexed.
        let paths: Vec<String> = e.fields.iter().map(|f| format!("{:?}", f.path)).collect();
        assert_eq!(paths.len(), 3, "{paths:?}");
        assert!(paths[0].contains("eventName") && paths[1].contains("sourceIPAddress"));
        assert!(paths[2].contains("userName"), "{paths:?}");
        assert_eq!(e.unindexed, [2]);

        // A record none of the exact values select: only the unindexed rule is tried.
        let other =
            json!({"eventName": "ListBuckets", "sourceIPAddress": "192.0.2.1", "userAgent": "cli"});
        assert_eq!(
            tried_and_matched(&e, &other),
            (vec!["scanner".into()], vec![])
        );
        // The address selects both address rules, in rule order, and both match.
        let ip = json!({"eventName": "GetObject", "eventSource": "s3.amazonaws.com", "sourceIPAddress": "203.0.113.7",
                        "userAgent": "scanner/1"});
        let (tried, matched) = tried_and_matched(&e, &ip);
        assert_eq!(tried, ["ip", "scanner", "get-object", "ip-2"]);
        assert_eq!(matched, tried);
        // A nested field; a number where a string is indexed: every rule of that index is tried.
        let user = json!({"userIdentity": {"userName": "svc"}, "errorCode": "AccessDenied", "sourceIPAddress": 7});
        let (tried, matched) = tried_and_matched(&e, &user);
        assert_eq!(tried, ["ip", "svc-user-errors", "scanner", "ip-2"]);
        assert_eq!(matched, ["svc-user-errors"]);
    }

    #[test]
    fn past_the_field_cap_rules_are_tried_on_every_record() {
        let patterns: Vec<(String, String)> = (0..MAX_INDEXED_FIELDS + 3)
            .map(|i| (format!("f{i}"), format!("{{ $.f{i} = \"v\" }}")))
            .collect();
        let rules: Vec<(&str, &str)> = patterns
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let e = custom(&rules);
        // One slot is eventName's (unused here, so dropped); the first 7 fields get the others, the rest
        // are unindexed.
        assert_eq!(e.fields.len(), MAX_INDEXED_FIELDS - 1);
        assert_eq!(
            e.unindexed,
            (MAX_INDEXED_FIELDS - 1..MAX_INDEXED_FIELDS + 3).collect::<Vec<_>>()
        );
        let mut record = serde_json::Map::new();
        for i in 0..MAX_INDEXED_FIELDS + 3 {
            record.insert(format!("f{i}"), json!("v"));
        }
        let (tried, matched) = tried_and_matched(&e, &record.into());
        assert_eq!(matched.len(), MAX_INDEXED_FIELDS + 3);
        assert_eq!(tried, matched);
    }

    #[test]
    fn event_names_limited_to_prefixes_are_indexed_by_them() {
        let e = custom(&[
            (
                "reads",
                r#"{ (($.eventName = "List*") || ($.eventName = "Get*")) && $.errorCode NOT EXISTS }"#,
            ),
            (
                "exact-or-prefix",
                r#"{ $.eventName = "DeleteUser" || $.eventName = "Put*" }"#,
            ),
            ("suffix", r#"{ $.eventName = "*Users" }"#),
        ]);
        assert_eq!(e.unindexed, [2], "a leading wildcard is no prefix");
        let count =
            |record: serde_json::Value| e.candidate_count(Parsed::from_value(&record).root());
        assert_eq!(count(json!({"eventName": "ListUsers"})), 2);
        assert_eq!(count(json!({"eventName": "GetObject"})), 2);
        assert_eq!(
            count(json!({"eventName": "DeleteUserPolicy"})),
            2,
            "DeleteUser is a prefix of it"
        );
        assert_eq!(count(json!({"eventName": "PutObject"})), 2);
        assert_eq!(count(json!({"eventName": "CreateUser"})), 1);
        assert_eq!(
            count(json!({"eventName": "listUsers"})),
            1,
            "case matters, as in the pattern"
        );
        assert_eq!(count(json!({})), 1);
        assert_eq!(
            count(json!({"eventName": 5})),
            3,
            "not a string: every rule of the index"
        );
        let (_, matched) = tried_and_matched(&e, &json!({"eventName": "ListUsers"}));
        assert_eq!(matched, ["reads", "suffix"]);
    }

    #[test]
    fn index_gives_the_same_answers_as_trying_every_rule() {
        let e = Engine::builtin().unwrap();
        let records = [
            json!({"eventName": "ConsoleLogin", "userIdentity": {"type": "Root"}, "eventType": "AwsConsoleSignIn"}),
            json!({"eventName": "ListBuckets", "errorCode": "AccessDenied", "sourceIPAddress": "1.2.3.4"}),
            json!({"errorCode": "Client.UnauthorizedOperation"}),
            json!({"eventName": 7, "errorCode": "AccessDenied", "sourceIPAddress": "1.2.3.4"}),
        ];
        for r in &records {
            let fast: Vec<&str> = e
                .matching(Parsed::from_value(r).root())
                .map(|(rule, _)| rule.id())
                .collect();
            let slow: Vec<&str> = e
                .rules()
                .iter()
                .filter(|rule| rule.matches(Parsed::from_value(r).root(), e.context()))
                .map(CompiledRule::id)
                .collect();
            assert_eq!(fast, slow, "{r}");
        }
    }

    #[test]
    fn profiles_enable_disable_and_custom_rules() {
        let e = engine("profile = \"cis\"\ndisable = [\"cis-4.1-unauthorized-api-calls\"]\n[[custom_rules]]\nid = \"secrets-read\"\ntitle = \"Secret read\"\nseverity = \"medium\"\npattern = '{ $.eventName = GetSecretValue }'\n");
        let ids: Vec<&str> = e.rules().iter().map(CompiledRule::id).collect();
        assert!(!ids.contains(&"cis-4.1-unauthorized-api-calls"));
        assert!(ids.contains(&"cis-4.3-root-account-usage"));
        assert!(
            ids.iter()
                .all(|id| id.starts_with("cis-") || *id == "secrets-read"),
            "{ids:?}"
        );
        let rec = json!({"eventName": "GetSecretValue"});
        let hits: Vec<&str> = e
            .matching(Parsed::from_value(&rec).root())
            .map(|(r, _)| r.id())
            .collect();
        assert_eq!(hits, ["secrets-read"]);
        assert!(!e.rules().last().unwrap().is_builtin());
    }

    #[test]
    fn exclusions_suppress_then_expire_and_say_so() {
        let e = engine(
            r#"
[[exclusions]]
id = "scanner"
reason = "nightly permission scanner"
rules = ["cis-4.1-unauthorized-api-calls"]
match = { "userIdentity.arn" = "arn:aws:sts::111122223333:assumed-role/scanner/*" }
expires = "2026-12-31"
"#,
        );
        let rec = |arn: &str, time: &str| {
            json!({"eventName": "ListUsers", "errorCode": "AccessDenied", "sourceIPAddress": "1.2.3.4",
                   "eventTime": time, "userIdentity": {"arn": arn}})
        };
        let scanner = rec(
            "arn:aws:sts::111122223333:assumed-role/scanner/run",
            "2026-12-31T23:59:59Z",
        );
        let outcomes: Vec<Outcome> = e.evaluate(Parsed::from_value(&scanner).root()).collect();
        assert!(
            matches!(outcomes[..], [Outcome::Suppressed { exclusion, .. }] if exclusion.id == "scanner")
        );

        let later = rec(
            "arn:aws:sts::111122223333:assumed-role/scanner/run",
            "2027-01-01T00:00:00Z",
        );
        let outcomes: Vec<Outcome> = e.evaluate(Parsed::from_value(&later).root()).collect();
        assert!(
            matches!(outcomes[..], [Outcome::Finding { expired: Some(x), .. }] if x.id == "scanner")
        );

        let other = rec(
            "arn:aws:iam::111122223333:user/alice",
            "2026-06-01T00:00:00Z",
        );
        assert!(matches!(
            e.evaluate(Parsed::from_value(&other).root())
                .collect::<Vec<_>>()[..],
            [Outcome::Finding { expired: None, .. }]
        ));

        assert_eq!(e.expired_exclusions("2027-01-01").count(), 1);
        assert_eq!(e.expired_exclusions("2026-12-31").count(), 0);
    }

    #[test]
    fn exclusion_limited_to_other_rules_does_not_apply() {
        let e = engine("[[exclusions]]\nid = \"x\"\nreason = \"r\"\nrules = [\"cis-4.3-root-account-usage\"]\npattern = '{ $.errorCode = * }'\n");
        let rec = json!({"eventName": "ListUsers", "errorCode": "AccessDenied", "sourceIPAddress": "1.2.3.4"});
        assert!(matches!(
            e.evaluate(Parsed::from_value(&rec).root())
                .collect::<Vec<_>>()[..],
            [Outcome::Finding { .. }]
        ));
    }

    #[test]
    fn retain_unknown_id_fails() {
        assert!(matches!(
            Engine::with_ids(&["nope"]),
            Err(EngineError::UnknownRule { id }) if id == "nope"
        ));
    }
}
