//! GuardDuty detector deleted or suspended.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `DeleteDetector`, or a successful `UpdateDetector` whose `requestParameters.enable` is
/// the JSON boolean `false` (suspending the detector). eventSource `guardduty.amazonaws.com`; successful = no
/// `errorCode` and no `errorMessage`. An `UpdateDetector` that only changes features or the publishing
/// frequency (no `enable`, or `enable: true`) does not fire.
///
/// Pattern: `{ ($.eventSource = "guardduty.amazonaws.com") && (($.eventName = "DeleteDetector") || (($.eventName = "UpdateDetector") && ($.requestParameters.enable IS FALSE))) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
pub const RULE: Rule = Rule {
    id: "guardduty-disabled",
    title: "GuardDuty disabled",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1562.001" }],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "guardduty.amazonaws.com") && (($.eventName = "DeleteDetector") || (($.eventName = "UpdateDetector") && ($.requestParameters.enable IS FALSE))) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "GuardDuty was switched off in a region: its threat detection (credential exfiltration, crypto mining, \
                malicious IPs) stops there, and a deleted detector also loses its findings. Attackers disable it \
                before noisy actions; legitimate changes are rare and go through infrastructure code.",
    next_steps: "Check whether the change came from your infrastructure pipeline; if not, re-enable the detector \
                 (or let the organization's delegated administrator re-enable it), treat the caller as compromised \
                 and review what the account did after the change.",
};
