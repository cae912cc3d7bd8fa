//! VPC flow logs deleted.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `DeleteFlowLogs` (eventSource `ec2.amazonaws.com`; successful = no `errorCode` and no
/// `errorMessage`). The flow log ids are in `requestParameters.DeleteFlowLogsRequest.FlowLogId`.
///
/// Limit: `DeleteFlowLogs` reports per-id failures in `responseElements…unsuccessful` while the call itself
/// succeeds; such a partly failed call still fires (erring on the side of an alert).
///
/// Pattern: `{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "DeleteFlowLogs") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
pub const RULE: Rule = Rule {
    id: "vpc-flow-logs-deleted",
    title: "VPC flow logs deleted",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1562.008" },
        Control { framework: "Stratus Red Team", id: "aws.defense-evasion.vpc-remove-flow-logs" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "ec2.amazonaws.com") && ($.eventName = "DeleteFlowLogs") && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "Flow logs are the network record of a VPC: which addresses talked to which, how much data left. \
                Deleting them hides data exfiltration and command-and-control traffic, and is a known step before \
                moving data out.",
    next_steps: "Check whether the deletion came from infrastructure code (a VPC being torn down); if not, recreate \
                 the flow logs, find who deleted them and look at what the same principal did next.",
};
