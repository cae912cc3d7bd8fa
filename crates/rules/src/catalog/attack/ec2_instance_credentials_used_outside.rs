//! EC2 instance credentials used from a public address (a CloudTrail-only heuristic for stolen instance
//! credentials).

use super::common::{is_instance_session, made_by_aws_service, str_at};
use crate::{Context, Control, Detection, Hit, Rule, Severity};
use cloudtrail::Node;
use std::net::IpAddr;

/// Fires on any call made with the credentials of an EC2 instance's role (`userIdentity.type = AssumedRole`,
/// ARN `…:assumed-role/<role>/i-<id>`, `userIdentity.sessionContext.ec2RoleDelivery` present: credentials the
/// instance metadata service delivered) whose `sourceIPAddress` is a public IP address, when the call did not
/// come through a VPC endpoint (`vpcEndpointId` absent) and was not made by an AWS service on the caller's
/// behalf (`userIdentity.invokedBy`, `AWSService`). Private (RFC 1918, shared 100.64/10, IPv6 unique-local),
/// loopback and link-local addresses, and the service names CloudTrail writes instead of an address
/// (`ec2.amazonaws.com`, `AWS Internal`) do not fire.
///
/// **False positives, and why the rule runs only under the `all` profile:** CloudTrail does not say which
/// addresses belong to the instance. Every instance that reaches the AWS APIs through its own public address or
/// a NAT gateway (rather than through VPC interface endpoints) logs its public address, so in most accounts this
/// fires on ordinary instance traffic (the shared corpus has one: an ECS instance's SSM agent calling
/// `UpdateInstanceInformation` from its public address; on `make bench`'s busy-account mix it makes 7,178
/// findings per 100,000 records). GuardDuty's `InstanceCredentialExfiltration.OutsideAWS` / `.InsideAWS`
/// findings know the instance's addresses from network data and are the precise detection; this rule is useful
/// where every workload uses VPC endpoints (then a public address is the anomaly), or as a hunt.
///
/// Code, not a pattern: it parses and classifies the IP address and reads the session name out of the ARN.
pub const RULE: Rule = Rule {
    id: "ec2-instance-credentials-used-outside",
    title: "EC2 instance credentials used from a public address",
    severity: Severity::Medium,
    profiles: &[],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1552.005" },
        Control { framework: "MITRE ATT&CK", id: "T1078.004" },
        Control { framework: "Stratus Red Team", id: "aws.credential-access.ec2-steal-instance-credentials" },
    ],
    detection: Detection::Code(detect),
    rationale: "An attacker who reads an instance's role credentials from the metadata service (SSRF, a shell on \
                the instance) uses them from their own machine. The credentials keep every permission of the role \
                until they expire, and the calls look like the instance's own.",
    next_steps: "Find the instance (the session name is its id) and its public and NAT addresses; if the source \
                 address is not one of them, revoke the role's active sessions (an inline deny on \
                 aws:TokenIssueTime), require IMDSv2 on the instance, and review what the credentials were used \
                 for; check GuardDuty for InstanceCredentialExfiltration findings.",
};

fn detect(record: Node<'_>, _: &Context) -> Option<Hit> {
    if !is_instance_session(record)
        || record.get("vpcEndpointId").is_some()
        || made_by_aws_service(record)
    {
        return None;
    }
    let ip: IpAddr = str_at(record, &["sourceIPAddress"])?.parse().ok()?;
    is_public(ip).then_some(Hit::PLAIN)
}

/// A globally routable address: not private, shared (100.64.0.0/10), loopback, link-local, unspecified or,
/// for IPv6, unique-local.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses() {
        for ip in ["18.236.253.47", "2600:1f18::1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["10.0.0.1", "172.16.4.4", "192.168.1.1", "100.64.0.1", "127.0.0.1", "169.254.169.254", "fd00::1", "fe80::1", "::1"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
