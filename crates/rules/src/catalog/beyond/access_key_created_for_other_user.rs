//! An access key created for a user other than the caller.

use super::common::{acts_on_other_user, event_name, event_source, id_at, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `CreateAccessKey` (eventSource `iam.amazonaws.com`; no `errorCode`, no `errorMessage`)
/// whose `requestParameters.userName` names a user other than the caller:
/// * an IAM user caller whose own name (`userIdentity.userName`, else the last segment of its IAM user ARN)
///   differs from the target, compared ignoring ASCII case as IAM does, or who belongs to another account than
///   the recipient;
/// * any root, assumed-role, federated or service caller, none of which is an IAM user.
///
/// A call without `requestParameters.userName` creates a key for the caller itself and does not fire (a root
/// caller creating root access keys that way is `root-activity`'s business). An IAM-user record with neither
/// `userName` nor a user ARN cannot be judged and does not fire.
///
/// Known noise: infrastructure code creating a service user together with its key (e.g. a CloudFormation
/// `AWS::IAM::AccessKey`) fires; exclude the deploying role if that is routine.
///
/// Code, not a pattern: it compares two fields of the record (caller vs. target), which a filter pattern cannot.
pub const RULE: Rule = Rule {
    id: "access-key-created-for-other-user",
    title: "Access key created for another IAM user",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1098.001" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.iam-backdoor-user" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.iam-create-admin-user" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["CreateAccessKey"]),
        detect,
    },
    rationale: "Creating an access key for someone else hands the caller a second, long-lived identity: the key \
                keeps working after the caller's own credentials are revoked and its activity is logged under the \
                other user's name. It is the classic IAM backdoor (Stratus Red Team iam-backdoor-user).",
    next_steps: "Ask the target user and the caller whether the key was requested; check responseElements for the \
                 new key id and search for its use (userIdentity.accessKeyId); if unexplained, deactivate and \
                 delete the key and investigate the caller; consider adding the key id to the watched keys.",
};

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    if event_name(record) != Some("CreateAccessKey")
        || event_source(record) != Some("iam.amazonaws.com")
        || !succeeded(record)
    {
        return None;
    }
    let target = id_at(record, &["requestParameters", "userName"])?;
    acts_on_other_user(record, target)?.then_some(Hit::PLAIN)
}
