//! SSM commands sent to many instances: a threshold rule (see [`crate::threshold`]).

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity, threshold::Threshold};

/// Fires when one principal successfully sends SSM commands (`SendCommand`) to at least 3 distinct instances
/// (`requestParameters.instanceIds`) within 10 minutes. A command sent by `targets` (tags, resource groups),
/// which names no instance, counts as one instance of its own. Commands that AWS services send for you (State
/// Manager, Patch Manager, Maintenance Windows: `invokedBy`, `AWSService`) do not count.
///
/// False positives: an operator running one command across a few instances by hand; automation should run
/// through State Manager or Maintenance Windows, which do not count, or be excluded by role.
///
/// Threshold: at least 3 distinct requestParameters.instanceIds within 10 minutes per userIdentity.arn.
///
/// Filter: `{ ($.eventSource = "ssm.amazonaws.com") && ($.eventName = "SendCommand") && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }`
pub const RULE: Rule = Rule {
    id: "ssm-send-command-many-instances",
    title: "SSM commands sent to many instances",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1651" }, Control { framework: "Stratus Red Team", id: "aws.execution.ssm-send-command" }],
    detection: Detection::Threshold(Threshold {
        filter: r#"{ ($.eventSource = "ssm.amazonaws.com") && ($.eventName = "SendCommand") && ($.errorCode NOT EXISTS) && ($.userIdentity.invokedBy NOT EXISTS) && ($.userIdentity.type != "AWSService") }"#,
        group_by: &["userIdentity.arn"],
        window_minutes: 10,
        count: 3,
        distinct: &["requestParameters.instanceIds"],
    }),
    rationale: "SendCommand runs arbitrary shell commands as root on instances; sent to several at once by a person or a stolen key, it is code execution across the fleet (Stratus Red Team ssm-send-command).",
    next_steps: "Check the principal and source IP; read the document name and the instances in the alert; fetch the command's output (GetCommandInvocation, or its S3/CloudWatch output) and what it ran; if unexplained, isolate the instances and revoke the principal's credentials.",
};
