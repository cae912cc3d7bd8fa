//! A console password set, changed or removed for a user other than the caller.

use super::common::{acts_on_other_user, event_name, event_source, id_at, is_true, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful (no `errorCode`, no `errorMessage`) `CreateLoginProfile`, `UpdateLoginProfile` or
/// `DeleteLoginProfile` (eventSource `iam.amazonaws.com`) whose `requestParameters.userName` names a user other
/// than the caller (same comparison as `access-key-created-for-other-user`: an IAM user's own name, ignoring
/// ASCII case; root, role and federated callers are never the user they name).
///
/// `CreateLoginProfile` and `UpdateLoginProfile` do not fire when `requestParameters.passwordResetRequired` is
/// `true`: the administrator only set a one-time password the user must change at first sign-in, the
/// ordinary onboarding and reset flow. `DeleteLoginProfile` has no such flag and always fires for another user
/// (removing a user's console access is a denial-of-service or a cover-up step). A call without
/// `requestParameters.userName` acts on the caller itself and does not fire.
///
/// Code, not a pattern: it compares two fields of the record (caller vs. target).
pub const RULE: Rule = Rule {
    id: "login-profile-changed-for-other-user",
    title: "Console password changed for another IAM user",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1098" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.iam-create-user-login-profile" },
        Control { framework: "Stratus Red Team", id: "aws.privilege-escalation.iam-update-user-login-profile" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["CreateLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile"]),
        detect,
    },
    rationale: "Whoever sets another user's console password without forcing a reset knows that password and can \
                sign in as that user, inheriting its permissions under its name: a privilege-escalation and \
                persistence technique (Stratus Red Team iam-create-user-login-profile and \
                iam-update-user-login-profile). Deleting it locks the user out.",
    next_steps: "Ask the target user whether they expected it; check for a ConsoleLogin as that user afterwards, from \
                 which IP; if unexplained, delete or reset the login profile with passwordResetRequired, revoke the \
                 user's sessions and investigate the caller.",
};

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    let create_or_update = match event_name(record)? {
        "CreateLoginProfile" | "UpdateLoginProfile" => true,
        "DeleteLoginProfile" => false,
        _ => return None,
    };
    if event_source(record) != Some("iam.amazonaws.com") || !succeeded(record) {
        return None;
    }
    let params = record.get("requestParameters")?;
    let target = id_at(params, &["userName"])?;
    if create_or_update && is_true(params.get("passwordResetRequired")) {
        return None;
    }
    acts_on_other_user(record, target)?.then_some(Hit::PLAIN)
}
