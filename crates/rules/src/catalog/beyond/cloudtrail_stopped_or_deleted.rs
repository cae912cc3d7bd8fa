//! CloudTrail logging stopped or a trail deleted.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `StopLogging` or `DeleteTrail` (eventSource `cloudtrail.amazonaws.com`; successful =
/// no `errorCode` and no `errorMessage`).
///
/// Pattern: `{ ($.eventSource = "cloudtrail.amazonaws.com") && (($.eventName = "StopLogging") || ($.eventName = "DeleteTrail")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
///
/// Critical: this is the first thing an intruder does to act unseen, and everything after it is invisible to
/// trailwarden (this record is among the last it will receive from that trail). Failed attempts are left to
/// CIS 4.1 (unauthorized calls) and 4.5 (CloudTrail configuration changes, which also covers `UpdateTrail`).
pub const RULE: Rule = Rule {
    id: "cloudtrail-stopped-or-deleted",
    title: "CloudTrail logging stopped or trail deleted",
    severity: Severity::Critical,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1562.008" },
        Control { framework: "Stratus Red Team", id: "aws.defense-evasion.cloudtrail-stop" },
        Control { framework: "Stratus Red Team", id: "aws.defense-evasion.cloudtrail-delete" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "cloudtrail.amazonaws.com") && (($.eventName = "StopLogging") || ($.eventName = "DeleteTrail")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "A trail stopped recording or no longer exists. From now on API activity in the account (or the \
                organization, for an organization trail) is not logged, so neither this tool nor an investigator \
                can see what happens next. Attackers do this right before the actions they want to hide.",
    next_steps: "Restart logging at once (StartLogging, or recreate the trail from infrastructure code); find who \
                 did it and from where; treat the principal as compromised until proven otherwise; review the \
                 account's activity from other sources (CloudTrail event history keeps 90 days of management events \
                 even without a trail, GuardDuty, VPC flow logs).",
};
