//! CIS 4.14: VPC changes.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// CIS AWS Foundations v1.2 3.14 / v1.4–v5.0 4.14 / v6.0–v7.0 5.14, Security Hub CloudWatch.14:
/// "Ensure a log metric filter and alarm exist for VPC changes".
///
/// Pattern (SH-2023 l.1556, WDX l.625), verbatim:
/// `{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}`
///
/// Versions: unchanged from v1.2 to v7.0 apart from spacing. The four ClassicLink calls are dead since
/// EC2-Classic was retired (2022–2023) but stay in the benchmark text, so they stay here.
///
/// Known false positives and gaps: VPC creation by IaC. Failed attempts match too. Not covered:
/// `ModifyVpcPeeringConnectionOptions`, VPC endpoints and endpoint services (`CreateVpcEndpoint` is a different
/// name and does not match), CIDR associations, sharing subnets through RAM.
///
/// Severity: medium. Peering connections, especially with another account, join networks that were separate;
/// `ModifyVpcAttribute` changes DNS behaviour. Most other hits are planned builds.
pub const RULE: Rule = Rule {
    id: "cis-4.14-vpc-changes",
    title: "VPC changed",
    severity: Severity::Medium,
    profiles: &[Profile::Cis, Profile::Recommended],
    controls: &[
        Control { framework: "CIS v1.2", id: "3.14" },
        Control { framework: "CIS v1.4-v5.0", id: "4.14" },
        Control { framework: "CIS v6.0-v7.0", id: "5.14" },
        Control { framework: "Security Hub", id: "CloudWatch.14" },
    ],
    detection: Detection::Pattern(
        "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}",
    ),
    rationale: "VPCs are the network boundary of everything inside them. A peering connection with an unknown account \
                joins that boundary to someone else's network; deleting or re-creating VPCs and changing their DNS \
                attributes alters what can reach what.",
    next_steps: "For peering, read requestParameters (peerOwnerId, peerVpcId, peerRegion) and check the peer account is \
                 one of yours or a trusted partner, then check routes added for the peering (CIS 4.13); for \
                 ModifyVpcAttribute see which attribute changed; confirm with the network owner or pipeline; reject or \
                 delete an unexpected peering connection.",
};
