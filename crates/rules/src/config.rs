//! The rules configuration file (TOML): profile, rule selection, deployment context, exclusions and custom
//! rules. One file serves the Lambda (loaded at cold start) and the CLI (`--config`).
//!
//! ```toml
//! profile = "recommended"                    # cis | recommended (default) | all
//! enable = ["cis-4.2-console-signin-without-mfa"]
//! disable = ["cis-4.1-unauthorized-api-calls"]
//! trusted_accounts = ["444455556666"]
//! watched_access_keys = ["AKIAIOSFODNN7EXAMPLE"]
//! allowed_regions = ["us-east-1", "eu-west-1"]
//!
//! [[exclusions]]
//! id = "nightly-scanner"
//! reason = "The permission scanner probes every API nightly (ticket SEC-123)"
//! rules = ["cis-4.1-unauthorized-api-calls"]
//! pattern = '{ $.userIdentity.arn = "arn:aws:sts::111122223333:assumed-role/scanner/*" }'
//! expires = "2027-01-31"
//!
//! [[exclusions]]
//! id = "break-glass-drill"
//! reason = "Quarterly break-glass drill"
//! match = { "userIdentity.arn" = "arn:aws:iam::111122223333:root", eventName = ["ConsoleLogin", "GetCallerIdentity"] }
//!
//! [pipeline]                                # written by the Terraform module: this deployment's own resources
//! resources = ["arn:aws:lambda:us-east-1:111122223333:function:tw-alerter"]
//!
//! [[custom_rules]]
//! id = "secrets-read"
//! title = "Secret value read"
//! severity = "medium"
//! pattern = '{ ($.eventSource = secretsmanager.amazonaws.com) && ($.eventName = GetSecretValue) }'
//! ```
//!
//! Every error names the line and column it comes from.

use crate::own_resources::{OwnResourceArn, OwnResources};
use crate::profile::Profile;
use crate::rule::Catalog;
use crate::severity::Severity;
use crate::threshold::ThresholdSpec;
use pattern::{ParseError, Pattern};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// Field matchers: selector (with or without `$.`) → one value or a list of alternatives (wildcards allowed).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum MatchValue {
    One(String),
    Any(Vec<String>),
}

/// An `[[exclusions]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExclusionSpec {
    pub id: Spanned<String>,
    pub reason: Spanned<String>,
    /// Rule ids it applies to; all rules when absent.
    #[serde(default)]
    pub rules: Option<Vec<Spanned<String>>>,
    /// A filter pattern in the same dialect as the rules.
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
    /// Field matchers, all of which must hold (an alternative to `pattern`).
    #[serde(default, rename = "match")]
    pub matchers: Option<Spanned<BTreeMap<String, MatchValue>>>,
    /// Last day (UTC, `YYYY-MM-DD`) on which it applies.
    #[serde(default)]
    pub expires: Option<Spanned<String>>,
}

/// A `[[custom_rules]]` entry: a user's own CloudWatch metric-filter pattern.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRuleSpec {
    pub id: Spanned<String>,
    pub title: String,
    pub severity: Spanned<String>,
    pub pattern: Spanned<String>,
    #[serde(default)]
    pub rationale: Option<String>,
    #[serde(default)]
    pub next_steps: Option<String>,
    /// Makes it a threshold rule: `pattern` is the filter, the rule fires when `count` matching events (or
    /// distinct values) with the same key fall within `window_minutes` (see [`crate::threshold`]).
    #[serde(default)]
    pub threshold: Option<Spanned<ThresholdToml>>,
}

/// A custom rule's `threshold = { count = 10, window_minutes = 10, group_by = ["userIdentity.arn"], distinct =
/// "requestParameters.secretId" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThresholdToml {
    pub count: Spanned<i64>,
    pub window_minutes: Spanned<i64>,
    /// The key's fields; absent: every matching event shares one key.
    #[serde(default)]
    pub group_by: Vec<Spanned<String>>,
    /// One field or a list of fields whose distinct values are counted instead of events.
    #[serde(default)]
    pub distinct: Option<Spanned<FieldList>>,
}

/// One field name, or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FieldList {
    One(String),
    Many(Vec<String>),
}

impl FieldList {
    pub fn fields(&self) -> Vec<String> {
        match self {
            FieldList::One(f) => vec![f.clone()],
            FieldList::Many(fs) => fs.clone(),
        }
    }
}

/// The `[alerts]` table: storm control.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertSettings {
    /// Per invocation, each principal's first `storm_limit` findings of a rule are sent one by one, the rest as a summary.
    #[serde(default = "default_storm_limit")]
    pub storm_limit: u32,
    /// Per-rule overrides of `storm_limit`.
    #[serde(default)]
    pub storm_limits: BTreeMap<String, u32>,
}

fn default_storm_limit() -> u32 {
    10
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            storm_limit: default_storm_limit(),
            storm_limits: BTreeMap::new(),
        }
    }
}

impl AlertSettings {
    /// How many findings of this rule are sent individually per invocation.
    pub fn storm_limit_for(&self, rule_id: &str) -> u32 {
        self.storm_limits
            .get(rule_id)
            .copied()
            .unwrap_or(self.storm_limit)
    }
}

/// The `[pipeline]` table: this deployment's own resources, as ARNs (see [`crate::own_resources`]). The Terraform
/// module writes it; the rule `trailwarden-pipeline-tampering` watches them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnResourcesSpec {
    pub resources: Vec<Spanned<String>>,
}

/// The configuration file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    #[serde(default)]
    pub profile: Option<Spanned<String>>,
    #[serde(default)]
    pub enable: Vec<Spanned<String>>,
    #[serde(default)]
    pub disable: Vec<Spanned<String>>,
    #[serde(default)]
    pub trusted_accounts: Vec<Spanned<String>>,
    #[serde(default)]
    pub watched_access_keys: Vec<Spanned<String>>,
    #[serde(default)]
    pub allowed_regions: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclusions: Vec<ExclusionSpec>,
    #[serde(default)]
    pub custom_rules: Vec<CustomRuleSpec>,
    /// Storm control.
    #[serde(default)]
    pub alerts: Option<Spanned<AlertSettings>>,
    /// This deployment's own resources (`[pipeline] resources = [ARN, …]`).
    #[serde(default)]
    pub pipeline: Option<OwnResourcesSpec>,
    /// `pipeline`, parsed (at [`RulesConfig::parse`], which rejects an ARN of another kind).
    #[serde(skip)]
    own_resources: OwnResources,
    /// The source text, for line/column positions in later errors.
    #[serde(skip)]
    source: String,
    /// Where it came from (a path or `s3://…`), for messages.
    #[serde(skip)]
    origin: String,
}

/// A configuration error, with the place it comes from.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{origin}:{line}:{column}: {message}")]
pub struct ConfigError {
    pub origin: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
}

impl RulesConfig {
    /// Parses a configuration file whose rule ids name rules of `catalog` (the built-in one:
    /// [`RulesConfig::parse`](crate::builtin)). `origin` names it in errors.
    pub fn parse_with(
        text: &str,
        origin: &str,
        catalog: &Catalog,
    ) -> Result<RulesConfig, ConfigError> {
        let mut cfg: RulesConfig = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            ConfigError::at(text, origin, span, e.message().to_owned())
        })?;
        cfg.source = text.to_owned();
        cfg.origin = origin.to_owned();
        cfg.validate(catalog)?;
        cfg.own_resources = cfg.parse_pipeline()?;
        Ok(cfg)
    }

    /// The profile (default `recommended`).
    pub fn profile(&self) -> Profile {
        self.profile
            .as_ref()
            .and_then(|p| p.get_ref().parse().ok())
            .unwrap_or_default()
    }

    /// Replaces the profile (e.g. with a command-line `--profile`). The new value has no place in the file, so
    /// errors never point at it; it is always valid.
    pub fn set_profile(&mut self, profile: Profile) {
        self.profile = Some(Spanned::new(0..0, profile.as_str().to_owned()));
    }

    /// The `[alerts]` settings (defaults when the table is absent).
    pub fn alert_settings(&self) -> AlertSettings {
        self.alerts
            .as_ref()
            .map(|a| a.get_ref().clone())
            .unwrap_or_default()
    }

    /// The `[pipeline]` resources, parsed (empty when the table is absent: the tampering rule is off).
    pub fn own_resources(&self) -> &OwnResources {
        &self.own_resources
    }

    fn parse_pipeline(&self) -> Result<OwnResources, ConfigError> {
        let mut out = OwnResources::default();
        for arn in self.pipeline.iter().flat_map(|p| &p.resources) {
            let parsed = OwnResourceArn::parse(arn.get_ref())
                .map_err(|e| self.error(arn.span(), e.to_string()))?;
            out.insert(parsed);
        }
        Ok(out)
    }

    /// An error pointing at `span` in this file.
    pub fn error(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError::at(&self.source, &self.origin, span, message.into())
    }

    fn validate(&self, catalog: &Catalog) -> Result<(), ConfigError> {
        if let Some(p) = &self.profile {
            if let Err(e) = p.get_ref().parse::<Profile>() {
                return Err(self.error(p.span(), e.to_string()));
            }
        }
        let custom_ids: Vec<&str> = self
            .custom_rules
            .iter()
            .map(|r| r.id.get_ref().as_str())
            .collect();
        let known = |id: &str| catalog.contains(id) || custom_ids.contains(&id);
        for id in self.enable.iter().chain(&self.disable) {
            if !catalog.contains(id.get_ref()) {
                return Err(self.error(
                    id.span(),
                    format!("unknown built-in rule id {:?}", id.get_ref()),
                ));
            }
        }
        // With a `[pipeline]` table the tampering rule runs whatever the profile and cannot be switched off from
        // the file it guards: a `disable` or an exclusion naming it is refused, not obeyed quietly.
        if self.pipeline.is_some() {
            let tampering = catalog.own_resources_rule;
            let named = self.disable.iter().chain(
                self.exclusions
                    .iter()
                    .filter_map(|x| x.rules.as_ref())
                    .flatten(),
            );
            if let Some(id) = named.into_iter().find(|id| id.get_ref() == tampering) {
                return Err(self.error(
                    id.span(),
                    format!(
                        "{tampering:?} cannot be disabled or excluded while the file has a [pipeline] table: it \
                         reports changes to this deployment itself"
                    ),
                ));
            }
        }
        for a in &self.trusted_accounts {
            if !(a.get_ref().len() == 12 && a.get_ref().bytes().all(|b| b.is_ascii_digit())) {
                return Err(self.error(
                    a.span(),
                    format!("{:?} is not a 12-digit account id", a.get_ref()),
                ));
            }
        }
        for k in &self.watched_access_keys {
            let s = k.get_ref();
            let ok = (s.starts_with("AKIA") || s.starts_with("ASIA"))
                && s.len() >= 16
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !ok {
                return Err(self.error(
                    k.span(),
                    format!("{s:?} is not an access key id (AKIA…/ASIA…)"),
                ));
            }
        }
        for r in &self.allowed_regions {
            let s = r.get_ref();
            let ok = s.split('-').count() >= 3
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(self.error(
                    r.span(),
                    format!("{s:?} is not a region name like us-east-1"),
                ));
            }
        }
        let mut seen = Vec::new();
        for c in &self.custom_rules {
            let id = c.id.get_ref();
            if !is_kebab(id) {
                return Err(self.error(
                    c.id.span(),
                    format!("rule id {id:?} must be kebab-case (a-z, 0-9, -, .)"),
                ));
            }
            if catalog.contains(id) || seen.contains(&id) {
                return Err(self.error(c.id.span(), format!("rule id {id:?} is already taken")));
            }
            seen.push(id);
            if c.severity.get_ref().parse::<Severity>().is_err() {
                return Err(self.error(
                    c.severity.span(),
                    format!(
                        "unknown severity {:?} (info, low, medium, high, critical)",
                        c.severity.get_ref()
                    ),
                ));
            }
            self.compile_pattern(&c.pattern)?;
            self.custom_threshold(c)?;
        }
        let alerts = self.alert_settings();
        let alerts_span = self.alerts.as_ref().map_or(0..0, Spanned::span);
        if alerts.storm_limit == 0 || alerts.storm_limits.values().any(|&n| n == 0) {
            return Err(self.error(
                alerts_span.clone(),
                "storm limits must be at least 1 (the first finding of a rule is always sent on its own)",
            ));
        }
        if let Some(id) = alerts.storm_limits.keys().find(|id| !known(id)) {
            return Err(self.error(
                alerts_span,
                format!("unknown rule id {id:?} in alerts.storm_limits"),
            ));
        }
        let mut seen = Vec::new();
        for x in &self.exclusions {
            let id = x.id.get_ref();
            if !is_kebab(id) || seen.contains(&id) {
                return Err(self.error(
                    x.id.span(),
                    format!("exclusion id {id:?} must be unique kebab-case"),
                ));
            }
            seen.push(id);
            if x.reason.get_ref().trim().is_empty() {
                return Err(self.error(x.reason.span(), "an exclusion needs a reason"));
            }
            for r in x.rules.iter().flatten() {
                if !known(r.get_ref()) {
                    return Err(self.error(r.span(), format!("unknown rule id {:?}", r.get_ref())));
                }
            }
            if let Some(d) = &x.expires {
                if !is_date(d.get_ref()) {
                    return Err(self.error(
                        d.span(),
                        format!("{:?} is not a date (YYYY-MM-DD)", d.get_ref()),
                    ));
                }
            }
            self.exclusion_pattern(x)?;
        }
        Ok(())
    }

    /// A custom rule's threshold, checked and compiled (`None`: not a threshold rule). Every error points at the
    /// value at fault: `count`, `window_minutes`, the `group_by` entry or the `distinct` value.
    pub fn custom_threshold(
        &self,
        c: &CustomRuleSpec,
    ) -> Result<Option<ThresholdSpec>, ConfigError> {
        use crate::threshold::ThresholdError as E;
        let Some(t) = &c.threshold else {
            return Ok(None);
        };
        let t_span = t.span();
        let t = t.get_ref();
        let group: Vec<&str> = t.group_by.iter().map(|g| g.get_ref().as_str()).collect();
        let distinct = t.distinct.as_ref().map(|d| d.get_ref().fields());
        let distinct_span = t.distinct.as_ref().map_or(t_span.clone(), Spanned::span);
        ThresholdSpec::new(
            *t.count.get_ref(),
            *t.window_minutes.get_ref(),
            &group,
            distinct
                .as_ref()
                .map(|d| d.iter().map(String::as_str).collect::<Vec<_>>())
                .as_deref(),
        )
        .map(Some)
        .map_err(|e| {
            let span = match &e {
                E::Count(_) => t.count.span(),
                E::Window(_) => t.window_minutes.span(),
                E::NoDistinct | E::DistinctIsKey(_) => distinct_span.clone(),
                E::Field(name) | E::Repeated(name) => t
                    .group_by
                    .iter()
                    .find(|g| {
                        g.get_ref() == name || g.get_ref().strip_prefix("$.") == Some(name.as_str())
                    })
                    .map_or(distinct_span.clone(), Spanned::span),
            };
            // A repeated group_by field points at its second mention.
            let span = match &e {
                E::Repeated(name) => t
                    .group_by
                    .iter()
                    .filter(|g| g.get_ref().strip_prefix("$.").unwrap_or(g.get_ref()) == name)
                    .nth(1)
                    .map_or(span, Spanned::span),
                _ => span,
            };
            self.error(span, format!("invalid threshold: {e}"))
        })
    }

    /// Compiles a pattern written in this file; a parse error points into the pattern text.
    pub fn compile_pattern(&self, text: &Spanned<String>) -> Result<Pattern, ConfigError> {
        Pattern::parse(text.get_ref()).map_err(|e: ParseError| {
            // The span covers the TOML string including its quote(s); point at the offending character.
            let raw = self.source.get(text.span()).unwrap_or_default();
            let opening = raw
                .find(text.get_ref().get(..1).unwrap_or_default())
                .unwrap_or(0);
            let at = text.span().start + opening + e.position;
            self.error(at..at, format!("invalid filter pattern: {e}"))
        })
    }

    /// The compiled condition of an exclusion: its pattern, or its field matchers turned into one.
    pub fn exclusion_pattern(&self, x: &ExclusionSpec) -> Result<Pattern, ConfigError> {
        match (&x.pattern, &x.matchers) {
            (Some(p), None) => self.compile_pattern(p),
            (None, Some(m)) => {
                let text = matchers_to_pattern(m.get_ref()).ok_or_else(|| {
                    self.error(
                        m.span(),
                        "`match` needs at least one field with at least one value",
                    )
                })?;
                Pattern::parse(&text)
                    .map_err(|e| self.error(m.span(), format!("invalid `match` ({text}): {e}")))
            }
            _ => Err(self.error(
                x.id.span(),
                "an exclusion needs exactly one of `pattern` or `match`",
            )),
        }
    }
}

impl ConfigError {
    fn at(source: &str, origin: &str, span: Range<usize>, message: String) -> ConfigError {
        let start = span.start.min(source.len());
        let before = source.get(..start).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ConfigError {
            origin: origin.to_owned(),
            line,
            column,
            message,
        }
    }
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(s.get(5..7).and_then(|m| m.parse::<u8>().ok()), Some(1..=12))
        && matches!(
            s.get(8..10).and_then(|d| d.parse::<u8>().ok()),
            Some(1..=31)
        )
}

fn quote(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `{ "a.b" = "x", c = ["y", "z"] }` → `{ ($.a.b = "x") && (($.c = "y") || ($.c = "z")) }`.
fn matchers_to_pattern(m: &BTreeMap<String, MatchValue>) -> Option<String> {
    let mut terms = Vec::new();
    for (field, value) in m {
        let sel = if field.starts_with("$.") {
            field.clone()
        } else {
            format!("$.{field}")
        };
        let values: Vec<&String> = match value {
            MatchValue::One(v) => vec![v],
            MatchValue::Any(vs) => vs.iter().collect(),
        };
        if values.is_empty() {
            return None;
        }
        let alts: Vec<String> = values
            .iter()
            .map(|v| format!("({sel} = {})", quote(v)))
            .collect();
        terms.push(format!("({})", alts.join(" || ")));
    }
    if terms.is_empty() {
        return None;
    }
    Some(format!("{{ {} }}", terms.join(" && ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> ConfigError {
        RulesConfig::parse(text, "t.toml").unwrap_err()
    }

    #[test]
    fn empty_file_is_the_recommended_profile() {
        let c = RulesConfig::parse("", "t.toml").unwrap();
        assert_eq!(c.profile(), Profile::Recommended);
        assert!(Profile::Recommended.includes("cis-4.1-unauthorized-api-calls"));
        assert!(!Profile::Recommended.includes("cis-4.2-console-signin-without-mfa"));
        assert!(Profile::Cis.includes("cis-4.2-console-signin-without-mfa"));
        assert!(!Profile::Cis.includes("root-activity"));
        assert!(Profile::All.includes("root-activity"));
    }

    #[test]
    fn profiles_print_and_parse_as_written_in_rules_files() {
        for p in Profile::ALL {
            assert_eq!(p.to_string().parse::<Profile>(), Ok(p));
            assert_eq!(p.as_str().parse::<Profile>(), Ok(p));
            let c = RulesConfig::parse(&format!("profile = \"{p}\""), "t.toml").unwrap();
            assert_eq!(c.profile(), p);
        }
        assert_eq!(
            ["cis", "recommended", "all"],
            Profile::ALL.map(Profile::as_str)
        );
        let e = "Cis".parse::<Profile>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown profile \"Cis\" (expected cis, recommended or all)"
        );
        assert!("everything".parse::<Profile>().is_err());
    }

    #[test]
    fn set_profile_replaces_the_files_profile() {
        let mut c = RulesConfig::parse("profile = \"cis\"\n", "t.toml").unwrap();
        c.set_profile(Profile::All);
        assert_eq!(c.profile(), Profile::All);
        let mut c = RulesConfig::parse("", "t.toml").unwrap();
        c.set_profile(Profile::Cis);
        assert_eq!(c.profile(), Profile::Cis);
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = err("profile = \"cis\"\nprofil = \"x\"\n");
        assert_eq!((e.line, e.column), (2, 1), "{e}");
        assert!(e.to_string().starts_with("t.toml:2:1: "), "{e}");
        let e = err("profile = \"everything\"");
        assert_eq!((e.line, e.column), (1, 11), "{e}");
        let e = err("enable = [\n  \"cis-4.1-unauthorized-api-calls\",\n  \"nope\"]\n");
        assert_eq!((e.line, e.column), (3, 3), "{e}");
        let e = err("trusted_accounts = [\"12345\"]");
        assert!(e.message.contains("12-digit"), "{e}");
        let e = err("profile = [");
        assert_eq!(e.line, 1, "{e}");
    }

    #[test]
    fn bad_patterns_point_into_the_pattern() {
        let text = "[[custom_rules]]\nid = \"x\"\ntitle = \"X\"\nseverity = \"low\"\npattern = '{ $.a = }'\n";
        let e = err(text);
        assert_eq!(e.line, 5, "{e}");
        // The quote is column 11, the pattern starts at 12, and the `}` where a value is missing is 8 further.
        assert_eq!(e.column, 20, "{e}");
        assert!(e.message.starts_with("invalid filter pattern"), "{e}");
    }

    #[test]
    fn exclusions_are_checked() {
        let base = "[[exclusions]]\nid = \"a\"\nreason = \"r\"\n";
        assert!(err(base).message.contains("exactly one of"));
        assert!(err(&format!(
            "{base}pattern = '{{$.a = 1}}'\nexpires = \"2027-13-01\"\n"
        ))
        .message
        .contains("date"));
        assert!(err(&format!(
            "{base}pattern = '{{$.a = 1}}'\nrules = [\"nope\"]\n"
        ))
        .message
        .contains("unknown rule"));
        assert!(
            err("[[exclusions]]\nid = \"a\"\nreason = \" \"\npattern = '{$.a = 1}'\n")
                .message
                .contains("reason")
        );
        let ok = RulesConfig::parse(
            &format!("{base}match = {{ \"userIdentity.arn\" = \"arn:*:root\", eventName = [\"A\", \"B\\\"q\"] }}\n"),
            "t.toml",
        )
        .unwrap();
        let p = ok.exclusion_pattern(&ok.exclusions[0]).unwrap();
        assert_eq!(
            p.source(),
            r#"{ (($.eventName = "A") || ($.eventName = "B\"q")) && (($.userIdentity.arn = "arn:*:root")) }"#
        );
    }

    #[test]
    fn storm_limits() {
        let c = RulesConfig::parse("", "t.toml").unwrap();
        assert_eq!(c.alert_settings().storm_limit_for("x"), 10);
        let c = RulesConfig::parse(
            "[alerts]\nstorm_limit = 5\nstorm_limits = { \"cis-4.1-unauthorized-api-calls\" = 2 }\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(
            c.alert_settings()
                .storm_limit_for("cis-4.1-unauthorized-api-calls"),
            2
        );
        assert_eq!(c.alert_settings().storm_limit_for("root-activity"), 5);
        assert!(err("[alerts]\nstorm_limit = 0\n")
            .message
            .contains("at least 1"));
        assert!(err("[alerts]\nstorm_limits = { nope = 3 }\n")
            .message
            .contains("unknown rule"));
    }

    #[test]
    fn custom_threshold_rules_and_their_errors_with_line_and_column() {
        let base = "[[custom_rules]]\nid = \"bulk-secret-reads\"\ntitle = \"Bulk secret reads\"\nseverity = \"high\"\npattern = '{ ($.eventSource = secretsmanager.amazonaws.com) && ($.eventName = GetSecretValue) }'\n";
        let ok = format!("{base}threshold = {{ count = 10, window_minutes = 10, group_by = [\"userIdentity.arn\"], distinct = \"requestParameters.secretId\" }}\n");
        let c = RulesConfig::parse(&ok, "t.toml").unwrap();
        let t = c.custom_threshold(&c.custom_rules[0]).unwrap().unwrap();
        assert_eq!((t.count(), t.window_minutes()), (10, 10));
        assert_eq!(t.group_by(), ["userIdentity.arn"]);
        assert_eq!(t.distinct(), ["requestParameters.secretId"]);
        let many = format!("{base}threshold = {{ count = 3, window_minutes = 5, distinct = [\"a.b\", \"$.c\"] }}\n");
        let c = RulesConfig::parse(&many, "t.toml").unwrap();
        assert_eq!(
            c.custom_threshold(&c.custom_rules[0])
                .unwrap()
                .unwrap()
                .distinct(),
            ["a.b", "c"]
        );
        let plain = RulesConfig::parse(base, "t.toml").unwrap();
        assert!(plain
            .custom_threshold(&plain.custom_rules[0])
            .unwrap()
            .is_none());

        // (threshold table, line, column of the value at fault, part of the message)
        let cases = [
            (
                "{ count = 0, window_minutes = 10 }",
                6,
                23,
                "count must be between 1",
            ),
            (
                "{ count = 10001, window_minutes = 10 }",
                6,
                23,
                "count must be between 1",
            ),
            (
                "{ count = 3, window_minutes = 0 }",
                6,
                43,
                "window_minutes must be between 1 and 1440",
            ),
            (
                "{ count = 3, window_minutes = 1441 }",
                6,
                43,
                "window_minutes",
            ),
            (
                "{ count = 3, window_minutes = 5, group_by = [\"a\", \"b c\"] }",
                6,
                63,
                "is not a field path",
            ),
            (
                "{ count = 3, window_minutes = 5, group_by = [\"a\", \"$.a\"] }",
                6,
                63,
                "listed twice",
            ),
            (
                "{ count = 3, window_minutes = 5, group_by = [\"a\"], distinct = \"a\" }",
                6,
                75,
                "both a group_by and a distinct",
            ),
            (
                "{ count = 3, window_minutes = 5, distinct = [] }",
                6,
                57,
                "at least one field",
            ),
            (
                "{ count = 3, window_minutes = 5, distinct = \"a..b\" }",
                6,
                57,
                "is not a field path",
            ),
        ];
        for (table, line, column, message) in cases {
            let text = format!("{base}threshold = {table}\n");
            let e = err(&text);
            assert_eq!((e.line, e.column), (line, column), "{table}: {e}");
            assert!(e.message.contains(message), "{table}: {e}");
            assert!(e.message.starts_with("invalid threshold: "), "{e}");
        }
        // Unknown and missing keys are the TOML reader's errors, also with their place.
        let e = err(&format!("{base}threshold = {{ count = 3, window = 5 }}\n"));
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("window"), "{e}");
        let e = err(&format!("{base}threshold = {{ count = 3 }}\n"));
        assert!(e.message.contains("window_minutes"), "{e}");
    }

    #[test]
    fn custom_rules_are_checked() {
        let ok = "[[custom_rules]]\nid = \"secrets-read\"\ntitle = \"Secret read\"\nseverity = \"medium\"\npattern = '{ $.eventName = GetSecretValue }'\n";
        RulesConfig::parse(ok, "t.toml").unwrap();
        assert!(
            err(&ok.replace("secrets-read", "cis-4.1-unauthorized-api-calls"))
                .message
                .contains("taken")
        );
        assert!(err(&ok.replace("secrets-read", "Secrets Read"))
            .message
            .contains("kebab"));
        assert!(err(&ok.replace("medium", "urgent"))
            .message
            .contains("severity"));
    }
}
