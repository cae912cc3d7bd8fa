//! Generated custom rules for the rule-count scaling measurement.
//!
//! Most rules name an event source and event name, as custom rules usually do; some of them target real
//! events of the generated mix (with one more, selective, condition, so findings stay rare, as they are
//! in production); a few have no `eventName` term at all, so the engine's `eventName` index cannot skip
//! them and they are evaluated against every record.

use crate::gen::EVENTS;
use crate::json::push_str_lit;
use crate::rng::Rng;
use rules::BUILTIN;
use std::fmt::Write as _;

/// One in this many rules has no `eventName` term (rules 10, 30, 50, …).
pub const UNINDEXED_EVERY: usize = 20;

/// How many of the first `n` generated rules have no `eventName` term.
pub fn unindexed(n: usize, with_unindexed: bool) -> usize {
    if with_unindexed {
        (n + UNINDEXED_EVERY / 2) / UNINDEXED_EVERY
    } else {
        0
    }
}

/// The pattern of generated rule `i`.
pub fn pattern(i: usize, with_unindexed: bool, rng: &mut Rng) -> String {
    if with_unindexed && i % UNINDEXED_EVERY == UNINDEXED_EVERY / 2 {
        return match (i / UNINDEXED_EVERY) % 3 {
            0 => format!(
                r#"{{ ($.userIdentity.userName = "svc-user-{i}") && ($.errorCode = "*") }}"#
            ),
            1 => format!(r#"{{ $.sourceIPAddress = "203.0.113.{}" }}"#, i % 256),
            _ => format!(
                r#"{{ ($.requestParameters.bucketName = "bench-{i}-*") || ($.userAgent = "scanner-{i}/*") }}"#
            ),
        };
    }
    match rng.below(10) {
        // A real event of the mix, narrowed by a rare condition.
        0..=1 => {
            let e = rng.pick(EVENTS);
            let extra = match rng.below(3) {
                0 => r#"($.userIdentity.type = "Root")"#.to_owned(),
                1 => r#"($.errorCode = "AccessDenied*")"#.to_owned(),
                _ => r#"($.awsRegion = "ap-southeast-2") && ($.userIdentity.type = "IAMUser")"#
                    .to_owned(),
            };
            format!(
                r#"{{ ($.eventSource = "{}") && ($.eventName = "{}") && {extra} }}"#,
                e.source, e.name
            )
        }
        // Several names of one (synthetic) service.
        2 => format!(
            r#"{{ ($.eventSource = "svc{i}.amazonaws.com") && (($.eventName = "Create{i}") || ($.eventName = "Update{i}") || ($.eventName = "Delete{i}")) }}"#
        ),
        _ => {
            format!(r#"{{ ($.eventSource = "svc{i}.amazonaws.com") && ($.eventName = "Op{i}") }}"#)
        }
    }
}

/// A rules file with `n` custom rules and no built-in rule (every built-in is disabled), so only the
/// generated rules are measured. Without `with_unindexed`, every rule has an `eventName` term.
pub fn rules_toml(n: usize, with_unindexed: bool, seed: u64) -> String {
    let mut s = String::from("profile = \"cis\"\ndisable = [");
    for (i, r) in BUILTIN
        .iter()
        .filter(|r| r.id.starts_with("cis-"))
        .enumerate()
    {
        if i > 0 {
            s.push_str(", ");
        }
        push_str_lit(&mut s, r.id);
    }
    s.push_str("]\n");
    s + &custom_rules(n, with_unindexed, seed)
}

/// A rules file with every built-in rule (`profile = "all"`) plus `n` custom rules.
pub fn rules_toml_all_plus(n: usize, seed: u64) -> String {
    String::from("profile = \"all\"\n") + &custom_rules(n, true, seed)
}

fn custom_rules(n: usize, with_unindexed: bool, seed: u64) -> String {
    let mut rng = Rng::new(seed ^ 0x5EED_0F2B);
    let mut s = String::new();
    for i in 0..n {
        let p = pattern(i, with_unindexed, &mut rng);
        let _ = write!(
            s,
            "\n[[custom_rules]]\nid = \"bench-{i:04}\"\ntitle = \"Generated rule {i}\"\nseverity = \"{}\"\npattern = '{p}'\n",
            ["low", "medium", "high"][i % 3]
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use rules::{Engine, RulesConfig};

    #[test]
    fn generated_rules_compile_and_only_they_run() {
        for (n, with_unindexed) in [(0, true), (15, true), (100, true), (100, false)] {
            let cfg = RulesConfig::parse(&rules_toml(n, with_unindexed, 1), "gen.toml").unwrap();
            let e = Engine::from_config(&cfg, "2026-01-01").unwrap();
            assert_eq!(e.rules().len(), n);
            assert!(e.rules().iter().all(|r| r.id().starts_with("bench-")));
            let without_name = e
                .rules()
                .iter()
                .filter(|r| {
                    r.pattern()
                        .unwrap()
                        .required_values("$.eventName")
                        .is_none()
                })
                .count();
            assert_eq!(
                without_name,
                unindexed(n, with_unindexed),
                "{n} {with_unindexed}"
            );
        }
        let cfg = RulesConfig::parse(&rules_toml_all_plus(10, 1), "gen.toml").unwrap();
        let e = Engine::from_config(&cfg, "2026-01-01").unwrap();
        assert_eq!(e.rules().len(), rules::BUILTIN.len() + 10);
    }
}
