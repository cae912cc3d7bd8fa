//! The built-in catalog handed to the configuration and the engine: [`RulesConfig::parse`],
//! [`Engine::from_config`] and the engine constructors over [`CATALOG`], and [`Profile::includes`]. The `config`
//! and `engine` modules take a [`Catalog`](crate::rule::Catalog) and never read the catalog themselves.

use crate::catalog::CATALOG;
use crate::config::{ConfigError, RulesConfig};
use crate::engine::{Engine, EngineError};
use crate::profile::Profile;

impl RulesConfig {
    /// Parses a configuration file over the built-in catalog ([`RulesConfig::parse_with`]). `origin` names
    /// it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<RulesConfig, ConfigError> {
        RulesConfig::parse_with(text, origin, &CATALOG)
    }
}

impl Engine {
    /// Every built-in rule.
    pub fn builtin() -> Result<Self, EngineError> {
        Engine::all_of(&CATALOG)
    }

    /// The built-in rules of a profile.
    pub fn profile(profile: Profile) -> Result<Self, EngineError> {
        Engine::profile_of(&CATALOG, profile)
    }

    /// The built-in rules with these ids (in catalog order); an unknown id is an error.
    pub fn with_ids<S: AsRef<str>>(ids: &[S]) -> Result<Self, EngineError> {
        Engine::builtin()?.retain_ids(ids)
    }

    /// Builds the engine a configuration file describes over the built-in catalog
    /// ([`Engine::from_config_with`]). `today` (`YYYY-MM-DD`) dates records that lack an `eventTime`.
    pub fn from_config(cfg: &RulesConfig, today: &str) -> Result<Self, ConfigError> {
        Engine::from_config_with(cfg, &CATALOG, today)
    }
}

impl Profile {
    /// Whether the profile runs the built-in rule `id` ([`Rule::in_profile`](crate::rule::Rule::in_profile), from the
    /// rule's own `profiles`). `all` includes every id; the other profiles no id that is not a built-in rule.
    pub fn includes(self, id: &str) -> bool {
        self == Profile::All
            || CATALOG
                .rules
                .iter()
                .any(|r| r.id == id && r.in_profile(self))
    }
}
