//! Bedrock model invocation surge: a threshold rule (see [`crate::threshold`]).

use crate::{rule::Control, rule::Detection, rule::Rule, severity::Severity, threshold::Threshold};

/// Fires when one principal makes at least 100 model invocations (`InvokeModel`,
/// `InvokeModelWithResponseStream`, `Converse`, `ConverseStream`) within 10 minutes. Calls by AWS services for
/// you do not count.
///
/// Not in the recommended profile: an application in production invokes models far more often than that, so
/// only the `all` profile runs it (or `enable` it, and exclude your applications' roles). The Stratus Red Team
/// detonation invokes once; `bedrock-model-access-probing` is the rule that catches it.
///
/// Threshold: at least 100 matching events within 10 minutes per userIdentity.arn.
///
/// Filter: `{ ($.eventSource = "bedrock.amazonaws.com") && (($.eventName = "InvokeModel") || ($.eventName = "InvokeModelWithResponseStream") || ($.eventName = "Converse") || ($.eventName = "ConverseStream")) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }`
pub const RULE: Rule = Rule {
    id: "bedrock-invoke-model-surge",
    title: "Bedrock model invocation surge",
    severity: Severity::Medium,
    profiles: &[],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1496.004" }],
    detection: Detection::Threshold(Threshold {
        filter: r#"{ ($.eventSource = "bedrock.amazonaws.com") && (($.eventName = "InvokeModel") || ($.eventName = "InvokeModelWithResponseStream") || ($.eventName = "Converse") || ($.eventName = "ConverseStream")) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }"#,
        group_by: &["userIdentity.arn"],
        window_minutes: 10,
        count: 100,
        distinct: &[],
    }),
    rationale: "An intruder running models on stolen credentials invokes them as fast as the quota allows, and the bill follows; a principal that does not usually call Bedrock suddenly invoking it at volume is LLMjacking.",
    next_steps: "Check whether the principal is an application meant to call Bedrock; if not, review its model ids, regions and the Bedrock bill, revoke its credentials and check how they were obtained.",
};
