//! Secrets dumped with BatchGetSecretValue filters: a threshold rule (see [`crate::threshold`]).

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity, threshold::Threshold};

/// Fires on at least 3 successful `BatchGetSecretValue` calls by filter (`requestParameters.filters`, e.g. every
/// secret with a tag) from one principal and source address within 5 minutes. Each call returns up to 20 secret
/// values (CloudTrail does not say which), so three calls page through dozens of secrets. Calls by AWS services
/// for you and failed calls do not count; calls that name their secrets (`secretIdList`) count in
/// `secrets-bulk-retrieval` instead.
///
/// False positives: a fleet that loads its secrets by tag at start-up from one address (a NAT gateway) and
/// restarts three times in five minutes; exclude its role.
///
/// Threshold: at least 3 matching events within 5 minutes per userIdentity.arn + sourceIPAddress.
///
/// Filter: `{ ($.eventSource = "secretsmanager.amazonaws.com") && ($.eventName = "BatchGetSecretValue") && ($.requestParameters.filters[0].key = "*") && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }`
pub const RULE: Rule = Rule {
    id: "secrets-batch-retrieval-by-filter",
    title: "Secrets dumped with BatchGetSecretValue filters",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1555.006" }, Control { framework: "Stratus Red Team", id: "aws.credential-access.secretsmanager-batch-retrieve-secrets" }],
    detection: Detection::Threshold(Threshold {
        filter: r#"{ ($.eventSource = "secretsmanager.amazonaws.com") && ($.eventName = "BatchGetSecretValue") && ($.requestParameters.filters[0].key = "*") && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }"#,
        group_by: &["userIdentity.arn", "sourceIPAddress"],
        window_minutes: 5,
        count: 3,
        distinct: &[],
    }),
    rationale: "BatchGetSecretValue with a filter retrieves the values of every secret the filter selects, up to 20 per call; paging through it is the fastest way to dump a secrets store (Stratus Red Team secretsmanager-batch-retrieve-secrets).",
    next_steps: "Check the principal, source IP and user agent; read the filters in the record to see which secrets were selected and rotate them if the access is not explained; deny secretsmanager:BatchGetSecretValue to principals that do not need it.",
};
