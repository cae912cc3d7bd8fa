//! CIS 4.9: AWS Config configuration changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.9 / v1.4–v5.0 4.9 / v6.0–v7.0 5.9, Security Hub CloudWatch.9:
/// "Ensure a log metric filter and alarm exist for AWS Config configuration changes".
///
/// Pattern (SH-2023 l.986, WDX l.500), verbatim:
/// `{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}`
///
/// Versions: the same four event names from v1.2 to v7.0 (PRW-5.0 4.9 writes them without spaces); Level 2
/// from v1.4.
///
/// Known false positives and gaps: `PutConfigurationRecorder` / `PutDeliveryChannel` fire on routine setup
/// and on every update by Control Tower or IaC. Not covered: `DeleteConfigurationRecorder` (deleting the
/// recorder outright is not in the benchmark list; beyond-CIS `security-configuration-change` covers it),
/// `DeleteConfigRule`, conformance packs and aggregators. Failed attempts match too.
///
/// Severity: high. Stopping the recorder or removing the delivery channel blinds configuration history and
/// compliance checks; as with CloudTrail, it is a defense-evasion step.
pub const RULE: Rule = Rule {
    id: "cis-4.9-aws-config-changes",
    title: "AWS Config recorder or delivery channel changed",
    severity: Severity::High,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.9" },
        Control { framework: "CIS v1.4-v5.0", id: "4.9" },
        Control { framework: "CIS v6.0-v7.0", id: "5.9" },
        Control { framework: "Security Hub", id: "CloudWatch.9" },
    ],
    detection: Detection::Pattern(
        "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}",
    ),
    rationale: "AWS Config records how every resource is configured over time and feeds compliance rules and Security \
                Hub. Stopping the recorder or changing where it delivers removes that history, so later changes (an open \
                security group, a public bucket) leave no configuration trail.",
    next_steps: "Check the eventName: StopConfigurationRecorder or DeleteDeliveryChannel that succeeded needs action; for \
                 Put* calls read requestParameters (recording group narrowed to fewer resource types, delivery bucket \
                 moved to another account); confirm with the owner of the Config setup (Control Tower, IaC); if \
                 unplanned, restart the recorder (config start-configuration-recorder), restore the delivery channel \
                 and review the caller's other activity.",
};
