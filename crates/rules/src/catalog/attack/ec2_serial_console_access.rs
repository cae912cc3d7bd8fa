//! EC2 serial console access enabled, or an SSH key pushed for a serial console session.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `SendSerialConsoleSSHPublicKey` (eventSource `ec2-instance-connect.amazonaws.com`) or
/// `EnableSerialConsoleAccess` (eventSource `ec2.amazonaws.com`); successful = no `errorCode` and no
/// `errorMessage`.
///
/// Pattern: `{ ((($.eventSource = "ec2-instance-connect.amazonaws.com") && ($.eventName = "SendSerialConsoleSSHPublicKey")) || (($.eventSource = "ec2.amazonaws.com") && ($.eventName = "EnableSerialConsoleAccess"))) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
pub const RULE: Rule = Rule {
    id: "ec2-serial-console-access",
    title: "EC2 serial console access enabled or used",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1098.004" },
        Control { framework: "Stratus Red Team", id: "aws.lateral-movement.ec2-serial-console-send-ssh-public-key" },
    ],
    detection: Detection::Pattern(
        r#"{ ((($.eventSource = "ec2-instance-connect.amazonaws.com") && ($.eventName = "SendSerialConsoleSSHPublicKey")) || (($.eventSource = "ec2.amazonaws.com") && ($.eventName = "EnableSerialConsoleAccess"))) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "The serial console reaches an instance's console even when its network, security groups and SSH are \
                closed; it is a break-glass tool that an attacker uses to get a shell where nothing else can.",
    next_steps: "Check who enabled serial console access for the account (it is off by default) and who pushed a key \
                 to which instance; if not a planned recovery, disable serial console access \
                 (DisableSerialConsoleAccess) and investigate the instance.",
};
