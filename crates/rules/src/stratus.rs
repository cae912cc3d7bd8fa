//! Stratus Red Team's AWS attack techniques: the catalog `trailwarden rules coverage` maps rules onto.
//!
//! The list is data, checked in: the 44 pages under `docs/attack-techniques/AWS/` of DataDog/stratus-red-team
//! (Apache-2.0), each technique's id, name (the page's title), ATT&CK tactics (its "Mappings") and whether its
//! detonation logs are in the shared corpus (`../shared/corpus/stratus-red-team/<id>.json.gz`: 35 are), and
//! whether a threshold rule is its detection. A rule
//! covers a technique when its `controls` list `Stratus Red Team <id>`. `reason` says why a technique is knowingly
//! not covered, covered only heuristically, or covered only in part; a technique without a rule and without a
//! reason is a gap a test reports.

use serde::Serialize;

/// One Stratus Red Team technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Technique {
    /// The Stratus technique id, e.g. `aws.persistence.lambda-overwrite-code`.
    pub id: &'static str,
    /// The technique's title in the Stratus documentation.
    pub name: &'static str,
    /// Its MITRE ATT&CK tactics, as Stratus maps them.
    pub tactics: &'static [&'static str],
    /// Whether Stratus publishes detonation logs for it (the shared corpus holds them).
    pub detonation_logs: bool,
    /// Whether its detection is a threshold rule (normal once, alarming in bulk) rather than a single-event
    /// rule: then `reason` says why, and the technique is covered once a threshold rule cites it.
    pub threshold: bool,
    /// Why it is not covered, covered heuristically or covered in part (or, for a threshold technique, why a
    /// threshold); `None` when its rules cover it.
    pub reason: Option<&'static str>,
}

/// The framework name rules use in `controls` to cite a Stratus technique.
pub const FRAMEWORK: &str = "Stratus Red Team";

/// Every AWS technique of the catalog, in the catalog's (alphabetical) order.
pub static TECHNIQUES: &[Technique] = &[
    Technique {
        id: "aws.credential-access.ec2-get-password-data",
        name: "Retrieve EC2 Password Data",
        tactics: &["Credential Access"],
        detonation_logs: true,
        threshold: false,
        reason: Some(
            "Covered as detonated: the technique is a burst of GetPasswordData calls that are denied, which `cis-4.1-unauthorized-api-calls` reports. Successful retrieval in bulk is a threshold rule's job; a single successful call is routine for Windows administrators and is not alerted.",
        ),
    },
    Technique {
        id: "aws.credential-access.ec2-steal-instance-credentials",
        name: "Steal EC2 Instance Credentials",
        tactics: &["Credential Access"],
        detonation_logs: true,
        threshold: false,
        reason: Some(
            "Heuristic only, under the `all` profile: CloudTrail does not say which addresses belong to an instance, so `ec2-instance-credentials-used-outside` (instance-role credentials used from a public address without a VPC endpoint, once per credentials and address within an hour) also fires for every instance that reaches AWS through a NAT gateway or its own public address (in the shared corpus, an SSM agent's routine call from its instance's public address fires it). GuardDuty's InstanceCredentialExfiltration findings, which know the instance's addresses, are the precise detection.",
        ),
    },
    Technique {
        id: "aws.credential-access.secretsmanager-batch-retrieve-secrets",
        name: "Retrieve a High Number of Secrets Manager secrets (Batch)",
        tactics: &["Credential Access"],
        detonation_logs: true,
        threshold: true,
        reason: Some(
            "A threshold rule (secrets retrieved in bulk by one principal within minutes): an application reading its own secrets is routine, so there is no single-event rule.",
        ),
    },
    Technique {
        id: "aws.credential-access.secretsmanager-retrieve-secrets",
        name: "Retrieve a High Number of Secrets Manager secrets",
        tactics: &["Credential Access"],
        detonation_logs: true,
        threshold: true,
        reason: Some(
            "A threshold rule (many distinct secrets read by one principal within minutes): GetSecretValue by an application role is routine, so there is no single-event rule.",
        ),
    },
    Technique {
        id: "aws.credential-access.ssm-retrieve-securestring-parameters",
        name: "Retrieve And Decrypt SSM Parameters",
        tactics: &["Credential Access"],
        detonation_logs: true,
        threshold: true,
        reason: Some(
            "A threshold rule (many distinct SecureString parameters decrypted by one principal within minutes): reading a few parameters is routine, so there is no single-event rule.",
        ),
    },
    Technique {
        id: "aws.defense-evasion.cloudtrail-delete",
        name: "Delete CloudTrail Trail",
        tactics: &["Defense Evasion"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.defense-evasion.cloudtrail-event-selectors",
        name: "Disable CloudTrail Logging Through Event Selectors",
        tactics: &["Defense Evasion"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.defense-evasion.cloudtrail-lifecycle-rule",
        name: "CloudTrail Logs Impairment Through S3 Lifecycle Rule",
        tactics: &["Defense Evasion"],
        detonation_logs: false,
        threshold: false,
        reason: Some(
            "Heuristic: which bucket holds a trail's logs is not in the record, so `s3-lifecycle-short-expiration` fires for a short expiration (7 days or less) on any bucket.",
        ),
    },
    Technique {
        id: "aws.defense-evasion.cloudtrail-stop",
        name: "Stop CloudTrail Trail",
        tactics: &["Defense Evasion"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.defense-evasion.dns-delete-logs",
        name: "Delete DNS query logs",
        tactics: &["Defense Evasion"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.defense-evasion.organizations-leave",
        name: "Attempt to Leave the AWS Organization",
        tactics: &["Defense Evasion"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.defense-evasion.vpc-remove-flow-logs",
        name: "Remove VPC Flow Logs",
        tactics: &["Defense Evasion"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.discovery.ec2-download-user-data",
        name: "Download EC2 Instance User Data",
        tactics: &["Discovery"],
        detonation_logs: true,
        threshold: false,
        reason: Some(
            "Covered as detonated: the technique is a burst of DescribeInstanceAttribute userData calls that are denied, which `cis-4.1-unauthorized-api-calls` reports. Successful reads in bulk are a threshold rule's job (the console reads user data too).",
        ),
    },
    Technique {
        id: "aws.discovery.ec2-enumerate-from-instance",
        name: "Execute Discovery Commands on an EC2 Instance",
        tactics: &["Discovery"],
        detonation_logs: false,
        threshold: false,
        reason: Some(
            "Heuristic: `instance-role-discovery` fires on IAM identity enumeration (ListUsers, GetAccountSummary, GetAccountAuthorizationDetails) made with an instance's role; the detonation's other calls (ListRoles, GuardDuty ListDetectors, DescribeTrails, ListBuckets, DescribeSnapshots, GetCallerIdentity) are what monitoring agents on instances call all day, and are not alerted.",
        ),
    },
    Technique {
        id: "aws.discovery.ses-enumerate",
        name: "Enumerate SES",
        tactics: &["Discovery"],
        detonation_logs: false,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.execution.ec2-launch-unusual-instances",
        name: "Launch Unusual EC2 instances",
        tactics: &["Execution"],
        detonation_logs: true,
        threshold: false,
        reason: Some(
            "Covered as detonated: the attempts are denied, which `cis-4.1-unauthorized-api-calls` reports. A successful launch of an unusual instance type is not alerted: what is unusual depends on the account.",
        ),
    },
    Technique {
        id: "aws.execution.ec2-user-data",
        name: "Execute Commands on EC2 Instance via User Data",
        tactics: &["Execution", "Privilege Escalation"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.execution.sagemaker-update-lifecycle-config",
        name: "Execute Commands on SageMaker Notebook Instance via Lifecycle Configuration",
        tactics: &["Execution", "Privilege Escalation"],
        detonation_logs: false,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.execution.ssm-send-command",
        name: "Usage of ssm:SendCommand on multiple instances",
        tactics: &["Execution"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.execution.ssm-start-session",
        name: "Usage of ssm:StartSession on multiple instances",
        tactics: &["Execution"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.exfiltration.ec2-security-group-open-port-22-ingress",
        name: "Open Ingress Port 22 on a Security Group",
        tactics: &["Exfiltration"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.exfiltration.ec2-share-ami",
        name: "Exfiltrate an AMI by Sharing It",
        tactics: &["Exfiltration"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.exfiltration.ec2-share-ebs-snapshot",
        name: "Exfiltrate EBS Snapshot by Sharing It",
        tactics: &["Exfiltration"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.exfiltration.rds-share-snapshot",
        name: "Exfiltrate RDS Snapshot by Sharing",
        tactics: &["Exfiltration"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.exfiltration.s3-backdoor-bucket-policy",
        name: "Backdoor an S3 Bucket via its Bucket Policy",
        tactics: &["Exfiltration"],
        detonation_logs: false,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.impact.bedrock-invoke-model",
        name: "Invoke Bedrock Model",
        tactics: &["Impact"],
        detonation_logs: true,
        threshold: true,
        reason: Some(
            "A threshold rule (an InvokeModel surge by one principal): invoking a model is what Bedrock is for, so there is no single-event rule.",
        ),
    },
    Technique {
        id: "aws.impact.ec2-deregister-ami",
        name: "Deregister an Amazon EC2 AMI",
        tactics: &["Impact"],
        detonation_logs: false,
        threshold: false,
        reason: Some(
            "Only under the `all` profile: image pipelines deregister old images daily, so `ami-deregistered` is off in the default profile; enable it where images are long-lived.",
        ),
    },
    Technique {
        id: "aws.impact.s3-ransomware-batch-deletion",
        name: "S3 Ransomware through batch file deletion",
        tactics: &["Impact"],
        detonation_logs: false,
        threshold: true,
        reason: Some(
            "A threshold rule (`s3-batch-deletion-burst`: DeleteObjects calls by one principal on one bucket); needs S3 data events in the trail.",
        ),
    },
    Technique {
        id: "aws.impact.s3-ransomware-client-side-encryption",
        name: "S3 Ransomware through client-side encryption",
        tactics: &["Impact"],
        detonation_logs: false,
        threshold: false,
        reason: Some(
            "Needs S3 data events in the trail; `s3-object-encrypted-with-customer-key` fires on every object written with SSE-C.",
        ),
    },
    Technique {
        id: "aws.impact.s3-ransomware-individual-deletion",
        name: "S3 Ransomware through individual file deletion",
        tactics: &["Impact"],
        detonation_logs: false,
        threshold: true,
        reason: Some(
            "A threshold rule (a DeleteObject burst by one principal); needs S3 data events in the trail.",
        ),
    },
    Technique {
        id: "aws.initial-access.console-login-without-mfa",
        name: "Console Login without MFA",
        tactics: &["Initial Access"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.lateral-movement.ec2-instance-connect",
        name: "Usage of EC2 Instance Connect on multiple instances",
        tactics: &["Lateral Movement"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
        name: "Usage of EC2 Serial Console to push SSH public key",
        tactics: &["Lateral Movement"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.persistence.iam-backdoor-role",
        name: "Backdoor an IAM Role",
        tactics: &["Persistence"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.persistence.iam-backdoor-user",
        name: "Create an Access Key on an IAM User",
        tactics: &["Persistence", "Privilege Escalation"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.persistence.iam-create-admin-user",
        name: "Create an administrative IAM User",
        tactics: &["Persistence", "Privilege Escalation"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.persistence.iam-create-backdoor-role",
        name: "Create a backdoored IAM Role",
        tactics: &["Persistence"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.persistence.iam-create-user-login-profile",
        name: "Create a Login Profile on an IAM User",
        tactics: &["Persistence", "Privilege Escalation"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.persistence.lambda-backdoor-function",
        name: "Backdoor Lambda Function Through Resource-Based Policy",
        tactics: &["Persistence"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.persistence.lambda-layer-extension",
        name: "Add a Malicious Lambda Extension",
        tactics: &["Persistence", "Privilege Escalation"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.persistence.lambda-overwrite-code",
        name: "Overwrite Lambda Function Code",
        tactics: &["Persistence"],
        detonation_logs: true,
        threshold: false,
        reason: Some(
            "Partly: `lambda-code-updated-by-iam-user` fires when an IAM user or the root user replaces the code; replacements by role sessions are deployments in most accounts and are not alerted.",
        ),
    },
    Technique {
        id: "aws.persistence.rolesanywhere-create-trust-anchor",
        name: "Create an IAM Roles Anywhere trust anchor",
        tactics: &["Persistence", "Privilege Escalation"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.persistence.sts-federation-token",
        name: "Generate temporary AWS credentials using GetFederationToken",
        tactics: &["Persistence"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
    Technique {
        id: "aws.privilege-escalation.iam-update-user-login-profile",
        name: "Change IAM user password",
        tactics: &["Privilege Escalation"],
        detonation_logs: true,
        threshold: false,
        reason: None,
    },
];

/// The technique with this id.
pub fn technique(id: &str) -> Option<&'static Technique> {
    TECHNIQUES.iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_has_44_techniques_35_with_logs() {
        assert_eq!(TECHNIQUES.len(), 44);
        assert_eq!(TECHNIQUES.iter().filter(|t| t.detonation_logs).count(), 35);
        let mut ids: Vec<&str> = TECHNIQUES.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 44, "unique ids");
        for t in TECHNIQUES {
            assert!(t.id.starts_with("aws."), "{}", t.id);
            assert!(!t.tactics.is_empty() && !t.name.is_empty(), "{}", t.id);
        }
    }
}
