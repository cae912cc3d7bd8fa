//! Root user activity that changes something.

use super::common::{event_name, event_type, is_read_only, is_true, succeeded, succeeded_fields};
use crate::{rule::Context, rule::Control, rule::Detection, rule::FieldPrefilter, rule::FieldValue, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a **successful, non-read-only call made by the root user** (`userIdentity.type = Root`) that was not
/// invoked by an AWS service on the account's behalf (`userIdentity.invokedBy` absent), is not an
/// `AwsServiceEvent`, and is not `CreateServiceLinkedRole` (which services trigger while the root user merely
/// browses the console). "Successful" is no `errorCode` and no `errorMessage`; "non-read-only" is `readOnly`
/// not `true` (an absent `readOnly` counts as not read-only).
///
/// Console sign-ins (`eventType = AwsConsoleSignIn`: `ConsoleLogin`, and the sign-in flow's other events) are
/// not calls and are left to `root-console-login-success` / `root-console-login-failure`, so that one root
/// sign-in does not page twice from the beyond-CIS set.
///
/// This is the CIS 4.3 pattern narrowed the way panther's `AWS.Root.Activity` does it, so that it pages only
/// for root changes, not for root browsing or failed attempts (CIS 4.3 keeps reporting all of those).
///
/// Centralized root access sessions, opened by a management or delegated-admin account with `sts:AssumeRoot`,
/// log as `type: Root` with `userIdentity.sessionContext.assumedRoot = "true"` (string; a JSON `true` is
/// accepted too). They still fire, because they are root changes, but the alert says what they are:
/// "centralized root access session (sts:AssumeRoot)". Their ARN and principal id are the ordinary root ones
/// (`arn:aws:iam::<account>:root`), so `assumedRoot` is the only marker.
///
/// Code, not a pattern: a pattern cannot attach the AssumeRoot note, and `readOnly` "not true" needs
/// `NOT EXISTS || IS FALSE` while also treating a missing `eventType` as "not a service event".
pub const RULE: Rule = Rule {
    id: "root-activity",
    title: "Root user made a change",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1078.004" }],
    detection: Detection::Code {
        prefilter: Prefilter::Fields(prefilter),
        detect,
    },
    rationale: "The root user cannot be restricted by IAM policies and can close the account, change its contact and \
                billing details or remove every other principal. A successful change made as root is either a rare, \
                planned task (with centralized root access: a short AssumeRoot session) or a compromised root credential.",
    next_steps: "Confirm with the account owner that the change was planned; read the event name and request \
                 parameters to see what changed; check the source IP, user agent and MFA use of the root session; for \
                 an AssumeRoot session, find the sts:AssumeRoot call in the management (or delegated admin) account to \
                 learn who opened it; if unplanned, reset the root password, check the root MFA devices and delete any \
                 root access keys.",
};

const ASSUMED_ROOT: &str = "centralized root access session (sts:AssumeRoot)";

/// What it can match: `userIdentity.type` Root, no `invokedBy`, succeeded (no `errorCode`, no
/// `errorMessage`); never a read-only call (not a field test: `readOnly` may be absent).
fn prefilter(_: &Context) -> FieldPrefilter {
    let mut fields = succeeded_fields();
    fields.push(("userIdentity.type", FieldValue::one_of(["Root"])));
    fields.push(("userIdentity.invokedBy", FieldValue::exists(false)));
    FieldPrefilter::fields(fields, true)
}

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    let identity = record.get("userIdentity")?;
    if identity.get("type")?.as_str()? != "Root" || identity.get("invokedBy").is_some() {
        return None;
    }
    if matches!(
        event_type(record),
        Some("AwsServiceEvent" | "AwsConsoleSignIn")
    ) || event_name(record) == Some("CreateServiceLinkedRole")
        || !succeeded(record)
        || is_read_only(record)
    {
        return None;
    }
    let assumed_root = identity
        .get("sessionContext")
        .is_some_and(|s| is_true(s.get("assumedRoot")));
    Some(if assumed_root {
        Hit::noted(ASSUMED_ROOT)
    } else {
        Hit::PLAIN
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail::Parsed;
    use serde_json::json;
    use serde_json::Value;

    fn detect(v: &Value, context: &Context) -> Option<Hit> {
        super::detect(Parsed::from_value(v).root(), context)
    }

    #[test]
    fn assume_root_sessions_are_labelled() {
        let mut r = json!({
            "eventName": "DeleteBucketPolicy", "eventType": "AwsApiCall", "readOnly": false,
            "userIdentity": {"type": "Root", "arn": "arn:aws:iam::111122223333:root",
                             "sessionContext": {"assumedRoot": "true"}}
        });
        assert_eq!(
            detect(&r, &Context::default()),
            Some(Hit::noted(ASSUMED_ROOT))
        );
        r["userIdentity"]["sessionContext"]["assumedRoot"] = json!(true);
        assert_eq!(
            detect(&r, &Context::default()),
            Some(Hit::noted(ASSUMED_ROOT))
        );
        r["userIdentity"]["sessionContext"] = json!({"attributes": {"mfaAuthenticated": "true"}});
        assert_eq!(detect(&r, &Context::default()), Some(Hit::PLAIN));
    }
}
