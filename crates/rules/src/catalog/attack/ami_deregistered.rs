//! An AMI deregistered.

use crate::{rule::Control, rule::Detection, rule::Rule, severity::Severity};

/// Fires on a successful `DeregisterImage` (eventSource `ec2.amazonaws.com`; no `errorCode`, no
/// `errorMessage`).
///
/// Only under the `all` profile: image pipelines (EC2 Image Builder lifecycle policies, Packer rotations)
/// deregister old images every day, so in the default profile it would page for routine work. Enable it by id
/// (`enable = ["ami-deregistered"]`) where images are long-lived.
///
/// Pattern: `{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "DeregisterImage") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
pub const RULE: Rule = Rule {
    id: "ami-deregistered",
    title: "AMI deregistered",
    severity: Severity::Low,
    profiles: &[],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1485" },
        Control { framework: "Stratus Red Team", id: "aws.impact.ec2-deregister-ami" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "DeregisterImage") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "Deregistering the images that autoscaling groups, launch templates and recovery plans launch from \
                breaks scaling and recovery: an impact step that is easy to miss until instances fail to start.",
    next_steps: "Identify the image (requestParameters.imageId) and what launches from it; if the deregistration was \
                 not planned, re-register the image from its snapshot (RegisterImage) while the snapshot still exists.",
};
