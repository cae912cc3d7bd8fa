//! The built-in rules: one file per rule, in [`cis`] (the CIS monitoring controls), [`beyond`] (detections
//! beyond CIS) and [`attack`] (attack techniques: Stratus Red Team's AWS catalog, root access keys), each
//! registered by one line in its folder's `mod.rs`. [`BUILTIN`] is the CIS rules, then the beyond-CIS rules,
//! then the attack rules, each in registration order.

use crate::rule::{Catalog, Rule};

/// Registers the rule files of a catalog folder, one line per rule: the module named after the rule's id
/// (`-` and `.` written `_`; a test checks it), in catalog order. Declares each module (`pub mod`), lists each
/// module's `RULE` in the static `$list`, and, for tests, keeps each file's module name and text in `SOURCES`.
/// A test fails when a `.rs` file of the folder is not registered.
macro_rules! register_rules {
    ($(#[$meta:meta])* $vis:vis static $list:ident = [$($module:ident),+ $(,)?];) => {
        $(pub mod $module;)+

        $(#[$meta])*
        $vis static $list: &[&crate::rule::Rule] = &[$(&$module::RULE),+];

        /// Each registered rule file, in registration order: its module name and its text.
        #[cfg(test)]
        pub(crate) const SOURCES: &[(&str, &str)] = &[$(
            (stringify!($module), include_str!(concat!(stringify!($module), ".rs")))
        ),+];
    };
}

pub mod attack;
pub mod beyond;
pub mod cis;
pub mod events;
pub mod threshold;

const CIS_BEYOND_LEN: usize = cis::CIS.len() + beyond::BEYOND.len();
const CIS_BEYOND: [&Rule; CIS_BEYOND_LEN] = concat(cis::CIS, beyond::BEYOND);
/// Then the attack-technique rules.
const BUILTIN_LEN: usize = CIS_BEYOND_LEN + attack::ATTACK.len();
const BUILTIN_ARRAY: [&Rule; BUILTIN_LEN] = concat(&CIS_BEYOND, attack::ATTACK);
/// Then the threshold rules, at the end.
const WITH_THRESHOLD_LEN: usize = BUILTIN_LEN + threshold::THRESHOLD.len();
const WITH_THRESHOLD_ARRAY: [&Rule; WITH_THRESHOLD_LEN] =
    concat(&BUILTIN_ARRAY, threshold::THRESHOLD);

/// Every built-in rule, in catalog order: [`cis::CIS`], then [`beyond::BEYOND`], then [`attack::ATTACK`], then
/// [`threshold::THRESHOLD`].
pub static BUILTIN: &[&Rule] = &WITH_THRESHOLD_ARRAY;

/// The id of the rule that watches the deployment's own pipeline: on whatever the profile when the rules
/// file has a `[pipeline]` table (`Engine::from_config`).
pub const PIPELINE_TAMPERING_ID: &str = beyond::trailwarden_pipeline_tampering::RULE.id;

/// The built-in catalog, as the configuration and the engine take it.
pub const CATALOG: Catalog = Catalog {
    rules: &WITH_THRESHOLD_ARRAY,
    own_resources_rule: PIPELINE_TAMPERING_ID,
};

/// `a` then `b`, as an array of their combined length (checked at compile time).
const fn concat<const N: usize>(a: &[&'static Rule], b: &[&'static Rule]) -> [&'static Rule; N] {
    assert!(a.len() + b.len() == N && N > 0);
    let mut out = [if a.is_empty() { b[0] } else { a[0] }; N];
    let mut i = 0;
    while i < a.len() {
        out[i] = a[i];
        i += 1;
    }
    let mut j = 0;
    while j < b.len() {
        out[a.len() + j] = b[j];
        j += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    #[test]
    fn builtin_is_the_cis_rules_then_beyond_then_attack() {
        let cis: Vec<&str> = BUILTIN
            .iter()
            .map(|r| r.id)
            .take_while(|id| id.starts_with("cis-"))
            .collect();
        assert_eq!(
            cis.len(),
            16,
            "every CIS monitoring control 4.1-4.15, both 4.2 variants"
        );
        let want: Vec<&str> = cis::CIS.iter().map(|r| r.id).collect();
        assert_eq!(cis, want);
        let rest: Vec<&str> = BUILTIN[cis.len()..].iter().map(|r| r.id).collect();
        let beyond: Vec<&str> = beyond::BEYOND.iter().map(|r| r.id).collect();
        assert_eq!(rest[..beyond.len()], beyond);
        let attack: Vec<&str> = attack::ATTACK.iter().map(|r| r.id).collect();
        assert_eq!(
            rest[beyond.len()..beyond.len() + attack.len()],
            attack,
            "attack rules after beyond"
        );
        let threshold: Vec<&str> = threshold::THRESHOLD.iter().map(|r| r.id).collect();
        assert_eq!(
            rest[rest.len() - threshold.len()..],
            threshold,
            "threshold rules last"
        );
    }

    /// Every rule file is registered, under the module name its id gives, so a file cannot be forgotten and
    /// a registration line cannot point at another rule's file.
    #[test]
    fn every_rule_file_is_registered_under_its_id() {
        /// A catalog folder: its name, its rule list, its registered files, and its files that are not rules.
        type Group = (
            &'static str,
            &'static [&'static Rule],
            &'static [(&'static str, &'static str)],
            &'static [&'static str],
        );
        let groups: [Group; 4] = [
            (
                "threshold",
                threshold::THRESHOLD,
                threshold::SOURCES,
                &["mod"],
            ),
            ("cis", cis::CIS, cis::SOURCES, &["mod"]),
            (
                "beyond",
                beyond::BEYOND,
                beyond::SOURCES,
                &["mod", "common"],
            ),
            (
                "attack",
                attack::ATTACK,
                attack::SOURCES,
                &["mod", "common"],
            ),
        ];
        for (dir, rules, sources, not_rules) in groups {
            assert_eq!(rules.len(), sources.len(), "{dir}");
            for (rule, (module, text)) in rules.iter().zip(sources) {
                assert_eq!(
                    rule.id.replace(['-', '.'], "_"),
                    *module,
                    "{dir}: a rule's module is named after its id"
                );
                assert!(
                    text.contains(&format!("id: \"{}\"", rule.id)),
                    "{dir}/{module}.rs defines {}",
                    rule.id
                );
            }
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/catalog")
                .join(dir);
            let files: BTreeSet<String> = std::fs::read_dir(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "rs"))
                .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
                .filter(|stem| !not_rules.contains(&stem.as_str()))
                .collect();
            let registered: BTreeSet<String> =
                sources.iter().map(|(m, _)| (*m).to_owned()).collect();
            let unregistered: Vec<&String> = files.difference(&registered).collect();
            assert!(
                unregistered.is_empty(),
                "rule files not registered in src/catalog/{dir}/mod.rs: {unregistered:?}"
            );
        }
    }

    /// The attack rules too noisy for the default profile (their doc comments say why).
    const ATTACK_ALL_ONLY: &[&str] = &["ec2-instance-credentials-used-outside", "ami-deregistered"];

    /// The profiles as documented: `cis` runs exactly the CIS controls, `recommended` every rule but the base
    /// CIS 4.2 pattern (noisy with SSO) and the attack rules too noisy on benign traffic (instance credentials
    /// from a public address, AMI deregistration: see their doc comments), `all` everything.
    #[test]
    fn profile_membership() {
        for rule in BUILTIN {
            assert_eq!(
                rule.in_profile(crate::profile::Profile::Cis),
                rule.id.starts_with("cis-"),
                "{}",
                rule.id
            );
            // Threshold rules too noisy for the default profile say why in their doc comment (`all` only).
            let all_only = matches!(rule.detection, crate::rule::Detection::Threshold(_))
                && rule.profiles.is_empty();
            assert_eq!(
                rule.in_profile(crate::profile::Profile::Recommended),
                rule.id != "cis-4.2-console-signin-without-mfa"
                    && !all_only
                    && !ATTACK_ALL_ONLY.contains(&rule.id),
                "{}",
                rule.id
            );
            assert!(rule.in_profile(crate::profile::Profile::All));
            assert!(
                !rule.profiles.contains(&crate::profile::Profile::All),
                "{}: `all` is implied",
                rule.id
            );
        }
    }
}
