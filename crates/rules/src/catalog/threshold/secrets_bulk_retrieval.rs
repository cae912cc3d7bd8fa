//! Secrets retrieved in bulk: a threshold rule (see [`crate::threshold`]).

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity, threshold::Threshold};

/// Fires when one principal successfully reads at least 10 distinct secrets within 10 minutes: `GetSecretValue`'s
/// `requestParameters.secretId` and each entry of `BatchGetSecretValue`'s `requestParameters.secretIdList` count;
/// a `BatchGetSecretValue` by tag filter (which names no secret) counts as one secret of its own. Calls made by
/// AWS services for you (`userIdentity.invokedBy`, type `AWSService`) and failed calls do not count.
///
/// An application role reads its few secrets, again and again: distinct counting keeps it quiet however often
/// it reads them. Ten different secrets in ten minutes is a person or a tool sweeping the store.
///
/// Threshold: at least 10 distinct requestParameters.secretId + requestParameters.secretIdList within 10 minutes per userIdentity.arn.
///
/// Filter: `{ ($.eventSource = "secretsmanager.amazonaws.com") && (($.eventName = "GetSecretValue") || ($.eventName = "BatchGetSecretValue")) && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }`
pub const RULE: Rule = Rule {
    id: "secrets-bulk-retrieval",
    title: "Secrets retrieved in bulk",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1555.006" }, Control { framework: "Stratus Red Team", id: "aws.credential-access.secretsmanager-retrieve-secrets" }],
    detection: Detection::Threshold(Threshold {
        filter: r#"{ ($.eventSource = "secretsmanager.amazonaws.com") && (($.eventName = "GetSecretValue") || ($.eventName = "BatchGetSecretValue")) && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }"#,
        group_by: &["userIdentity.arn"],
        window_minutes: 10,
        count: 10,
        distinct: &["requestParameters.secretId", "requestParameters.secretIdList"],
    }),
    rationale: "Secrets Manager holds database passwords, API keys and tokens. Reading many different secrets in a few minutes is how a stolen identity harvests credentials for the next step (Stratus Red Team secretsmanager-retrieve-secrets); applications read the same few secrets.",
    next_steps: "Check who the principal is and whether the source IP and user agent are theirs; list the secrets read (the alert's distinct values) and rotate them if the access is not explained; review the principal's other activity in the same window and tighten secretsmanager:GetSecretValue to the secrets it needs.",
};
