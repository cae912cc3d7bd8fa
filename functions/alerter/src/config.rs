//! Configuration, read once at cold start from the environment (Terraform owns the deployed values).

use rules::{Engine, EngineError};

/// Default cap on decompressed bytes per object: far above any real CloudTrail file (busy accounts reach
/// tens of MB compressed, a few hundred MB decompressed), low enough to stop a decompression bomb.
pub const DEFAULT_MAX_UNCOMPRESSED_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A configuration error: the function refuses to start rather than run half-configured.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error(transparent)]
    Rules(#[from] EngineError),
}

/// The function's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TOPIC_ARN`: where alerts are published.
    pub topic_arn: String,
    /// `TRAILWARDEN_RULES`: comma-separated rule ids to run; all built-in rules when unset.
    pub rules: Option<Vec<String>>,
    /// `MAX_UNCOMPRESSED_BYTES`: decompression cap per object.
    pub max_uncompressed_bytes: u64,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (tests pass a map instead of touching the environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let topic_arn = lookup("TOPIC_ARN")
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::Missing("TOPIC_ARN"))?;
        if !topic_arn.starts_with("arn:") {
            return Err(ConfigError::Invalid {
                name: "TOPIC_ARN",
                reason: format!("{topic_arn:?} is not an ARN"),
            });
        }
        let rules = lookup("TRAILWARDEN_RULES")
            .filter(|v| !v.trim().is_empty())
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            });
        let max_uncompressed_bytes = match lookup("MAX_UNCOMPRESSED_BYTES") {
            None => DEFAULT_MAX_UNCOMPRESSED_BYTES,
            Some(v) => v.trim().parse().map_err(|e| ConfigError::Invalid {
                name: "MAX_UNCOMPRESSED_BYTES",
                reason: format!("{v:?}: {e}"),
            })?,
        };
        Ok(Config {
            topic_arn,
            rules,
            max_uncompressed_bytes,
        })
    }

    /// Compiles the configured rules (all built-ins when none are listed).
    pub fn engine(&self) -> Result<Engine, ConfigError> {
        Ok(match &self.rules {
            Some(ids) => Engine::with_ids(ids)?,
            None => Engine::builtin()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn topic_is_required_and_must_be_an_arn() {
        assert!(matches!(cfg(&[]), Err(ConfigError::Missing("TOPIC_ARN"))));
        assert!(matches!(
            cfg(&[("TOPIC_ARN", "alerts")]),
            Err(ConfigError::Invalid { .. })
        ));
        let c = cfg(&[("TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts")]).unwrap();
        assert_eq!(c.max_uncompressed_bytes, DEFAULT_MAX_UNCOMPRESSED_BYTES);
        assert_eq!(c.engine().unwrap().rules().len(), rules::BUILTIN.len());
    }

    #[test]
    fn rule_selection_and_limits() {
        let c = cfg(&[
            ("TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts"),
            ("TRAILWARDEN_RULES", " cis-4.3-root-account-usage ,"),
            ("MAX_UNCOMPRESSED_BYTES", "1000"),
        ])
        .unwrap();
        assert_eq!(c.max_uncompressed_bytes, 1000);
        let engine = c.engine().unwrap();
        assert_eq!(engine.rules().len(), 1);
        let bad = cfg(&[
            ("TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts"),
            ("TRAILWARDEN_RULES", "no-such-rule"),
        ])
        .unwrap();
        assert!(matches!(
            bad.engine(),
            Err(ConfigError::Rules(EngineError::UnknownRule { .. }))
        ));
        assert!(matches!(
            cfg(&[("TOPIC_ARN", "arn:x"), ("MAX_UNCOMPRESSED_BYTES", "lots")]),
            Err(ConfigError::Invalid {
                name: "MAX_UNCOMPRESSED_BYTES",
                ..
            })
        ));
    }
}
