//! Compiled rule sets: patterns are parsed once (at cold start), records are evaluated many times.
//!
//! An [`Engine`] holds the selected rules (built-in and custom), the deployment [`Context`] code rules consult,
//! and the exclusions. Rules are indexed by the `eventName` values their pattern requires, so a record is
//! only checked against the rules that can match it plus the rules that can match any event name: the cost
//! per record grows with the rules relevant to its event, not with the size of the catalog.

use crate::config::{Profile, RulesConfig};
use crate::pattern::{ParseError, Pattern};
use crate::{catalog, CodeRule, ConfigError, Context, Control, Detection, Hit, Rule, Severity};
use cloudtrail::Node;
use foldhash::{HashMap, HashMapExt};
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
    /// Code, with the event names it is limited to (`None`: any record).
    Code(CodeRule, Option<&'static [&'static str]>),
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
}

impl CompiledRule {
    /// Compiles a built-in rule's detection.
    pub fn compile(rule: &'static Rule) -> Result<Self, EngineError> {
        let matcher = match rule.detection {
            Detection::Pattern(src) => {
                Matcher::Pattern(Pattern::parse(src).map_err(|source| EngineError::Pattern {
                    id: rule.id.to_owned(),
                    source,
                })?)
            }
            Detection::Code(f) => Matcher::Code(f, None),
            Detection::CodeFor { events, detect } => Matcher::Code(detect, Some(events)),
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
    /// The filter pattern, for pattern rules.
    pub fn pattern(&self) -> Option<&Pattern> {
        match &self.matcher {
            Matcher::Pattern(p) => Some(p),
            Matcher::Code(..) => None,
        }
    }

    /// The `eventName` values a record must have for this rule to match, when the rule limits them (the
    /// engine's index); `None` when any record may match.
    fn event_names(&self) -> Option<Vec<&str>> {
        match &self.matcher {
            Matcher::Pattern(p) => p.required_values("$.eventName"),
            Matcher::Code(_, events) => events.map(|e| e.to_vec()),
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

/// A set of compiled rules with their context and exclusions.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: Vec<CompiledRule>,
    context: Context,
    exclusions: Vec<Exclusion>,
    /// `eventName` → indices of the rules whose pattern requires that name (ascending).
    by_event_name: HashMap<Box<str>, Vec<usize>>,
    /// Rules that can match any event name (code rules, patterns without an `eventName` requirement).
    any_event_name: Vec<usize>,
    /// The date used for records without an `eventTime` (the day the engine was built).
    today: String,
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
        ))
    }

    /// Every built-in rule.
    pub fn builtin() -> Result<Self, EngineError> {
        Engine::new(catalog::BUILTIN)
    }

    /// The built-in rules of a profile.
    pub fn profile(profile: Profile) -> Result<Self, EngineError> {
        Engine::new(catalog::BUILTIN.iter().filter(|r| profile.includes(r.id)))
    }

    /// The built-in rules with these ids (in catalog order); an unknown id is an error.
    pub fn with_ids<S: AsRef<str>>(ids: &[S]) -> Result<Self, EngineError> {
        Engine::builtin()?.retain_ids(ids)
    }

    /// Builds the engine a configuration file describes: its profile adjusted by `enable`/`disable`, its
    /// custom rules, context and exclusions. `today` (`YYYY-MM-DD`) dates records that lack an `eventTime`.
    pub fn from_config(cfg: &RulesConfig, today: &str) -> Result<Self, ConfigError> {
        let profile = cfg.profile();
        let wanted = |id: &str| {
            (profile.includes(id) || cfg.enable.iter().any(|e| e.get_ref() == id))
                && !cfg.disable.iter().any(|d| d.get_ref() == id)
        };
        let mut rules = Vec::new();
        for rule in catalog::BUILTIN.iter().filter(|r| wanted(r.id)) {
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
            });
        }
        let strings = |v: &[toml::Spanned<String>]| -> BTreeSet<String> {
            v.iter().map(|s| s.get_ref().clone()).collect()
        };
        let context = Context {
            trusted_accounts: strings(&cfg.trusted_accounts),
            watched_access_keys: strings(&cfg.watched_access_keys),
            allowed_regions: strings(&cfg.allowed_regions),
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
        ))
    }

    fn assemble(
        mut rules: Vec<CompiledRule>,
        context: Context,
        exclusions: Vec<Exclusion>,
        today: String,
    ) -> Engine {
        for rule in &mut rules {
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
        let mut by_event_name: HashMap<Box<str>, Vec<usize>> = HashMap::new();
        let mut any_event_name = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            match rule.event_names() {
                Some(names) => {
                    for name in names {
                        by_event_name.entry(name.into()).or_default().push(i);
                    }
                }
                None => any_event_name.push(i),
            }
        }
        Engine {
            rules,
            context,
            exclusions,
            by_event_name,
            any_event_name,
            today,
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
            ..
        } = self;
        let kept = rules
            .into_iter()
            .filter(|r| ids.iter().any(|id| id.as_ref() == r.id()))
            .collect();
        Ok(Engine::assemble(kept, context, exclusions, today))
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

    /// Indices of the rules that can match the record, ascending, without allocating.
    fn candidates<'a>(&'a self, record: Node<'_>) -> impl Iterator<Item = usize> + 'a {
        let indexed: &[usize] = match record.get("eventName").map(|n| n.as_str()) {
            Some(Some(name)) => self.by_event_name.get(name).map_or(&[], Vec::as_slice),
            // No eventName: no indexed rule can match. A non-string eventName: be safe, try every rule.
            None => &[],
            Some(None) => return MergeAscending::new(&[], &[]).chain(0..self.rules.len()),
        };
        MergeAscending::new(indexed, &self.any_event_name).chain(0..0)
    }
}

/// Merges two ascending index lists.
struct MergeAscending<'a> {
    a: &'a [usize],
    b: &'a [usize],
}

impl<'a> MergeAscending<'a> {
    fn new(a: &'a [usize], b: &'a [usize]) -> Self {
        MergeAscending { a, b }
    }
}

impl Iterator for MergeAscending<'_> {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        match (self.a.first(), self.b.first()) {
            (Some(&x), Some(&y)) if x <= y => {
                self.a = &self.a[1..];
                if x == y {
                    self.b = &self.b[1..];
                }
                Some(x)
            }
            (_, Some(&y)) => {
                self.b = &self.b[1..];
                Some(y)
            }
            (Some(&x), None) => {
                self.a = &self.a[1..];
                Some(x)
            }
            (None, None) => None,
        }
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
    fn merge_is_ascending_and_deduplicated() {
        let m: Vec<usize> = MergeAscending::new(&[1, 4, 6], &[0, 4, 9]).collect();
        assert_eq!(m, [0, 1, 4, 6, 9]);
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
