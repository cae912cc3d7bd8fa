//! An RDS snapshot shared with another account or made public.

use super::common::{is_call, is_outside, principal_account, recipient, str_at, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a successful `ModifyDBSnapshotAttribute` or `ModifyDBClusterSnapshotAttribute` (eventSource
/// `rds.amazonaws.com`; no `errorCode`, no `errorMessage`) with `requestParameters.attributeName = "restore"`
/// whose `requestParameters.valuesToAdd` contains
/// * `"all"`: the snapshot is now public (note "shared publicly (all)"), or
/// * an account id (12 digits) that is neither the recipient account nor a configured trusted account.
///
/// Removing accounts (`valuesToRemove`), other attributes and grants to trusted accounts do not fire.
///
/// Code, not a pattern: it looks at every element of `valuesToAdd` and consults the trusted accounts.
pub const RULE: Rule = Rule {
    id: "rds-snapshot-shared",
    title: "RDS snapshot shared with another account",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1537" },
        Control { framework: "Stratus Red Team", id: "aws.exfiltration.rds-share-snapshot" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(&["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"]),
        detect,
    },
    rationale: "A shared database snapshot can be restored by the other account into a database it controls: every \
                table, every row. A public snapshot can be restored by anyone.",
    next_steps: "Identify the snapshot (requestParameters.dBSnapshotIdentifier) and the receiving account; if it is \
                 not yours, remove the permission (valuesToRemove), assume the data is copied and investigate the \
                 caller.",
};

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    if !is_call(
        record,
        "rds.amazonaws.com",
        &["ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"],
    ) || !succeeded(record)
        || str_at(record, &["requestParameters", "attributeName"]) != Some("restore")
    {
        return None;
    }
    let values = record.get("requestParameters")?.get("valuesToAdd")?.as_array()?;
    let own = recipient(record);
    let mut external = false;
    for value in values.filter_map(|v| v.as_str()) {
        if value == "all" {
            return Some(Hit::noted("shared publicly (all)"));
        }
        external |= principal_account(value).is_some_and(|a| is_outside(a, own, context));
    }
    external.then_some(Hit::PLAIN)
}
