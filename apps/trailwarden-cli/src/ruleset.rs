//! Which rules a command runs: the config file (`--config`), the profile (`--profile`) and `--rules`,
//! turned into an [`Engine`].
//!
//! Every command goes through [`Engine::from_config`], with an empty config when no file is given, so the
//! CLI selects rules exactly as the Lambda does for the same file.

use anyhow::anyhow;
use rules::{Engine, Profile, RulesConfig, BUILTIN};
use std::fs;
use std::path::Path;

/// A config file as loaded, or the empty config (profile `recommended`, nothing else) when none was given.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub rules: RulesConfig,
    /// The file it came from.
    pub path: Option<String>,
}

impl Config {
    /// Reads and parses `--config FILE`, or gives the empty config. A file that cannot be read, or that is
    /// invalid, is an error naming the file (and the line and column for an invalid one).
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let origin = path.display().to_string();
        let text = fs::read_to_string(path)
            .map_err(|e| anyhow!("{origin}: cannot read the config file: {e}"))?;
        // `ConfigError` displays as `FILE:line:col: message`.
        let rules = RulesConfig::parse(&text, &origin).map_err(anyhow::Error::new)?;
        Ok(Config {
            rules,
            path: Some(origin),
        })
    }

    /// The profile in effect: `--profile` if given, else the file's (default `recommended`).
    pub fn profile(&self, flag: Option<Profile>) -> Profile {
        flag.unwrap_or_else(|| self.rules.profile())
    }

    /// The engine the config describes, with its profile replaced by `profile` when given.
    pub fn engine(&self, profile: Option<Profile>, today: &str) -> anyhow::Result<Engine> {
        let engine = match profile {
            Some(p) if p != self.rules.profile() => {
                let mut rules = self.rules.clone();
                rules.set_profile(p);
                Engine::from_config(&rules, today)
            }
            _ => Engine::from_config(&self.rules, today),
        };
        engine.map_err(anyhow::Error::new)
    }

    /// Whether the file's `disable` list names `id`.
    pub fn disables(&self, id: &str) -> bool {
        self.rules.disable.iter().any(|d| d.get_ref() == id)
    }
}

/// Narrows `engine` to the rules named by `--rules` (nothing to do when none are named). An id that is not
/// in the engine is an error that says why: not a rule at all (listing the valid ids), or a rule the profile
/// or the config file left out.
pub fn narrow(
    engine: Engine,
    ids: &[String],
    config: &Config,
    profile: Profile,
) -> anyhow::Result<Engine> {
    if ids.is_empty() {
        return Ok(engine);
    }
    if let Some(id) = ids
        .iter()
        .find(|id| !engine.rules().iter().any(|r| r.id() == id.as_str()))
    {
        let selected: Vec<&str> = engine.rules().iter().map(|r| r.id()).collect();
        let why = if !BUILTIN.iter().any(|r| r.id == id.as_str()) {
            return Err(anyhow!(
                "unknown rule id {id:?} in --rules; valid ids: {}",
                selected.join(", ")
            ));
        } else if config.disables(id) {
            format!(
                "the config file {} disables it",
                config.path.as_deref().unwrap_or_default()
            )
        } else {
            format!("profile {profile} does not include it; add --profile all")
        };
        return Err(anyhow!(
            "rule {id:?} in --rules is not selected: {why}; selected ids: {}",
            selected.join(", ")
        ));
    }
    // Every id is in the engine, so this cannot fail; report rather than panic all the same.
    engine.retain_ids(ids).map_err(anyhow::Error::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config {
            rules: RulesConfig::parse(text, "t.toml").unwrap(),
            path: Some("t.toml".to_owned()),
        }
    }

    fn ids(engine: &Engine) -> Vec<&str> {
        engine.rules().iter().map(|r| r.id()).collect()
    }

    const BASE_4_2: &str = "cis-4.2-console-signin-without-mfa";

    #[test]
    fn no_config_is_the_recommended_profile() {
        let c = Config::load(None).unwrap();
        assert_eq!(c.profile(None), Profile::Recommended);
        let e = c.engine(None, "2026-01-01").unwrap();
        assert!(!ids(&e).contains(&BASE_4_2));
        assert!(ids(&e).contains(&"cis-4.1-unauthorized-api-calls"));
        let all = c.engine(Some(Profile::All), "2026-01-01").unwrap();
        assert_eq!(all.rules().len(), BUILTIN.len());
    }

    #[test]
    fn the_flag_overrides_the_file_profile_and_keeps_the_rest() {
        let c = config(
            "profile = \"cis\"\ndisable = [\"cis-4.1-unauthorized-api-calls\"]\n\
             [[custom_rules]]\nid = \"mine\"\ntitle = \"t\"\nseverity = \"low\"\npattern = '{ $.a = 1 }'\n",
        );
        assert_eq!(c.profile(None), Profile::Cis);
        let cis = c.engine(None, "2026-01-01").unwrap();
        assert!(ids(&cis).contains(&BASE_4_2));
        assert!(!ids(&cis).contains(&"root-activity"));

        let rec = c.engine(Some(Profile::Recommended), "2026-01-01").unwrap();
        assert!(!ids(&rec).contains(&BASE_4_2));
        assert!(ids(&rec).contains(&"root-activity"));
        assert!(!ids(&rec).contains(&"cis-4.1-unauthorized-api-calls"));
        assert_eq!(ids(&rec).last(), Some(&"mine"));
    }

    #[test]
    fn narrowing_explains_missing_ids() {
        let c = config("disable = [\"cis-4.1-unauthorized-api-calls\"]\n");
        let engine = || c.engine(None, "2026-01-01").unwrap();
        let keep = ["cis-4.3-root-account-usage".to_owned()];
        let narrowed = narrow(engine(), &keep, &c, Profile::Recommended).unwrap();
        assert_eq!(ids(&narrowed), ["cis-4.3-root-account-usage"]);

        let err = |id: &str| {
            narrow(engine(), &[id.to_owned()], &c, Profile::Recommended)
                .unwrap_err()
                .to_string()
        };
        assert!(err("nope").starts_with("unknown rule id \"nope\" in --rules; valid ids: "));
        assert!(
            err("cis-4.1-unauthorized-api-calls").contains("the config file t.toml disables it")
        );
        assert!(err(BASE_4_2).contains("profile recommended does not include it"));
    }
}
