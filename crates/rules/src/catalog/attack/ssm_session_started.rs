//! SSM Session Manager session started.

use super::common::{is_call, made_by_aws_service, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `StartSession` (eventSource `ssm.amazonaws.com`; no `errorCode`, no `errorMessage`)
/// that a principal made itself, not an AWS service on its behalf (`userIdentity.invokedBy`, type
/// `AWSService`). The target is `requestParameters.target`.
///
/// Low severity: where Session Manager replaces SSH, sessions are routine. Sessions to many instances by one
/// principal within minutes are a threshold rule's job.
///
/// Code, not a pattern: it excludes service-invoked calls, which a pattern can only do with `NOT EXISTS` terms on
/// every service marker.
pub const RULE: Rule = Rule {
    id: "ssm-session-started",
    title: "SSM interactive session started",
    severity: Severity::Low,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1021.007" },
        Control { framework: "Stratus Red Team", id: "aws.execution.ssm-start-session" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["StartSession"]),
        detect,
    },
    rationale: "A Session Manager session is an interactive shell on the instance, opened through the AWS API: no \
                SSH key, no open port, no bastion. Stolen credentials with ssm:StartSession reach every managed \
                instance.",
    next_steps: "Check who opened the session, on which instance (requestParameters.target), and whether that person \
                 administers it; read the session log (S3/CloudWatch, if session logging is on); terminate unexpected \
                 sessions (TerminateSession) and review the caller's other activity.",
};

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    (is_call(record, "ssm.amazonaws.com", &["StartSession"])
        && succeeded(record)
        && !made_by_aws_service(record))
    .then_some(Hit::PLAIN)
}
