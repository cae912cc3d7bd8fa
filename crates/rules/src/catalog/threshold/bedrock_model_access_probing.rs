//! Bedrock models probed, enabled and invoked: a threshold rule (see [`crate::threshold`]).

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity, threshold::Threshold};

/// Fires when one principal makes at least 3 distinct calls of the LLMjacking sequence within 30 minutes:
/// listing models or agreement offers, checking model availability or the invocation-logging configuration,
/// enabling model access (`PutUseCaseForModelAccess`, `CreateFoundationModelAgreement`,
/// `PutFoundationModelEntitlement`) and `InvokeModel`, failed attempts included (intruders probe permissions with
/// invalid requests). Calls by AWS services for you do not count.
///
/// An application invokes models (one or two of these names, however many calls); enabling model access
/// is a rare administrative step. Counting distinct calls, not calls, keeps production inference quiet.
///
/// Threshold: at least 3 distinct eventName within 30 minutes per userIdentity.arn.
///
/// Filter: `{ ($.eventSource = "bedrock.amazonaws.com") && (($.eventName = "InvokeModel") || ($.eventName = "GetFoundationModelAvailability") || ($.eventName = "PutFoundationModelEntitlement") || ($.eventName = "PutUseCaseForModelAccess") || ($.eventName = "GetUseCaseForModelAccess") || ($.eventName = "CreateFoundationModelAgreement") || ($.eventName = "ListFoundationModelAgreementOffers") || ($.eventName = "ListFoundationModels") || ($.eventName = "GetModelInvocationLoggingConfiguration")) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }`
pub const RULE: Rule = Rule {
    id: "bedrock-model-access-probing",
    title: "Bedrock models probed, enabled and invoked",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1496.004" }, Control { framework: "Stratus Red Team", id: "aws.impact.bedrock-invoke-model" }],
    detection: Detection::Threshold(Threshold {
        filter: r#"{ ($.eventSource = "bedrock.amazonaws.com") && (($.eventName = "InvokeModel") || ($.eventName = "GetFoundationModelAvailability") || ($.eventName = "PutFoundationModelEntitlement") || ($.eventName = "PutUseCaseForModelAccess") || ($.eventName = "GetUseCaseForModelAccess") || ($.eventName = "CreateFoundationModelAgreement") || ($.eventName = "ListFoundationModelAgreementOffers") || ($.eventName = "ListFoundationModels") || ($.eventName = "GetModelInvocationLoggingConfiguration")) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }"#,
        group_by: &["userIdentity.arn"],
        window_minutes: 30,
        count: 3,
        distinct: &["eventName"],
    }),
    rationale: "Stolen credentials are used to run large language models at the victim's expense (LLMjacking): the intruder checks which models are available, enables access to them and invokes them (Stratus Red Team bedrock-invoke-model).",
    next_steps: "Check whether the principal is meant to use Bedrock and whether model access was enabled by your team; review the model ids and regions in its Bedrock calls and the bill; if unexplained, revoke the credentials and remove the model access it enabled.",
};
