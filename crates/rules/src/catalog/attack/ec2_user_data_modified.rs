//! An EC2 instance's user data changed.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `ModifyInstanceAttribute` (eventSource `ec2.amazonaws.com`; no `errorCode`, no
/// `errorMessage`) that sets `requestParameters.userData` (CloudTrail writes its value as
/// `<sensitiveDataRemoved>`). Other attribute changes (instance type, security groups, …) do not fire.
///
/// Stratus Red Team's suggested correlation (a `StopInstances` of the same instance shortly before) is not
/// required: user data can only be changed on a stopped instance, and changing it at all is rare once images
/// are built before launch.
///
/// Pattern: `{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "ModifyInstanceAttribute") && ($.requestParameters.userData = "*") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
pub const RULE: Rule = Rule {
    id: "ec2-user-data-modified",
    title: "EC2 instance user data modified",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1059" },
        Control { framework: "Stratus Red Team", id: "aws.execution.ec2-user-data" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "ModifyInstanceAttribute") && ($.requestParameters.userData = "*") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "User data runs as root when the instance boots. Whoever can stop an instance, change its user data \
                and start it again runs code on it with the instance role's permissions.",
    next_steps: "Read the new user data (DescribeInstanceAttribute userData) and compare it with the launch template; \
                 check for a StopInstances/StartInstances pair around the change; if unexpected, stop the instance, \
                 restore the user data and treat the instance role's credentials as exposed.",
};
