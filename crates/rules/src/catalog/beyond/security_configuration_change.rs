//! Umbrella: a security or logging control was deleted or disabled.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful (no `errorCode`, no `errorMessage`) call that deletes or disables one of these
/// controls:
///
/// | control | eventSource | eventName |
/// |---|---|---|
/// | CloudTrail trail | `cloudtrail.amazonaws.com` | `StopLogging`, `DeleteTrail` |
/// | GuardDuty detector | `guardduty.amazonaws.com` | `DeleteDetector`, `UpdateDetector` with `requestParameters.enable` = `false` |
/// | VPC flow logs | `ec2.amazonaws.com` | `DeleteFlowLogs` |
/// | EBS encryption by default | `ec2.amazonaws.com` | `DisableEbsEncryptionByDefault` |
/// | AWS Config | `config.amazonaws.com` | `StopConfigurationRecorder`, `DeleteConfigurationRecorder`, `DeleteDeliveryChannel` |
/// | EventBridge rules (alert routing) | `events.amazonaws.com` | `DeleteRule`, `DisableRule` |
/// | S3 account-level Block Public Access | `s3.amazonaws.com` (or `s3-control.amazonaws.com`) | `DeleteAccountPublicAccessBlock` |
///
/// S3 Control calls are logged with eventSource `s3.amazonaws.com`; `s3-control.amazonaws.com` is accepted as
/// well because some tools write it, and the event name alone is specific enough.
///
/// It deliberately overlaps the specific rules (`cloudtrail-stopped-or-deleted`, `guardduty-disabled`,
/// `vpc-flow-logs-deleted`, `ebs-default-encryption-disabled`), which carry the higher severities: this one
/// gives a single id to route or exclude "someone weakened a control". Medium, because EventBridge rules are
/// also deleted and disabled by deployment tools in normal operation.
///
/// Pattern (under CloudWatch's 1,024-character limit, so it can be pasted into a metric filter):
/// `{ ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) && (($.eventSource = cloudtrail.amazonaws.com && ($.eventName = StopLogging || $.eventName = DeleteTrail)) || ($.eventSource = guardduty.amazonaws.com && ($.eventName = DeleteDetector || ($.eventName = UpdateDetector && $.requestParameters.enable IS FALSE))) || ($.eventSource = ec2.amazonaws.com && ($.eventName = DeleteFlowLogs || $.eventName = DisableEbsEncryptionByDefault)) || ($.eventSource = config.amazonaws.com && ($.eventName = StopConfigurationRecorder || $.eventName = DeleteConfigurationRecorder || $.eventName = DeleteDeliveryChannel)) || ($.eventSource = events.amazonaws.com && ($.eventName = DeleteRule || $.eventName = DisableRule)) || (($.eventSource = s3.amazonaws.com || $.eventSource = s3-control.amazonaws.com) && $.eventName = DeleteAccountPublicAccessBlock)) }`
pub const RULE: Rule = Rule {
    id: "security-configuration-change",
    title: "Security or logging control deleted or disabled",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1562.001" },
        Control { framework: "MITRE ATT&CK", id: "T1562.008" },
    ],
    detection: Detection::Pattern(PATTERN),
    rationale: "One of the account's detective or protective controls was removed: audit logging, threat \
                detection, network logs, configuration recording, alert routing, the account-wide public-access \
                guard or default encryption. Each is a common step in impairing defences before the real attack.",
    next_steps: "Read the event name and request parameters to see which control changed; check whether an \
                 infrastructure pipeline or change ticket explains it; if not, restore the control and review the \
                 caller's other recent activity.",
};

const PATTERN: &str = "{ ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) && (\
($.eventSource = cloudtrail.amazonaws.com && ($.eventName = StopLogging || $.eventName = DeleteTrail)) || \
($.eventSource = guardduty.amazonaws.com && ($.eventName = DeleteDetector || ($.eventName = UpdateDetector && $.requestParameters.enable IS FALSE))) || \
($.eventSource = ec2.amazonaws.com && ($.eventName = DeleteFlowLogs || $.eventName = DisableEbsEncryptionByDefault)) || \
($.eventSource = config.amazonaws.com && ($.eventName = StopConfigurationRecorder || $.eventName = DeleteConfigurationRecorder || $.eventName = DeleteDeliveryChannel)) || \
($.eventSource = events.amazonaws.com && ($.eventName = DeleteRule || $.eventName = DisableRule)) || \
(($.eventSource = s3.amazonaws.com || $.eventSource = s3-control.amazonaws.com) && $.eventName = DeleteAccountPublicAccessBlock)) }";
