//! Compiled rule sets: patterns are parsed once (at cold start), records are evaluated many times.

use crate::pattern::{ParseError, Pattern};
use crate::{catalog, CodeRule, Context, Control, Detection, Hit, Rule, Severity};
use serde_json::Value;

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
    Code(CodeRule),
}

/// One rule, ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    rule: &'static Rule,
    matcher: Matcher,
}

impl CompiledRule {
    /// Compiles a rule's detection.
    pub fn compile(rule: &'static Rule) -> Result<Self, EngineError> {
        let matcher = match rule.detection {
            Detection::Pattern(src) => {
                Matcher::Pattern(Pattern::parse(src).map_err(|source| EngineError::Pattern {
                    id: rule.id.to_owned(),
                    source,
                })?)
            }
            Detection::Code(f) => Matcher::Code(f),
        };
        Ok(CompiledRule { rule, matcher })
    }

    pub fn id(&self) -> &str {
        self.rule.id
    }
    pub fn title(&self) -> &str {
        self.rule.title
    }
    pub fn severity(&self) -> Severity {
        self.rule.severity
    }
    pub fn controls(&self) -> &[Control] {
        self.rule.controls
    }
    /// The filter-pattern text, for pattern rules.
    pub fn pattern(&self) -> Option<&str> {
        match &self.matcher {
            Matcher::Pattern(p) => Some(p.source()),
            Matcher::Code(_) => None,
        }
    }
    /// The rule's static definition (rationale, next steps).
    pub fn definition(&self) -> &'static Rule {
        self.rule
    }

    /// Whether the record matches, and the code rule's note if any.
    pub fn evaluate(&self, record: &Value, context: &Context) -> Option<Hit> {
        match &self.matcher {
            Matcher::Pattern(p) => p.matches(record).then_some(Hit::PLAIN),
            Matcher::Code(f) => f(record, context),
        }
    }

    /// Whether the record matches.
    pub fn matches(&self, record: &Value, context: &Context) -> bool {
        self.evaluate(record, context).is_some()
    }
}

/// A set of compiled rules.
#[derive(Debug, Clone)]
pub struct Engine {
    rules: Vec<CompiledRule>,
    context: Context,
}

impl Engine {
    /// Compiles the given rules; ids must be unique.
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
        Ok(Engine {
            rules: compiled,
            context: Context::default(),
        })
    }

    /// Every built-in rule.
    pub fn builtin() -> Result<Self, EngineError> {
        Engine::new(catalog::BUILTIN)
    }

    /// The built-in rules with these ids (in catalog order); an unknown id is an error.
    pub fn with_ids<S: AsRef<str>>(ids: &[S]) -> Result<Self, EngineError> {
        for id in ids {
            if !catalog::BUILTIN.iter().any(|r| r.id == id.as_ref()) {
                return Err(EngineError::UnknownRule {
                    id: id.as_ref().to_owned(),
                });
            }
        }
        Engine::new(
            catalog::BUILTIN
                .iter()
                .filter(|r| ids.iter().any(|id| id.as_ref() == r.id)),
        )
    }

    /// The compiled rules.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
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

    /// The rules that match a record, each with its hit.
    pub fn matching<'a>(
        &'a self,
        record: &'a Value,
    ) -> impl Iterator<Item = (&'a CompiledRule, Hit)> + 'a {
        self.rules
            .iter()
            .filter_map(move |r| Some((r, r.evaluate(record, &self.context)?)))
    }
}
