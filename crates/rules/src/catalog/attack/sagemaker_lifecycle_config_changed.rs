//! A SageMaker notebook instance's lifecycle configuration set or changed.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful (no `errorCode`, no `errorMessage`) call of eventSource `sagemaker.amazonaws.com` that
/// changes what runs when a notebook instance starts: `UpdateNotebookInstance` naming a lifecycle configuration
/// (`requestParameters.lifecycleConfigName` present), or `UpdateNotebookInstanceLifecycleConfig`.
///
/// Pattern: `{ ($.eventSource = "sagemaker.amazonaws.com") && ((($.eventName = "UpdateNotebookInstance") && ($.requestParameters.lifecycleConfigName = "*")) || ($.eventName = "UpdateNotebookInstanceLifecycleConfig")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
pub const RULE: Rule = Rule {
    id: "sagemaker-lifecycle-config-changed",
    title: "SageMaker notebook lifecycle configuration changed",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1059" },
        Control { framework: "Stratus Red Team", id: "aws.execution.sagemaker-update-lifecycle-config" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "sagemaker.amazonaws.com") && ((($.eventName = "UpdateNotebookInstance") && ($.requestParameters.lifecycleConfigName = "*")) || ($.eventName = "UpdateNotebookInstanceLifecycleConfig")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "A lifecycle configuration is a shell script that runs as root each time the notebook instance starts, \
                with the instance's execution role: whoever can stop, update and start a notebook runs code as that \
                role.",
    next_steps: "Read the lifecycle configuration's scripts (DescribeNotebookInstanceLifecycleConfig); check for a \
                 Stop/Start of the same notebook around the change; if unexpected, detach the configuration and \
                 treat the execution role's credentials as exposed.",
};
