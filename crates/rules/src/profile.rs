//! The built-in rule sets a deployment chooses from: `cis`, `recommended`, `all`.

use serde::Deserialize;

/// Which built-in rules run before `enable`/`disable` adjust the set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Every CIS monitoring control (4.1–4.15, both 4.2 variants).
    Cis,
    /// CIS without the base 4.2 pattern (noisy with SSO), plus every beyond-CIS detection.
    #[default]
    Recommended,
    /// Every built-in rule.
    All,
}

impl Profile {
    /// Every profile, in the order of the documentation: `cis`, `recommended`, `all`.
    pub const ALL: [Profile; 3] = [Profile::Cis, Profile::Recommended, Profile::All];

    /// The name as written in rules files and on the command line: `cis`, `recommended` or `all`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Cis => "cis",
            Profile::Recommended => "recommended",
            Profile::All => "all",
        }
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A profile name that is not `cis`, `recommended` or `all`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile {name:?} (expected cis, recommended or all)")]
pub struct UnknownProfile {
    pub name: String,
}

impl std::str::FromStr for Profile {
    type Err = UnknownProfile;

    /// The names [`Profile::as_str`] gives, exactly (case-sensitive, as in rules files).
    fn from_str(s: &str) -> Result<Profile, UnknownProfile> {
        Profile::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownProfile { name: s.to_owned() })
    }
}
