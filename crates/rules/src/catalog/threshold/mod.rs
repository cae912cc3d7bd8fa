//! Built-in threshold rules: "at least N matching events with the same key within W minutes", for behaviours
//! that are normal once and alarming in bulk (see [`crate::threshold`] for the semantics).
//!
//! One file per rule, registered by one line below, each a [`Detection::Threshold`](crate::rule::Detection::Threshold)
//! whose filter is a CloudWatch filter pattern quoted verbatim in the rule's doc comment (`Filter: `…``), with
//! its count, window, key and distinct fields. Every rule cites its MITRE ATT&CK technique and the Stratus Red
//! Team technique(s) whose detonation it fires on (`controls`).

register_rules! {
    /// The threshold rules, in catalog order (new rules at the end).
    pub static THRESHOLD = [
        secrets_bulk_retrieval,
        secrets_batch_retrieval_by_filter,
        ssm_securestring_bulk_retrieval,
        ssm_send_command_many_instances,
        bedrock_model_access_probing,
        bedrock_invoke_model_surge,
        s3_object_deletion_burst,
        enumeration_burst,
        s3_batch_deletion_burst,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{engine::Engine, profile::Profile, rule::Detection};

    #[test]
    fn every_rule_is_a_threshold_that_quotes_its_filter_and_cites_attack_and_stratus() {
        Engine::new(THRESHOLD).expect("the threshold rules compile, with unique ids");
        for (rule, (_, src)) in THRESHOLD.iter().zip(SOURCES) {
            let Detection::Threshold(t) = rule.detection else {
                panic!("{} is not a threshold rule", rule.id);
            };
            assert!(
                src.contains(&format!("/// Filter: `{}`", t.filter)),
                "{}: the doc comment quotes the filter verbatim",
                rule.id
            );
            assert!(
                src.contains(&format!("/// Threshold: at least {} ", t.count)),
                "{}: the doc comment states the threshold",
                rule.id
            );
            // CloudWatch Logs PutMetricFilter: filterPattern "Maximum length of 1024".
            assert!(t.filter.len() <= 1024, "{}", rule.id);
            assert!(
                rule.controls.iter().any(|c| c.framework == "MITRE ATT&CK"),
                "{} cites no ATT&CK technique",
                rule.id
            );
            for c in rule.controls {
                assert!(
                    matches!(c.framework, "MITRE ATT&CK" | "Stratus Red Team"),
                    "{}: {c}",
                    rule.id
                );
                if c.framework == "Stratus Red Team" {
                    assert!(
                        c.id.starts_with("aws.") && c.id.split('.').count() == 3,
                        "{c}"
                    );
                }
            }
            // Outside the default profile only with the reason in the doc comment.
            if !rule.in_profile(Profile::Recommended) {
                assert!(
                    src.contains("Not in the recommended profile:"),
                    "{}",
                    rule.id
                );
            }
            assert!(!rule.in_profile(Profile::Cis), "{}", rule.id);
        }
    }
}
