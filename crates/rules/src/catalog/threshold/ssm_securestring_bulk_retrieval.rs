//! SSM SecureString parameters decrypted in bulk: a threshold rule (see [`crate::threshold`]).

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity, threshold::Threshold};

/// Fires when one principal successfully reads at least 20 distinct parameters with decryption
/// (`withDecryption` true: SecureString values in clear) within 10 minutes, through `GetParameter`
/// (`requestParameters.name`) or `GetParameters` (each of `requestParameters.names`). Calls by AWS services for
/// you and failed calls do not count; `GetParametersByPath` (one path, however many parameters) is not counted.
///
/// Applications load their configuration, often a dozen parameters, and reload the same ones: distinct
/// counting keeps them quiet. Twenty different decrypted parameters in ten minutes is a sweep.
///
/// Threshold: at least 20 distinct requestParameters.name + requestParameters.names within 10 minutes per userIdentity.arn.
///
/// Filter: `{ ($.eventSource = "ssm.amazonaws.com") && (($.eventName = "GetParameter") || ($.eventName = "GetParameters")) && ($.requestParameters.withDecryption IS TRUE) && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }`
pub const RULE: Rule = Rule {
    id: "ssm-securestring-bulk-retrieval",
    title: "SSM SecureString parameters decrypted in bulk",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1555.006" }, Control { framework: "Stratus Red Team", id: "aws.credential-access.ssm-retrieve-securestring-parameters" }],
    detection: Detection::Threshold(Threshold {
        filter: r#"{ ($.eventSource = "ssm.amazonaws.com") && (($.eventName = "GetParameter") || ($.eventName = "GetParameters")) && ($.requestParameters.withDecryption IS TRUE) && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }"#,
        group_by: &["userIdentity.arn"],
        window_minutes: 10,
        count: 20,
        distinct: &["requestParameters.name", "requestParameters.names"],
    }),
    rationale: "SecureString parameters hold credentials and keys. Decrypting many different ones in a few minutes is how an intruder harvests them (Stratus Red Team ssm-retrieve-securestring-parameters).",
    next_steps: "Check the principal, source IP and user agent; list the parameters read (the alert's distinct values) and rotate the credentials they hold if the access is not explained; limit ssm:GetParameter* and kms:Decrypt to the paths the principal needs.",
};
