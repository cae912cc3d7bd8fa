//! CIS 4.5: CloudTrail configuration changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.5 / v1.4–v5.0 4.5 / v6.0–v7.0 5.5, Security Hub CloudWatch.5:
/// "Ensure a log metric filter and alarm exist for CloudTrail configuration changes".
///
/// Pattern (SH-2023 l.530, WDX l.400), verbatim:
/// `{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}`
///
/// Versions: unchanged from v1.2 to v7.0 apart from spacing.
///
/// Known false positives and gaps: routine trail creation and `StartLogging` alert as loudly as `StopLogging`.
/// Failed attempts match too (no `errorCode` term), which is useful: a denied `StopLogging` is still intent.
/// Not covered: `PutEventSelectors` / `PutInsightSelectors` (e.g. turning management events off) and CloudTrail
/// Lake changes; the beyond-CIS rules `cloudtrail-stopped-or-deleted` and
/// `cloudtrail-management-events-disabled` handle the first.
///
/// Severity: high. Stopping or deleting the trail is the textbook first move of an intruder covering tracks,
/// and with the trail off every other rule goes blind.
pub const RULE: Rule = Rule {
    id: "cis-4.5-cloudtrail-config-changes",
    title: "CloudTrail configuration changed",
    severity: Severity::High,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.5" },
        Control { framework: "CIS v1.4-v5.0", id: "4.5" },
        Control { framework: "CIS v6.0-v7.0", id: "5.5" },
        Control { framework: "Security Hub", id: "CloudWatch.5" },
    ],
    detection: Detection::Pattern(
        "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}",
    ),
    rationale: "CloudTrail is the record of everything done in the account, and the input of this very alerting. Stopping \
                logging, deleting a trail or pointing it at another bucket or region removes that record; attackers do it \
                first so that what follows is not seen.",
    next_steps: "Check the eventName and errorCode: StopLogging or DeleteTrail that succeeded needs immediate action; read \
                 requestParameters of UpdateTrail for a changed S3 bucket, KMS key, multi-region or log-file-validation \
                 setting; confirm the caller and change with the owner of the logging account; if unplanned, restart \
                 logging (StartLogging), restore the trail configuration and investigate the caller's other activity, \
                 bearing in mind that anything after the change may be missing from this trail.",
};
