//! CIS 4.13: route table changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.13 / v1.4–v5.0 4.13 / v6.0–v7.0 5.13, Security Hub CloudWatch.13:
/// "Ensure a log metric filter and alarm exist for route table changes" (v3.0+: "Ensure route table changes are
/// monitored").
///
/// Pattern (SH-2023 l.1442, WDX l.600), verbatim:
/// `{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}`
///
/// Versions: the remediation text is unchanged from v1.2 to v7.0 apart from spacing. The v3.0 and v4.0
/// *audit* text prefixes `($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || …`; because
/// `&&` binds tighter than `||`, that guard applies to `CreateRoute` only. Not shipped: it is an audit-text
/// slip, and the remediation text (what people deploy) has no guard.
///
/// Known false positives and gaps: no `eventSource` guard, so same-named calls of other services match, e.g.
/// API Gateway v2 and App Mesh `CreateRoute` / `DeleteRoute`. Failed attempts match too. Not covered:
/// `AssociateRouteTable` (while `DisassociateRouteTable` is), transit-gateway and local-gateway routes.
///
/// Severity: low. A route alone rarely exposes anything (a gateway or a security-group change is needed too,
/// and those have their own rules), and route edits are frequent in networks managed by IaC.
pub const RULE: Rule = Rule {
    id: "cis-4.13-route-table-changes",
    title: "Route table changed",
    severity: Severity::Low,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.13" },
        Control { framework: "CIS v1.4-v5.0", id: "4.13" },
        Control { framework: "CIS v6.0-v7.0", id: "5.13" },
        Control { framework: "Security Hub", id: "CloudWatch.13" },
    ],
    detection: Detection::Pattern(
        "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}",
    ),
    rationale: "Route tables decide where a subnet's traffic goes. A new default route to an internet gateway can make a \
                private subnet reachable from the internet; a route to an instance or peering connection can divert \
                traffic through a host that inspects or copies it.",
    next_steps: "Check eventSource first (ec2.amazonaws.com; API Gateway and App Mesh have same-named calls); read \
                 requestParameters (routeTableId, destinationCidrBlock, gatewayId / natGatewayId / instanceId / \
                 vpcPeeringConnectionId) and look for 0.0.0.0/0 routes to an internet gateway in private subnets or \
                 routes to unexpected targets; confirm with the network owner or pipeline; restore the route if \
                 unplanned.",
};
