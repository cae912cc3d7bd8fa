//! SSM Run Command sent to instances.

use super::common::{is_call, made_by_aws_service, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `SendCommand` (eventSource `ssm.amazonaws.com`; no `errorCode`, no `errorMessage`)
/// that a principal made itself, not an AWS service on its behalf (`userIdentity.invokedBy`, type
/// `AWSService`: State Manager associations, Patch Manager, Maintenance Windows). A command aimed at more than
/// one instance (`requestParameters.instanceIds` with two or more ids) or at a tag or resource-group target
/// (`requestParameters.targets`) is noted "targets several instances".
///
/// Low severity: operators run commands routinely where SSM replaces SSH. The bulk form (commands to many
/// distinct instances by one principal within minutes) is a threshold rule's job.
///
/// Code, not a pattern: it excludes service-invoked calls and counts the targeted instances for the note.
pub const RULE: Rule = Rule {
    id: "ssm-command-sent",
    title: "SSM command sent to an instance",
    severity: Severity::Low,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1651" },
        Control { framework: "Stratus Red Team", id: "aws.execution.ssm-send-command" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["SendCommand"]),
        detect,
    },
    rationale: "Run Command executes shell commands as root on managed instances, without network access to them. \
                An attacker with ssm:SendCommand runs code on every managed instance and can read their role \
                credentials.",
    next_steps: "Check the document (requestParameters.documentName) and the instances; compare the caller with who \
                 normally administers them; read the command's output (GetCommandInvocation, or the S3/CloudWatch \
                 output if configured); if unexpected, treat the instances and their roles as compromised.",
};

const SEVERAL: &str = "targets several instances";

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    if !is_call(record, "ssm.amazonaws.com", &["SendCommand"])
        || !succeeded(record)
        || made_by_aws_service(record)
    {
        return None;
    }
    let request = record.get("requestParameters");
    let ids = request
        .and_then(|r| r.get("instanceIds"))
        .and_then(|ids| ids.as_array())
        .map_or(0, |ids| ids.count());
    let targets = request
        .and_then(|r| r.get("targets"))
        .and_then(|t| t.as_array())
        .is_some_and(|mut t| t.next().is_some());
    Some(if ids > 1 || targets {
        Hit::noted(SEVERAL)
    } else {
        Hit::PLAIN
    })
}
