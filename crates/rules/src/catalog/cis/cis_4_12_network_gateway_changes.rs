//! CIS 4.12: network gateway changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.12 / v1.4–v5.0 4.12 / v6.0–v7.0 5.12, Security Hub CloudWatch.12:
/// "Ensure a log metric filter and alarm exist for changes to network gateways".
///
/// Pattern (SH-2023 l.1328, WDX l.575), verbatim:
/// `{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}`
///
/// Versions: unchanged from v1.2 to v7.0 apart from spacing.
///
/// Known false positives and gaps: new VPCs built by IaC create and attach internet gateways. Failed attempts
/// match too. Not covered: NAT gateways, egress-only internet gateways (`CreateEgressOnlyInternetGateway`),
/// virtual private gateways and VPN connections, transit gateways and their attachments.
///
/// Severity: medium. Attaching an internet gateway gives a VPC that was private a path to the internet (and
/// customer gateways a path to an outside network); usually planned, occasionally an exfiltration route.
pub const RULE: Rule = Rule {
    id: "cis-4.12-network-gateway-changes",
    title: "Network gateway changed",
    severity: Severity::Medium,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.12" },
        Control { framework: "CIS v1.4-v5.0", id: "4.12" },
        Control { framework: "CIS v6.0-v7.0", id: "5.12" },
        Control { framework: "Security Hub", id: "CloudWatch.12" },
    ],
    detection: Detection::Pattern(
        "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}",
    ),
    rationale: "Gateways are the only way traffic leaves or enters a VPC. An internet gateway attached to a VPC meant to be \
                private, or a customer gateway for an unknown network, creates a path around the controlled egress and \
                ingress points.",
    next_steps: "Check which VPC the gateway was attached to or detached from (requestParameters.vpcId, \
                 internetGatewayId) and whether that VPC is meant to reach the internet; for a customer gateway check \
                 the public IP and BGP ASN; confirm with the network owner or pipeline; detach the gateway if \
                 unplanned and look for route-table changes (CIS 4.13) by the same caller.",
};
