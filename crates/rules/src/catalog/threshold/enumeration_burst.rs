//! Burst of distinct read-only API calls: a threshold rule (see [`crate::threshold`]).

use crate::{rule::Control, rule::Detection, rule::Rule, severity::Severity, threshold::Threshold};

/// Fires when one principal calls at least 20 distinct `List*`, `Describe*` or `Get*` APIs within 10
/// minutes, allowed or denied (`errorCode` is not looked at: an intruder's enumeration is mostly denied). Console
/// sessions (`sessionCredentialFromConsole`, whose pages call dozens of APIs) and calls by AWS services for you
/// do not count.
///
/// Not in the recommended profile: infrastructure-as-code plans, posture scanners and inventory tools read
/// dozens of APIs in minutes; run it with `all` (or `enable` it) and exclude those roles. Its filter names no
/// exact value: the engine indexes it by its `eventName` prefixes, and every read call (about half of a busy
/// account's records) is evaluated and counted, the largest cost of any built-in rule (`make bench`, README). Stratus Red
/// Team's ec2-enumerate-from-instance makes 9 distinct calls: below this count, on purpose.
///
/// Threshold: at least 20 distinct eventName within 10 minutes per userIdentity.arn.
///
/// Filter: `{ (($.eventName = "List*") || ($.eventName = "Describe*") || ($.eventName = "Get*")) && ($.sessionCredentialFromConsole NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }`
pub const RULE: Rule = Rule {
    id: "enumeration-burst",
    title: "Burst of distinct read-only API calls",
    severity: Severity::Low,
    profiles: &[],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1580" }, Control { framework: "MITRE ATT&CK", id: "T1526" }],
    detection: Detection::Threshold(Threshold {
        filter: r#"{ (($.eventName = "List*") || ($.eventName = "Describe*") || ($.eventName = "Get*")) && ($.sessionCredentialFromConsole NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }"#,
        group_by: &["userIdentity.arn"],
        window_minutes: 10,
        count: 20,
        distinct: &["eventName"],
    }),
    rationale: "The first thing an intruder does with new credentials is find out what they can reach: many different read calls across services in a few minutes.",
    next_steps: "Check whether the principal is a scanner, an infrastructure-as-code pipeline or a person; if an instance role, check whether the calls come from that instance; look at the denied calls and what followed them.",
};
