//! EC2 instance credentials used from a public address (a CloudTrail-only heuristic for stolen instance
//! credentials).

use super::common::{is_instance_session, made_by_aws_service, str_at};
use crate::{rule::Context, rule::Control, rule::Detection, rule::FieldPrefilter, rule::FieldValue, rule::Prefilter, rule::Hit, rule::Rule, severity::Severity};
use cloudtrail::Node;
use std::net::IpAddr;

/// Counts every call made with the credentials of an EC2 instance's role (`userIdentity.type = AssumedRole`,
/// ARN `…:assumed-role/<role>/i-<id>`, `userIdentity.sessionContext.ec2RoleDelivery` present: credentials the
/// instance metadata service delivered) whose `sourceIPAddress` is a public IP address, when the call did not
/// come through a VPC endpoint (`vpcEndpointId` absent) and was not made by an AWS service on the caller's
/// behalf (`userIdentity.invokedBy`, `AWSService`). Private (RFC 1918, shared 100.64/10, IPv6 unique-local),
/// loopback and link-local addresses, and the service names CloudTrail writes instead of an address
/// (`ec2.amazonaws.com`, `AWS Internal`) do not count.
///
/// It fires on the first such call of each pair of instance credentials (`userIdentity.accessKeyId`) and
/// public address within an hour, and absorbs the pair's later calls in that hour: one alert says "these
/// credentials were used from this address", and a thousand more calls from the same place add nothing to it.
/// A new address (the thief's, after the instance's own) or new credentials (they rotate every few hours)
/// alert again.
///
/// **False positives, and why the rule runs only under the `all` profile:** CloudTrail does not say which
/// addresses belong to the instance. Every instance that reaches the AWS APIs through its own public address or
/// a NAT gateway (rather than through VPC interface endpoints) logs its public address, so in most accounts this
/// fires for ordinary instances, once per credentials and hour (the shared corpus has one: an ECS instance's
/// SSM agent calling `UpdateInstanceInformation` from its public address; on `make bench`'s busy-account mix,
/// 7,178 such calls per 100,000 records come from 11 pairs, so it fires 11 times). GuardDuty's
/// `InstanceCredentialExfiltration.OutsideAWS` / `.InsideAWS` findings know the instance's addresses from
/// network data and are the precise detection; this rule is useful where every workload uses VPC endpoints
/// (then a public address is the anomaly), or as a hunt.
///
/// Threshold: at least 1 matching events within 60 minutes per userIdentity.accessKeyId + sourceIPAddress.
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
    detection: Detection::CodeThreshold {
        prefilter: Prefilter::Fields(prefilter),
        detect,
        group_by: &["userIdentity.accessKeyId", "sourceIPAddress"],
        window_minutes: 60,
        count: 1,
    },
    rationale: "An attacker who reads an instance's role credentials from the metadata service (SSRF, a shell on \
                the instance) uses them from their own machine. The credentials keep every permission of the role \
                until they expire, and the calls look like the instance's own.",
    next_steps: "Find the instance (the session name is its id) and its public and NAT addresses; if the source \
                 address is not one of them, revoke the role's active sessions (an inline deny on \
                 aws:TokenIssueTime), require IMDSv2 on the instance, and review what the credentials were used \
                 for; check GuardDuty for InstanceCredentialExfiltration findings.",
};

/// What it can match: a call with an EC2 instance profile's credentials (an AssumedRole session with a
/// non-empty `ec2RoleDelivery`), not invoked by a service, not through a VPC endpoint, with a source address.
fn prefilter(_: &Context) -> FieldPrefilter {
    FieldPrefilter::fields(
        vec![
            ("userIdentity.type", FieldValue::one_of(["AssumedRole"])),
            (
                "userIdentity.sessionContext.ec2RoleDelivery",
                FieldValue::anything_but([""]),
            ),
            ("userIdentity.invokedBy", FieldValue::exists(false)),
            ("vpcEndpointId", FieldValue::exists(false)),
            ("sourceIPAddress", FieldValue::exists(true)),
        ],
        false,
    )
    .broad(
        "every call made with an EC2 instance profile's credentials (the public source address is decided in \
         code): not limited to some event names",
    )
}

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

    /// The Stratus detonation's two calls with the stolen credentials, then 50 more from the same address and 3
    /// from another, over two hours: one alert per credentials and address within an hour.
    #[test]
    fn once_per_credentials_and_address_per_hour() {
        use crate::{scan_log, engine::Engine};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ec2-instance-credentials-used-outside/match/");
        let stolen: serde_json::Value =
            serde_json::from_slice(&std::fs::read(format!("{dir}stratus-get-caller-identity.json")).unwrap()).unwrap();
        let at = |minute: u32, ip: &str| {
            let mut r = stolen.clone();
            r["eventTime"] = format!("2024-08-02T{:02}:{:02}:00Z", 9 + minute / 60, minute % 60).into();
            r["sourceIPAddress"] = ip.into();
            r
        };
        let mut records: Vec<serde_json::Value> = (0..50).map(|m| at(m, "18.236.253.47")).collect();
        records.extend([at(20, "198.51.100.7"), at(21, "198.51.100.7"), at(30, "10.0.0.5")]);
        // An hour after the first alert's window opened: the same pair alerts again.
        records.push(at(61, "18.236.253.47"));
        let file = serde_json::json!({ "Records": records }).to_string();
        let engine = Engine::with_ids(&[RULE.id]).unwrap();
        let mut reader = cloudtrail::LogReader::new(file.as_bytes(), Default::default()).unwrap();
        let mut found = Vec::new();
        scan_log(&mut reader, &engine, |f| {
            found.push(f);
            Ok::<_, std::convert::Infallible>(())
        })
        .unwrap();
        let seen: Vec<(String, String)> = found
            .iter()
            .map(|f| (f.event_time.clone().unwrap(), f.source_ip.clone().unwrap()))
            .collect();
        assert_eq!(
            seen,
            [
                ("2024-08-02T09:00:00Z".to_owned(), "18.236.253.47".to_owned()),
                ("2024-08-02T09:20:00Z".to_owned(), "198.51.100.7".to_owned()),
                ("2024-08-02T10:01:00Z".to_owned(), "18.236.253.47".to_owned()),
            ]
        );
        let details = found[0].threshold.as_ref().unwrap();
        assert_eq!(details.key, ["ASIAP5CT9NN8EYVU1FXV", "18.236.253.47"]);
        assert_eq!(
            engine.rules()[0].threshold().unwrap().describe(),
            "at least 1 matching events within 60 minutes per userIdentity.accessKeyId + sourceIPAddress"
        );
        let src = include_str!("ec2_instance_credentials_used_outside.rs");
        assert!(src.contains(&format!("/// Threshold: {}.", engine.rules()[0].threshold().unwrap().describe())));
    }
}
