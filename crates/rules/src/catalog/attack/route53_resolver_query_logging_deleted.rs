//! Route 53 Resolver query logging deleted or detached from a VPC.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `DeleteResolverQueryLogConfig` or `DisassociateResolverQueryLogConfig` (eventSource
/// `route53resolver.amazonaws.com`; successful = no `errorCode` and no `errorMessage`): a query logging
/// configuration deleted, or a VPC no longer logged by one.
///
/// Pattern: `{ ($.eventSource = "route53resolver.amazonaws.com") && (($.eventName = "DeleteResolverQueryLogConfig") || ($.eventName = "DisassociateResolverQueryLogConfig")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
pub const RULE: Rule = Rule {
    id: "route53-resolver-query-logging-deleted",
    title: "Route 53 Resolver DNS query logging deleted",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1562.008" },
        Control { framework: "Stratus Red Team", id: "aws.defense-evasion.dns-delete-logs" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "route53resolver.amazonaws.com") && (($.eventName = "DeleteResolverQueryLogConfig") || ($.eventName = "DisassociateResolverQueryLogConfig")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "Resolver query logs record every DNS name the VPC's workloads look up: command-and-control domains, \
                DNS tunnelling, exfiltration endpoints. Deleting them blinds that view before or during an attack.",
    next_steps: "Check whether the change came from infrastructure code (a VPC being torn down); if not, recreate \
                 the query logging configuration and its VPC associations, and review what the same principal did \
                 before and after.",
};
