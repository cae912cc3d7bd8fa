//! A seeded generator of realistic CloudTrail log files.
//!
//! The mix imitates a busy production account: mostly read-only calls from assumed roles (STS, KMS, EC2
//! `Describe*`, S3 bucket-level management events, IAM reads, CloudWatch Logs, SSM, Lambda…), AWS services
//! acting through `AWSService` identities, a few IAM users and federated users, cross-account callers, root
//! rarely, console sign-ins, service events, and the rare changes that CIS monitoring is about (IAM policy,
//! security group, route, NACL, gateway, VPC, trail, Config, KMS key, bucket policy and Organizations
//! changes). About 1% of calls are denied (`AccessDenied`, `AccessDeniedException`,
//! `Client.UnauthorizedOperation`), about 2.5% fail otherwise. Records carry nested `requestParameters` and
//! `responseElements`, `resources`, `tlsDetails` and `additionalEventData` like real ones, and average about
//! 1.4 KB of compact JSON; a 350,000-record file is about 480 MB of JSON and about 50 MB gzipped.
//!
//! Everything is derived from the seed: the same seed and record count give byte-identical files.

use crate::json::Obj;
use crate::rng::Rng;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Bumped whenever the output for a given seed changes (cached files carry it in their name).
pub const GENERATOR_VERSION: u32 = 1;

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const UPPER_ALNUM: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const HEX: &[u8; 16] = b"0123456789abcdef";

fn chars(rng: &mut Rng, alphabet: &[u8], n: usize, out: &mut String) {
    for _ in 0..n {
        out.push(alphabet[rng.below(alphabet.len())] as char);
    }
}

fn rand_str(rng: &mut Rng, alphabet: &[u8], n: usize) -> String {
    let mut s = String::with_capacity(n);
    chars(rng, alphabet, n, &mut s);
    s
}

fn uuid(rng: &mut Rng) -> String {
    let mut s = String::with_capacity(36);
    for (i, n) in [8, 4, 4, 4, 12].into_iter().enumerate() {
        if i > 0 {
            s.push('-');
        }
        chars(rng, HEX, n, &mut s);
    }
    s
}

/// Cheap weighted choice over a fixed table.
struct Weighted {
    cumulative: Vec<u32>,
}

impl Weighted {
    fn new(weights: impl IntoIterator<Item = u32>) -> Weighted {
        let mut total = 0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w;
                total
            })
            .collect();
        Weighted { cumulative }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1);
        let x = rng.below(total as usize) as u32;
        self.cumulative.partition_point(|&c| c <= x)
    }
}

/// One kind of API call in the mix: source, name, weight (per 100,000 records), read-only.
#[derive(Debug, Clone, Copy)]
pub struct EventKind {
    pub source: &'static str,
    pub name: &'static str,
    pub weight: u32,
    pub read_only: bool,
}

const fn ev(source: &'static str, name: &'static str, weight: u32, read_only: bool) -> EventKind {
    EventKind {
        source,
        name,
        weight,
        read_only,
    }
}

const STS: &str = "sts.amazonaws.com";
const KMS: &str = "kms.amazonaws.com";
const EC2: &str = "ec2.amazonaws.com";
const S3: &str = "s3.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const LOGS: &str = "logs.amazonaws.com";
const LAMBDA: &str = "lambda.amazonaws.com";
const DDB: &str = "dynamodb.amazonaws.com";
const SECRETS: &str = "secretsmanager.amazonaws.com";
const SSM: &str = "ssm.amazonaws.com";
const ECR: &str = "ecr.amazonaws.com";
const CW: &str = "monitoring.amazonaws.com";
const ELB: &str = "elasticloadbalancing.amazonaws.com";
const ASG: &str = "autoscaling.amazonaws.com";
const CONFIG: &str = "config.amazonaws.com";
const TRAIL: &str = "cloudtrail.amazonaws.com";
const ORGS: &str = "organizations.amazonaws.com";
const SIGNIN: &str = "signin.amazonaws.com";
const GD: &str = "guardduty.amazonaws.com";
const CFN: &str = "cloudformation.amazonaws.com";

/// The event mix. Weights are per 100,000 records; CIS-relevant changes are deliberately rare but present.
pub static EVENTS: &[EventKind] = &[
    // STS
    ev(STS, "AssumeRole", 4500, true),
    ev(STS, "AssumeRoleWithWebIdentity", 700, true),
    ev(STS, "GetCallerIdentity", 1800, true),
    ev(STS, "GetSessionToken", 100, true),
    // KMS
    ev(KMS, "Decrypt", 10000, true),
    ev(KMS, "GenerateDataKey", 5000, true),
    ev(KMS, "Encrypt", 800, true),
    ev(KMS, "DescribeKey", 700, true),
    ev(KMS, "CreateKey", 5, false),
    ev(KMS, "DisableKey", 4, false),
    ev(KMS, "ScheduleKeyDeletion", 4, false),
    // EC2
    ev(EC2, "DescribeInstances", 6000, true),
    ev(EC2, "DescribeSecurityGroups", 2000, true),
    ev(EC2, "DescribeVpcs", 1000, true),
    ev(EC2, "DescribeSubnets", 1500, true),
    ev(EC2, "DescribeNetworkInterfaces", 2000, true),
    ev(EC2, "DescribeVolumes", 1000, true),
    ev(EC2, "DescribeRegions", 500, true),
    ev(EC2, "DescribeRouteTables", 400, true),
    ev(EC2, "CreateTags", 300, false),
    ev(EC2, "CreateNetworkInterface", 200, false),
    ev(EC2, "RunInstances", 30, false),
    ev(EC2, "TerminateInstances", 20, false),
    ev(EC2, "AuthorizeSecurityGroupIngress", 40, false),
    ev(EC2, "AuthorizeSecurityGroupEgress", 10, false),
    ev(EC2, "RevokeSecurityGroupIngress", 20, false),
    ev(EC2, "CreateSecurityGroup", 20, false),
    ev(EC2, "DeleteSecurityGroup", 15, false),
    ev(EC2, "ModifySecurityGroupRules", 5, false),
    ev(EC2, "CreateNetworkAcl", 2, false),
    ev(EC2, "CreateNetworkAclEntry", 5, false),
    ev(EC2, "DeleteNetworkAclEntry", 3, false),
    ev(EC2, "ReplaceNetworkAclAssociation", 2, false),
    ev(EC2, "CreateRoute", 10, false),
    ev(EC2, "DeleteRoute", 5, false),
    ev(EC2, "CreateRouteTable", 3, false),
    ev(EC2, "ReplaceRoute", 3, false),
    ev(EC2, "AssociateRouteTable", 5, false),
    ev(EC2, "CreateInternetGateway", 2, false),
    ev(EC2, "AttachInternetGateway", 2, false),
    ev(EC2, "CreateCustomerGateway", 1, false),
    ev(EC2, "CreateVpc", 2, false),
    ev(EC2, "ModifyVpcAttribute", 3, false),
    ev(EC2, "CreateVpcPeeringConnection", 1, false),
    ev(EC2, "DeleteVpc", 1, false),
    ev(EC2, "DeleteFlowLogs", 1, false),
    ev(EC2, "DisableEbsEncryptionByDefault", 1, false),
    ev(EC2, "ModifySnapshotAttribute", 2, false),
    // S3 (bucket-level management events)
    ev(S3, "GetBucketAcl", 2000, true),
    ev(S3, "GetBucketLocation", 2500, true),
    ev(S3, "ListBuckets", 1000, true),
    ev(S3, "GetBucketPolicy", 500, true),
    ev(S3, "GetBucketVersioning", 800, true),
    ev(S3, "GetBucketEncryption", 600, true),
    ev(S3, "HeadBucket", 500, true),
    ev(S3, "PutBucketPolicy", 10, false),
    ev(S3, "PutBucketAcl", 10, false),
    ev(S3, "PutBucketCors", 3, false),
    ev(S3, "PutBucketLifecycle", 10, false),
    ev(S3, "PutBucketReplication", 2, false),
    ev(S3, "DeleteBucketPolicy", 3, false),
    ev(S3, "DeleteBucketPublicAccessBlock", 1, false),
    // IAM
    ev(IAM, "GetRole", 1500, true),
    ev(IAM, "ListRoles", 600, true),
    ev(IAM, "GetPolicy", 600, true),
    ev(IAM, "GetPolicyVersion", 500, true),
    ev(IAM, "ListAttachedRolePolicies", 800, true),
    ev(IAM, "GetUser", 400, true),
    ev(IAM, "ListAccessKeys", 300, true),
    ev(IAM, "PutRolePolicy", 30, false),
    ev(IAM, "AttachRolePolicy", 30, false),
    ev(IAM, "DetachRolePolicy", 10, false),
    ev(IAM, "DeleteRolePolicy", 10, false),
    ev(IAM, "CreatePolicy", 10, false),
    ev(IAM, "CreatePolicyVersion", 10, false),
    ev(IAM, "DeletePolicy", 5, false),
    ev(IAM, "PutUserPolicy", 5, false),
    ev(IAM, "AttachUserPolicy", 5, false),
    ev(IAM, "PutGroupPolicy", 3, false),
    ev(IAM, "CreateUser", 5, false),
    ev(IAM, "CreateAccessKey", 5, false),
    ev(IAM, "CreateLoginProfile", 2, false),
    // CloudWatch Logs, Lambda, DynamoDB, Secrets Manager, SSM, ECR, CloudWatch, ELB, Auto Scaling
    ev(LOGS, "CreateLogStream", 3000, false),
    ev(LOGS, "DescribeLogGroups", 1000, true),
    ev(LAMBDA, "GetFunction", 800, true),
    ev(LAMBDA, "ListFunctions20150331", 600, true),
    ev(DDB, "DescribeTable", 1500, true),
    ev(SECRETS, "GetSecretValue", 1500, true),
    ev(SSM, "GetParameter", 1500, true),
    ev(SSM, "GetParameters", 1000, true),
    ev(SSM, "UpdateInstanceInformation", 2000, false),
    ev(ECR, "GetAuthorizationToken", 1000, true),
    ev(CW, "GetMetricData", 2000, true),
    ev(CW, "PutMetricAlarm", 50, false),
    ev(ELB, "DescribeTargetHealth", 1000, true),
    ev(ASG, "DescribeAutoScalingGroups", 800, true),
    ev(CFN, "DescribeStacks", 600, true),
    // Config
    ev(CONFIG, "DescribeConfigurationRecorders", 200, true),
    ev(CONFIG, "PutEvaluations", 1000, false),
    ev(CONFIG, "PutConfigurationRecorder", 2, false),
    ev(CONFIG, "PutDeliveryChannel", 2, false),
    ev(CONFIG, "StopConfigurationRecorder", 1, false),
    ev(CONFIG, "DeleteDeliveryChannel", 1, false),
    // CloudTrail
    ev(TRAIL, "LookupEvents", 200, true),
    ev(TRAIL, "DescribeTrails", 300, true),
    ev(TRAIL, "GetTrailStatus", 300, true),
    ev(TRAIL, "UpdateTrail", 3, false),
    ev(TRAIL, "StartLogging", 2, false),
    ev(TRAIL, "StopLogging", 1, false),
    ev(TRAIL, "CreateTrail", 1, false),
    ev(TRAIL, "DeleteTrail", 1, false),
    ev(TRAIL, "PutEventSelectors", 1, false),
    // Organizations
    ev(ORGS, "DescribeOrganization", 300, true),
    ev(ORGS, "ListAccounts", 200, true),
    ev(ORGS, "CreateAccount", 1, false),
    ev(ORGS, "AttachPolicy", 2, false),
    ev(ORGS, "UpdatePolicy", 1, false),
    ev(ORGS, "MoveAccount", 1, false),
    // GuardDuty
    ev(GD, "ListDetectors", 300, true),
    ev(GD, "DeleteDetector", 1, false),
    // Sign-in (ConsoleLogin is built specially)
    ev(SIGNIN, "ConsoleLogin", 150, false),
    // Service events (eventType AwsServiceEvent)
    ev(KMS, "RotateKey", 40, false),
    ev(SIGNIN, "CredentialVerification", 5, false),
];

const REGIONS: &[(&str, u32)] = &[
    ("us-east-1", 70),
    ("eu-west-1", 15),
    ("us-west-2", 10),
    ("ap-southeast-2", 5),
];

const USER_NAMES: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "grace",
    "heidi",
    "ci-legacy",
    "backup-sync",
    "datadog",
    "jenkins",
];

const ROLE_NAMES: &[&str] = &[
    "OrganizationAccountAccessRole",
    "AWSReservedSSO_AdministratorAccess_8f1c7a2b94d3e6f0",
    "AWSReservedSSO_ReadOnlyAccess_2b7e4a91c0d5f318",
    "AWSReservedSSO_PowerUserAccess_5d0a9e3c71b24f86",
    "orders-api-lambda-exec",
    "payments-worker-lambda-exec",
    "eks-node-group-prod",
    "eks-cluster-autoscaler",
    "github-actions-deploy",
    "terraform-ci",
    "DatadogIntegrationRole",
    "ec2-app-instance-profile",
    "ecs-task-execution",
    "config-recorder",
    "aws-backup-default",
    "data-pipeline-glue",
    "security-audit-readonly",
    "karpenter-controller",
    "ssm-managed-instance",
    "rds-monitoring",
];

const SERVICE_CALLERS: &[&str] = &[
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "cloudformation.amazonaws.com",
    "config.amazonaws.com",
    "cloudtrail.amazonaws.com",
    "autoscaling.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "backup.amazonaws.com",
    "ssm.amazonaws.com",
];

const USER_AGENTS: &[&str] = &[
    "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.173.0",
    "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.10.219-208.866.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.4 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.144",
    "aws-cli/2.17.13 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#ec2.describe-instances",
    "aws-internal/3 aws-sdk-java/1.12.720 Linux/5.10.217-183.860.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard",
    "Terraform/1.9.2 (+https://www.terraform.io) terraform-provider-aws/5.58.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.1 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/iam#1.34.1",
    "kubernetes/v1.30.2-eks-1552ad0 aws-sdk-go/1.54.6 (go1.22.5; linux; amd64)",
    "aws-sdk-java/2.26.20 Linux/6.1.97-104.177.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/17.0.11+9-LTS Java/17.0.11 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
    "Datadog/AWSIntegration",
    "aws-sdk-nodejs/2.1659.0 linux/v20.15.1 exec-env/AWS_Lambda_nodejs20.x promise",
    "AWS Internal",
    "console.amazonaws.com",
];

const BROWSER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";

struct User {
    name: &'static str,
    principal_id: String,
    access_key: String,
}

struct Role {
    name: &'static str,
    id: String,
}

struct Session {
    role: usize,
    name: String,
    access_key: String,
    created: String,
    mfa: bool,
    ip: usize,
    agent: usize,
}

/// The account the logs come from: its principals, resources and callers, all derived from the seed.
struct World {
    account: String,
    external_accounts: Vec<String>,
    org_id: String,
    users: Vec<User>,
    roles: Vec<Role>,
    sessions: Vec<Session>,
    buckets: Vec<String>,
    kms_keys: Vec<String>,
    instances: Vec<String>,
    security_groups: Vec<String>,
    vpcs: Vec<String>,
    subnets: Vec<String>,
    functions: Vec<String>,
    tables: Vec<String>,
    ips: Vec<String>,
    date: String,
}

fn digits(rng: &mut Rng, n: usize) -> String {
    rand_str(rng, b"0123456789", n)
}

impl World {
    fn new(rng: &mut Rng) -> World {
        let account = format!("{}{}", 1 + rng.below(9), digits(rng, 11));
        let external_accounts = (0..3)
            .map(|_| format!("{}{}", 1 + rng.below(9), digits(rng, 11)))
            .collect();
        let users = USER_NAMES
            .iter()
            .map(|&name| User {
                name,
                principal_id: format!("AIDA{}", rand_str(rng, UPPER_ALNUM, 17)),
                access_key: format!("AKIA{}", rand_str(rng, UPPER_ALNUM, 16)),
            })
            .collect();
        let roles: Vec<Role> = ROLE_NAMES
            .iter()
            .map(|&name| Role {
                name,
                id: format!("AROA{}", rand_str(rng, UPPER_ALNUM, 17)),
            })
            .collect();
        let ips: Vec<String> = (0..64)
            .map(|i| {
                if i % 4 == 0 {
                    format!(
                        "10.{}.{}.{}",
                        rng.below(256),
                        rng.below(256),
                        1 + rng.below(254)
                    )
                } else {
                    format!(
                        "{}.{}.{}.{}",
                        [3, 18, 34, 35, 44, 52, 54, 198, 203][rng.below(9)],
                        rng.below(256),
                        rng.below(256),
                        1 + rng.below(254)
                    )
                }
            })
            .collect();
        let date = format!("2026-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
        let sessions = (0..80)
            .map(|i| {
                let role = rng.below(roles.len());
                let name = match i % 5 {
                    0 => format!("i-0{}", rand_str(rng, HEX, 16)),
                    1 => format!("botocore-session-17{}", digits(rng, 8)),
                    2 => format!("{}@example.com", USER_NAMES[rng.below(8)]),
                    3 => format!("GitHubActions-{}", digits(rng, 10)),
                    _ => format!("{}", rng.range(1_000_000_000_000, 9_999_999_999_999)),
                };
                Session {
                    role,
                    name,
                    access_key: format!("ASIA{}", rand_str(rng, UPPER_ALNUM, 16)),
                    created: format!(
                        "{date}T{:02}:{:02}:{:02}Z",
                        rng.below(10),
                        rng.below(60),
                        rng.below(60)
                    ),
                    mfa: rng.chance(0.2),
                    ip: rng.below(ips.len()),
                    agent: rng.below(USER_AGENTS.len()),
                }
            })
            .collect();
        let hexid = |rng: &mut Rng, prefix: &str| format!("{prefix}-0{}", rand_str(rng, HEX, 16));
        World {
            external_accounts,
            org_id: format!(
                "o-{}",
                rand_str(rng, b"abcdefghijklmnopqrstuvwxyz0123456789", 10)
            ),
            users,
            roles,
            sessions,
            buckets: (0..24)
                .map(|i| {
                    format!(
                        "{}-{}-{}",
                        [
                            "prod-data",
                            "app-assets",
                            "logs-archive",
                            "terraform-state",
                            "backups",
                            "athena-results"
                        ][i % 6],
                        account,
                        rand_str(rng, HEX, 6)
                    )
                })
                .collect(),
            kms_keys: (0..10).map(|_| uuid(rng)).collect(),
            instances: (0..40).map(|_| hexid(rng, "i")).collect(),
            security_groups: (0..20).map(|_| hexid(rng, "sg")).collect(),
            vpcs: (0..4).map(|_| hexid(rng, "vpc")).collect(),
            subnets: (0..12).map(|_| hexid(rng, "subnet")).collect(),
            functions: [
                "orders-api",
                "payments-worker",
                "thumbnailer",
                "audit-forwarder",
                "nightly-report",
                "webhook-relay",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            tables: [
                "orders",
                "sessions",
                "payments",
                "inventory",
                "audit-events",
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
            ips,
            date,
            account,
        }
    }
}

/// Who made a call.
#[derive(Debug, Clone, Copy)]
enum Who {
    Assumed {
        session: usize,
        via: Option<usize>,
    },
    User(usize),
    Service(usize),
    Federated(usize),
    CrossAccount(usize),
    Root {
        invoked_by: bool,
    },
    /// `eventType: AwsServiceEvent`: only `accountId` and `invokedBy`.
    ServiceEvent,
    /// A root-identity service event (e.g. `CredentialVerification`).
    RootServiceEvent,
}

/// Generates records one at a time.
pub struct Generator {
    rng: Rng,
    w: World,
    events: Weighted,
    regions: Weighted,
    /// Seconds of the day of the first record, and the span the file covers.
    start: u32,
    span: u32,
    total: usize,
    index: usize,
    /// The last few calls: real traffic comes in bursts (a caller repeating one call), which is also what
    /// makes real log files compress about tenfold.
    recent: Vec<Template>,
}

/// What a call repeated in a burst keeps: the event, the caller and the seed of its parameters.
#[derive(Debug, Clone, Copy)]
struct Template {
    event: usize,
    who: Who,
    params: u64,
}

/// Probability that a record repeats one of the [`RECENT`] previous calls (with new ids and outcome).
const BURST: f64 = 0.75;
const RECENT: usize = 6;

impl Generator {
    /// A generator of `total` records for `seed` (`total` spreads the event times over five minutes).
    pub fn new(seed: u64, total: usize) -> Generator {
        let mut rng = Rng::new(seed);
        let mut world_rng = rng.fork(1);
        let w = World::new(&mut world_rng);
        let start = 8 * 3600 + rng.below(8 * 3600) as u32;
        Generator {
            rng,
            w,
            events: Weighted::new(EVENTS.iter().map(|e| e.weight)),
            regions: Weighted::new(REGIONS.iter().map(|r| r.1)),
            start,
            span: 300,
            total: total.max(1),
            index: 0,
            recent: Vec::with_capacity(RECENT),
        }
    }

    fn time(&mut self) -> String {
        let t = self.start
            + (self.index as u64 * self.span as u64 / self.total as u64) as u32
            + self.rng.below(3) as u32;
        format!(
            "{}T{:02}:{:02}:{:02}Z",
            self.w.date,
            t / 3600 % 24,
            t / 60 % 60,
            t % 60
        )
    }

    fn who(&mut self, e: &EventKind) -> Who {
        if e.name == "RotateKey" {
            return Who::ServiceEvent;
        }
        if e.name == "CredentialVerification" {
            return Who::RootServiceEvent;
        }
        let r = self.rng.below(100_000);
        let nsess = self.w.sessions.len();
        match r {
            // ~0.1% root, a fifth of it with `invokedBy` (a service acting as root: not CIS 4.3).
            0..=99 => Who::Root { invoked_by: r < 20 },
            100..=1_999 => Who::CrossAccount(self.rng.below(self.w.external_accounts.len())),
            2_000..=3_999 => Who::Federated(self.rng.below(self.w.users.len())),
            4_000..=17_999 => Who::User(self.rng.below(self.w.users.len())),
            18_000..=33_999 => Who::Service(self.rng.below(SERVICE_CALLERS.len())),
            _ => {
                // A few sessions do most of the calls.
                let a = self.rng.below(nsess);
                let session = a * self.rng.below(nsess) / nsess;
                let via = self
                    .rng
                    .chance(0.05)
                    .then(|| self.rng.below(SERVICE_CALLERS.len()));
                Who::Assumed { session, via }
            }
        }
    }

    /// Appends the next record (compact JSON) to `out`.
    pub fn record(&mut self, out: &mut String) {
        let template = if !self.recent.is_empty() && self.rng.chance(BURST) {
            self.recent[self.rng.below(self.recent.len())]
        } else {
            let event = self.events.sample(&mut self.rng);
            let who = self.who(&EVENTS[event]);
            let t = Template {
                event,
                who,
                params: self.rng.next_u64(),
            };
            if EVENTS[event].name != "ConsoleLogin" {
                if self.recent.len() == RECENT {
                    self.recent.remove(0);
                }
                self.recent.push(t);
            }
            t
        };
        let e = &EVENTS[template.event];
        if e.name == "ConsoleLogin" {
            self.console_login(out);
        } else {
            let mut params = Rng::new(template.params);
            self.api_call(e, template.who, &mut params, out);
        }
        self.index += 1;
    }

    fn region_for(&self, source: &str, p: &mut Rng) -> &'static str {
        if [IAM, ORGS, SIGNIN].contains(&source) {
            "us-east-1"
        } else {
            REGIONS[self.regions.sample(p)].0
        }
    }

    fn user_identity(&mut self, o: &mut Obj<'_>, who: Who) {
        let acct = self.w.account.clone();
        match who {
            Who::Assumed { session, via } => {
                let s = &self.w.sessions[session];
                let role = &self.w.roles[s.role];
                o.obj("userIdentity", |o| {
                    o.str("type", "AssumedRole")
                        .str("principalId", &format!("{}:{}", role.id, s.name))
                        .str(
                            "arn",
                            &format!("arn:aws:sts::{acct}:assumed-role/{}/{}", role.name, s.name),
                        )
                        .str("accountId", &acct)
                        .str("accessKeyId", &s.access_key)
                        .obj("sessionContext", |o| {
                            o.obj("sessionIssuer", |o| {
                                o.str("type", "Role")
                                    .str("principalId", &role.id)
                                    .str("arn", &format!("arn:aws:iam::{acct}:role/{}", role.name))
                                    .str("accountId", &acct)
                                    .str("userName", role.name);
                            })
                            .obj("webIdFederationData", |_| {})
                            .obj("attributes", |o| {
                                o.str("creationDate", &s.created)
                                    .str("mfaAuthenticated", if s.mfa { "true" } else { "false" });
                            });
                            if s.name.starts_with("i-0") {
                                o.str("ec2RoleDelivery", "2.0");
                            }
                        })
                        .opt_str("invokedBy", via.map(|v| SERVICE_CALLERS[v]));
                });
            }
            Who::User(u) => {
                let u = &self.w.users[u];
                o.obj("userIdentity", |o| {
                    o.str("type", "IAMUser")
                        .str("principalId", &u.principal_id)
                        .str("arn", &format!("arn:aws:iam::{acct}:user/{}", u.name))
                        .str("accountId", &acct)
                        .str("accessKeyId", &u.access_key)
                        .str("userName", u.name);
                });
            }
            Who::Federated(u) => {
                let u = &self.w.users[u];
                let fed = format!("{}-federated", u.name);
                o.obj("userIdentity", |o| {
                    o.str("type", "FederatedUser")
                        .str("principalId", &format!("{acct}:{fed}"))
                        .str("arn", &format!("arn:aws:sts::{acct}:federated-user/{fed}"))
                        .str("accountId", &acct)
                        .str("accessKeyId", &format!("ASIA{}", &u.access_key[4..]))
                        .obj("sessionContext", |o| {
                            o.obj("sessionIssuer", |o| {
                                o.str("type", "IAMUser")
                                    .str("principalId", &u.principal_id)
                                    .str("arn", &format!("arn:aws:iam::{acct}:user/{}", u.name))
                                    .str("accountId", &acct)
                                    .str("userName", u.name);
                            })
                            .obj("webIdFederationData", |_| {})
                            .obj("attributes", |o| {
                                o.str("creationDate", &format!("{}T07:12:45Z", self.w.date))
                                    .str("mfaAuthenticated", "false");
                            });
                        });
                });
            }
            Who::CrossAccount(a) => {
                let ext = &self.w.external_accounts[a];
                o.obj("userIdentity", |o| {
                    o.str("type", "AWSAccount")
                        .str("principalId", &format!("AROA{}:audit", &ext[..10]))
                        .str("accountId", ext);
                });
            }
            Who::Service(s) => {
                o.obj("userIdentity", |o| {
                    o.str("type", "AWSService")
                        .str("invokedBy", SERVICE_CALLERS[s]);
                });
            }
            Who::Root { invoked_by } => {
                let key = self.w.sessions[0].access_key.replace("ASIA", "ASIR");
                o.obj("userIdentity", |o| {
                    o.str("type", "Root")
                        .str("principalId", &acct)
                        .str("arn", &format!("arn:aws:iam::{acct}:root"))
                        .str("accountId", &acct)
                        .str("accessKeyId", &key)
                        .obj("sessionContext", |o| {
                            o.obj("sessionIssuer", |_| {})
                                .obj("webIdFederationData", |_| {})
                                .obj("attributes", |o| {
                                    o.str("creationDate", &format!("{}T09:01:12Z", self.w.date))
                                        .str("mfaAuthenticated", "true");
                                });
                        });
                    if invoked_by {
                        o.str("invokedBy", "support.amazonaws.com");
                    }
                });
            }
            Who::ServiceEvent => {
                o.obj("userIdentity", |o| {
                    o.str("accountId", &acct).str("invokedBy", KMS);
                });
            }
            Who::RootServiceEvent => {
                o.obj("userIdentity", |o| {
                    o.str("type", "Root")
                        .str("principalId", &acct)
                        .str("arn", &format!("arn:aws:iam::{acct}:root"))
                        .str("accountId", &acct);
                });
            }
        }
    }

    /// sourceIPAddress and userAgent for a caller.
    fn origin(&self, who: Who, p: &mut Rng) -> (String, String) {
        match who {
            Who::Assumed { session, via } => {
                if let Some(v) = via {
                    return (SERVICE_CALLERS[v].to_owned(), SERVICE_CALLERS[v].to_owned());
                }
                let s = &self.w.sessions[session];
                (self.w.ips[s.ip].clone(), USER_AGENTS[s.agent].to_owned())
            }
            Who::Service(s) => (SERVICE_CALLERS[s].to_owned(), SERVICE_CALLERS[s].to_owned()),
            Who::ServiceEvent => (KMS.to_owned(), KMS.to_owned()),
            Who::Root { invoked_by: true } => (
                "support.amazonaws.com".to_owned(),
                "support.amazonaws.com".to_owned(),
            ),
            _ => (
                p.pick(&self.w.ips).clone(),
                (*p.pick(USER_AGENTS)).to_owned(),
            ),
        }
    }

    fn console_login(&mut self, out: &mut String) {
        // Outcome mix: IAM users with MFA, without, failed; SSO (assumed-role) sign-ins; root.
        let r = self.rng.below(100);
        let (who, success, mfa) = match r {
            0..=54 => (Who::User(self.rng.below(self.w.users.len())), true, true),
            55..=64 => (Who::User(self.rng.below(self.w.users.len())), true, false),
            65..=74 => (Who::User(self.rng.below(self.w.users.len())), false, false),
            75..=94 => (
                Who::Assumed {
                    session: 2 + 5 * self.rng.below(self.w.sessions.len() / 5),
                    via: None,
                },
                true,
                false,
            ),
            95..=97 => (Who::Root { invoked_by: false }, true, true),
            _ => (Who::Root { invoked_by: false }, false, false),
        };
        let time = self.time();
        let ip = self.rng.pick(&self.w.ips).clone();
        let acct = self.w.account.clone();
        let event_id = uuid(&mut self.rng);
        let mut o = Obj::start(out);
        o.str("eventVersion", "1.09");
        self.user_identity(&mut o, who);
        o.str("eventTime", &time)
            .str("eventSource", SIGNIN)
            .str("eventName", "ConsoleLogin")
            .str("awsRegion", "us-east-1")
            .str("sourceIPAddress", &ip)
            .str("userAgent", BROWSER_AGENT);
        if !success {
            o.str("errorMessage", "Failed authentication");
        }
        o.raw("requestParameters", "null")
            .obj("responseElements", |o| {
                o.str("ConsoleLogin", if success { "Success" } else { "Failure" });
            })
            .obj("additionalEventData", |o| {
                o.str(
                    "LoginTo",
                    "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_c1a2b3d4e5f60718",
                )
                .str("MobileVersion", "No");
                if matches!(who, Who::Assumed { .. }) {
                    o.str(
                        "SamlProviderArn",
                        &format!("arn:aws:iam::{acct}:saml-provider/AWSSSO_5f1a2b3c4d5e6f70_DO_NOT_DELETE"),
                    );
                }
                if mfa {
                    o.str("MFAIdentifier", &format!("arn:aws:iam::{acct}:mfa/device"));
                }
                o.str("MFAUsed", if mfa { "Yes" } else { "No" });
            })
            .str("eventID", &event_id)
            .bool("readOnly", false)
            .str("eventType", "AwsConsoleSignIn")
            .bool("managementEvent", true)
            .str("recipientAccountId", &acct)
            .str("eventCategory", "Management")
            .obj("tlsDetails", |o| {
                o.str("tlsVersion", "TLSv1.3")
                    .str("cipherSuite", "TLS_AES_128_GCM_SHA256")
                    .str("clientProvidedHostHeader", "signin.aws.amazon.com");
            });
        o.end();
    }

    /// An error (code, message) for this call, if it fails.
    fn error(&mut self, e: &EventKind, who: Who, arn: &str) -> Option<(&'static str, String)> {
        if matches!(
            who,
            Who::Service(_) | Who::ServiceEvent | Who::RootServiceEvent
        ) {
            return None;
        }
        let r = self.rng.below(10_000);
        let action = format!("{}:{}", e.source.split('.').next().unwrap_or(""), e.name);
        let not_authorized = || {
            format!(
                "User: {arn} is not authorized to perform: {action} because no identity-based policy allows the {action} action"
            )
        };
        match r {
            // ~1% denied.
            0..=99 => Some(match e.source {
                EC2 => (
                    "Client.UnauthorizedOperation",
                    format!(
                        "You are not authorized to perform this operation. User: {arn} is not authorized to perform: {action} with an explicit deny in a service control policy. Encoded authorization failure message: {}",
                        rand_str(&mut self.rng, B64, 180)
                    ),
                ),
                S3 | IAM | STS | TRAIL | ORGS | CONFIG => ("AccessDenied", not_authorized()),
                _ => ("AccessDeniedException", not_authorized()),
            }),
            // ~2.5% other failures.
            100..=349 => Some(match (e.source, r % 5) {
                (EC2, 0 | 1) => ("Client.RequestLimitExceeded", "Request limit exceeded.".to_owned()),
                (EC2, _) => (
                    "Client.InvalidParameterValue",
                    "Value (subnet-0) for parameter subnetId is invalid.".to_owned(),
                ),
                (S3, _) => (
                    "NoSuchBucketPolicy",
                    "The bucket policy does not exist".to_owned(),
                ),
                (IAM, _) => (
                    "NoSuchEntityException",
                    "The role with name orders-api-canary cannot be found.".to_owned(),
                ),
                (_, 0..=2) => ("ThrottlingException", "Rate exceeded".to_owned()),
                _ => (
                    "ResourceNotFoundException",
                    "Requested resource not found".to_owned(),
                ),
            }),
            _ => None,
        }
    }

    fn api_call(&mut self, e: &EventKind, mut who: Who, p: &mut Rng, out: &mut String) {
        let time = self.time();
        let region = self.region_for(e.source, p);
        // Log delivery probing a bucket it may not write to: AccessDenied that CIS 4.1 explicitly excludes.
        let log_delivery = e.source == S3 && e.name == "GetBucketAcl" && p.chance(0.02);
        if log_delivery {
            who = Who::Service(0);
        }
        let (mut ip, mut agent) = self.origin(who, p);
        if log_delivery {
            ip = "delivery.logs.amazonaws.com".to_owned();
            agent = "delivery.logs.amazonaws.com".to_owned();
        }
        let acct = self.w.account.clone();
        let caller_arn = match who {
            Who::Assumed { session, .. } => {
                let s = &self.w.sessions[session];
                format!(
                    "arn:aws:sts::{acct}:assumed-role/{}/{}",
                    self.w.roles[s.role].name, s.name
                )
            }
            Who::User(u) => format!("arn:aws:iam::{acct}:user/{}", self.w.users[u].name),
            _ => format!("arn:aws:iam::{acct}:root"),
        };
        let mut error = self.error(e, who, &caller_arn);
        if log_delivery {
            error = Some(("AccessDenied", "Access Denied".to_owned()));
        }
        let service_event = matches!(who, Who::ServiceEvent | Who::RootServiceEvent);
        let request_id = if e.source == S3 {
            rand_str(&mut self.rng, UPPER_ALNUM, 16)
        } else {
            uuid(&mut self.rng)
        };
        let event_id = uuid(&mut self.rng);

        let mut o = Obj::start(out);
        o.str("eventVersion", if e.source == S3 { "1.10" } else { "1.09" });
        self.user_identity(&mut o, who);
        o.str("eventTime", &time)
            .str("eventSource", e.source)
            .str("eventName", e.name)
            .str("awsRegion", region)
            .str("sourceIPAddress", &ip)
            .str("userAgent", &agent);
        if let Some((code, message)) = &error {
            o.str("errorCode", code).str("errorMessage", message);
        }
        if service_event {
            o.raw("requestParameters", "null")
                .raw("responseElements", "null");
        } else {
            self.request(e, region, p, &mut o);
            if error.is_some() {
                o.raw("responseElements", "null");
            } else {
                self.response(e, region, &request_id, p, &mut o);
            }
        }
        if e.source == S3 {
            self.s3_additional(p, &mut o);
        }
        o.str("requestID", &request_id)
            .str("eventID", &event_id)
            .bool("readOnly", e.read_only);
        self.resources(e, region, p, &mut o);
        o.str(
            "eventType",
            if service_event {
                "AwsServiceEvent"
            } else {
                "AwsApiCall"
            },
        )
        .bool("managementEvent", true)
        .str("recipientAccountId", &acct);
        if matches!(who, Who::CrossAccount(_) | Who::Service(_)) && p.chance(0.5) {
            o.str("sharedEventID", &uuid(&mut self.rng));
        }
        if service_event && e.name == "RotateKey" {
            let key = p.pick(&self.w.kms_keys).clone();
            o.obj("serviceEventDetails", |o| {
                o.str("keyId", &key);
            });
        }
        if p.chance(0.04) && !service_event {
            let vpce = format!("vpce-0{}", rand_str(p, HEX, 16));
            o.str("vpcEndpointId", &vpce)
                .str("vpcEndpointAccountId", &acct);
        }
        o.str("eventCategory", "Management");
        if !service_event && !matches!(who, Who::Service(_)) {
            let tls13 = p.chance(0.8);
            let host = if e.source == S3 {
                format!("s3.{region}.amazonaws.com")
            } else {
                format!(
                    "{}.{region}.amazonaws.com",
                    e.source.split('.').next().unwrap_or("")
                )
            };
            o.obj("tlsDetails", |o| {
                o.str("tlsVersion", if tls13 { "TLSv1.3" } else { "TLSv1.2" })
                    .str(
                        "cipherSuite",
                        if tls13 {
                            "TLS_AES_128_GCM_SHA256"
                        } else {
                            "ECDHE-RSA-AES128-GCM-SHA256"
                        },
                    )
                    .str("clientProvidedHostHeader", &host);
            });
        }
        if matches!(who, Who::Assumed { session, .. } if session % 5 == 2) {
            o.str("sessionCredentialFromConsole", "true");
        }
        o.end();
    }

    fn s3_additional(&mut self, p: &mut Rng, o: &mut Obj<'_>) {
        let id2 = rand_str(&mut self.rng, B64, 76);
        let out_bytes = p.range(0, 2000);
        o.obj("additionalEventData", |o| {
            o.str("SignatureVersion", "SigV4")
                .str("CipherSuite", "TLS_AES_128_GCM_SHA256")
                .num("bytesTransferredIn", 0)
                .str("AuthenticationMethod", "AuthHeader")
                .str("x-amz-id-2", &id2)
                .num("bytesTransferredOut", out_bytes);
        });
    }

    fn resources(&self, e: &EventKind, region: &str, p: &mut Rng, o: &mut Obj<'_>) {
        let acct = self.w.account.clone();
        let (ty, arn) = match e.source {
            S3 if e.name != "ListBuckets" => {
                let b = p.pick(&self.w.buckets);
                ("AWS::S3::Bucket", format!("arn:aws:s3:::{b}"))
            }
            KMS => {
                let k = p.pick(&self.w.kms_keys);
                (
                    "AWS::KMS::Key",
                    format!("arn:aws:kms:{region}:{acct}:key/{k}"),
                )
            }
            STS if e.name.starts_with("AssumeRole") => {
                let r = p.pick(&self.w.roles);
                (
                    "AWS::IAM::Role",
                    format!("arn:aws:iam::{acct}:role/{}", r.name),
                )
            }
            _ => return,
        };
        o.arr("resources", |a| {
            a.obj(|o| {
                o.str("accountId", &acct).str("type", ty).str("ARN", &arn);
            });
        });
    }

    #[allow(clippy::too_many_lines)]
    fn request(&mut self, e: &EventKind, region: &str, p: &mut Rng, o: &mut Obj<'_>) {
        let acct = self.w.account.clone();
        // Choices come from the call's parameter stream `p` (repeated in a burst), unique values from `ids`.
        let rng = p;
        let ids = &mut self.rng;
        let w = &self.w;
        match (e.source, e.name) {
            (STS, "AssumeRole") => {
                let role = rng.pick(&w.roles).name;
                let session = rng.pick(&w.sessions).name.clone();
                let external = rng.chance(0.2);
                let ext_id = rand_str(rng, HEX, 32);
                o.obj("requestParameters", |o| {
                    o.str("roleArn", &format!("arn:aws:iam::{acct}:role/{role}"))
                        .str("roleSessionName", &session)
                        .num("durationSeconds", 3600);
                    if external {
                        o.str("externalId", &ext_id);
                    }
                });
            }
            (STS, "AssumeRoleWithWebIdentity") => {
                let role = rng.pick(&w.roles).name;
                let sess = rand_str(rng, HEX, 20);
                o.obj("requestParameters", |o| {
                    o.str("roleArn", &format!("arn:aws:iam::{acct}:role/{role}"))
                        .str("roleSessionName", &format!("eks-{sess}"));
                });
            }
            (KMS, "Decrypt" | "GenerateDataKey" | "Encrypt") => {
                let f = rng.pick(&w.functions).clone();
                let key = rng.pick(&w.kms_keys).clone();
                let s3 = rng.chance(0.4);
                let b = rng.pick(&w.buckets).clone();
                let obj = rand_str(ids, HEX, 24);
                o.obj("requestParameters", |o| {
                    if e.name != "Decrypt" {
                        o.str("keyId", &format!("arn:aws:kms:{region}:{acct}:key/{key}"));
                    }
                    o.obj("encryptionContext", |o| {
                        if s3 {
                            o.str(
                                "aws:s3:arn",
                                &format!("arn:aws:s3:::{b}/data/{obj}.parquet"),
                            );
                        } else {
                            o.str(
                                "aws:lambda:FunctionArn",
                                &format!("arn:aws:lambda:{region}:{acct}:function:{f}"),
                            );
                        }
                    })
                    .str("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
                    if e.name == "GenerateDataKey" {
                        o.str("keySpec", "AES_256");
                    }
                });
            }
            (KMS, _) => {
                let key = rng.pick(&w.kms_keys).clone();
                o.obj("requestParameters", |o| {
                    o.str("keyId", &key);
                    if e.name == "ScheduleKeyDeletion" {
                        o.num("pendingWindowInDays", 7);
                    }
                });
            }
            (EC2, "DescribeInstances") => {
                let i = rng.pick(&w.instances).clone();
                let by_id = rng.chance(0.5);
                let vpc = rng.pick(&w.vpcs).clone();
                o.obj("requestParameters", |o| {
                    o.obj("instancesSet", |o| {
                        if by_id {
                            o.arr("items", |a| {
                                a.obj(|o| {
                                    o.str("instanceId", &i);
                                });
                            });
                        }
                    })
                    .obj("filterSet", |o| {
                        if !by_id {
                            o.arr("items", |a| {
                                a.obj(|o| {
                                    o.str("name", "vpc-id").obj("valueSet", |o| {
                                        o.arr("items", |a| {
                                            a.obj(|o| {
                                                o.str("value", &vpc);
                                            });
                                        });
                                    });
                                })
                                .obj(|o| {
                                    o.str("name", "instance-state-name").obj("valueSet", |o| {
                                        o.arr("items", |a| {
                                            a.obj(|o| {
                                                o.str("value", "running");
                                            });
                                        });
                                    });
                                });
                            });
                        }
                    });
                });
            }
            (
                EC2,
                "AuthorizeSecurityGroupIngress"
                | "AuthorizeSecurityGroupEgress"
                | "RevokeSecurityGroupIngress",
            ) => {
                let sg = rng.pick(&w.security_groups).clone();
                let port = *rng.pick(&[22u64, 443, 3389, 5432, 8080]);
                let cidr = if rng.chance(0.3) {
                    "0.0.0.0/0".to_owned()
                } else {
                    format!("10.{}.0.0/16", rng.below(256))
                };
                o.obj("requestParameters", |o| {
                    o.str("groupId", &sg).obj("ipPermissions", |o| {
                        o.arr("items", |a| {
                            a.obj(|o| {
                                o.str("ipProtocol", "tcp")
                                    .num("fromPort", port)
                                    .num("toPort", port)
                                    .obj("groups", |_| {})
                                    .obj("ipRanges", |o| {
                                        o.arr("items", |a| {
                                            a.obj(|o| {
                                                o.str("cidrIp", &cidr)
                                                    .str("description", "added by change request");
                                            });
                                        });
                                    })
                                    .obj("ipv6Ranges", |_| {})
                                    .obj("prefixListIds", |_| {});
                            });
                        });
                    });
                });
            }
            (EC2, name) if name.starts_with("Describe") => {
                let vpc = rng.pick(&w.vpcs).clone();
                let filtered = rng.chance(0.6);
                o.obj("requestParameters", |o| {
                    o.num("maxResults", 1000);
                    if filtered {
                        o.obj("filterSet", |o| {
                            o.arr("items", |a| {
                                a.obj(|o| {
                                    o.str("name", "vpc-id").obj("valueSet", |o| {
                                        o.arr("items", |a| {
                                            a.obj(|o| {
                                                o.str("value", &vpc);
                                            });
                                        });
                                    });
                                });
                            });
                        });
                    }
                });
            }
            (EC2, _) => {
                let vpc = rng.pick(&w.vpcs).clone();
                let subnet = rng.pick(&w.subnets).clone();
                let sg = rng.pick(&w.security_groups).clone();
                let i = rng.pick(&w.instances).clone();
                o.obj("requestParameters", |o| {
                    match e.name {
                        "CreateTags" | "TerminateInstances" => {
                            o.obj("resourcesSet", |o| {
                                o.arr("items", |a| {
                                    a.obj(|o| {
                                        o.str("resourceId", &i);
                                    });
                                });
                            });
                            if e.name == "CreateTags" {
                                o.obj("tagSet", |o| {
                                    o.arr("items", |a| {
                                        a.obj(|o| {
                                            o.str("key", "karpenter.sh/nodepool")
                                                .str("value", "default");
                                        })
                                        .obj(|o| {
                                            o.str("key", "Name").str("value", "app-node");
                                        });
                                    });
                                });
                            }
                        }
                        "CreateNetworkInterface" | "RunInstances" => {
                            o.str("subnetId", &subnet)
                                .str("description", "AWS Lambda VPC ENI-orders-api")
                                .obj("groupSet", |o| {
                                    o.arr("items", |a| {
                                        a.obj(|o| {
                                            o.str("groupId", &sg);
                                        });
                                    });
                                })
                                .obj("privateIpAddressesSet", |_| {})
                                .obj("ipv6AddressesSet", |_| {});
                        }
                        _ => {
                            o.str("vpcId", &vpc);
                            if e.name.contains("Route") {
                                o.str("routeTableId", &format!("rtb-0{}", &sg[4..]))
                                    .str("destinationCidrBlock", "0.0.0.0/0")
                                    .str("gatewayId", &format!("igw-0{}", &vpc[5..]));
                            }
                        }
                    };
                });
            }
            (S3, "ListBuckets") => {
                o.obj("requestParameters", |o| {
                    o.str("Host", &format!("s3.{region}.amazonaws.com"));
                });
            }
            (S3, "PutBucketPolicy") => {
                let b = rng.pick(&w.buckets).clone();
                o.obj("requestParameters", |o| {
                    o.obj("bucketPolicy", |o| {
                        o.str("Version", "2012-10-17").arr("Statement", |a| {
                            a.obj(|o| {
                                o.str("Sid", "AllowSSLRequestsOnly")
                                    .str("Effect", "Deny")
                                    .str("Principal", "*")
                                    .str("Action", "s3:*")
                                    .arr("Resource", |a| {
                                        a.str(&format!("arn:aws:s3:::{b}"))
                                            .str(&format!("arn:aws:s3:::{b}/*"));
                                    })
                                    .obj("Condition", |o| {
                                        o.obj("Bool", |o| {
                                            o.str("aws:SecureTransport", "false");
                                        });
                                    });
                            });
                        });
                    })
                    .str("bucketName", &b)
                    .str("Host", &format!("{b}.s3.{region}.amazonaws.com"))
                    .str("policy", "");
                });
            }
            (S3, name) => {
                let b = rng.pick(&w.buckets).clone();
                let sub = name
                    .trim_start_matches("Get")
                    .trim_start_matches("Put")
                    .trim_start_matches("Delete")
                    .trim_start_matches("Head")
                    .trim_start_matches("Bucket")
                    .to_ascii_lowercase();
                o.obj("requestParameters", |o| {
                    o.str("bucketName", &b)
                        .str("Host", &format!("{b}.s3.{region}.amazonaws.com"));
                    if !sub.is_empty() {
                        o.str(&sub, "");
                    }
                });
            }
            (
                IAM,
                "PutRolePolicy"
                | "PutUserPolicy"
                | "PutGroupPolicy"
                | "CreatePolicy"
                | "CreatePolicyVersion",
            ) => {
                let role = rng.pick(&w.roles).name;
                let b = rng.pick(&w.buckets).clone();
                let doc = format!(
                    "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Action\": [\"s3:GetObject\", \"s3:PutObject\"],\n      \"Resource\": \"arn:aws:s3:::{b}/*\"\n    }}\n  ]\n}}"
                );
                o.obj("requestParameters", |o| {
                    if e.name.starts_with("Put") {
                        o.str("roleName", role)
                            .str("policyName", "inline-s3-access");
                    } else if e.name == "CreatePolicy" {
                        o.str("policyName", "app-s3-access").str("path", "/");
                    } else {
                        o.str(
                            "policyArn",
                            &format!("arn:aws:iam::{acct}:policy/app-s3-access"),
                        )
                        .bool("setAsDefault", true);
                    }
                    o.str("policyDocument", &doc);
                });
            }
            (IAM, _) => {
                let role = rng.pick(&w.roles).name;
                let user = rng.pick(&w.users).name;
                o.obj("requestParameters", |o| {
                    match e.name {
                        "ListRoles" => {
                            o.num("maxItems", 100);
                        }
                        "GetPolicy" | "GetPolicyVersion" | "DeletePolicy" => {
                            o.str(
                                "policyArn",
                                "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
                            );
                            if e.name == "GetPolicyVersion" {
                                o.str("versionId", "v2");
                            }
                        }
                        "GetUser" | "ListAccessKeys" | "CreateUser" | "CreateAccessKey"
                        | "CreateLoginProfile" | "AttachUserPolicy" => {
                            o.str("userName", user);
                            if e.name == "AttachUserPolicy" {
                                o.str("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess");
                            }
                        }
                        _ => {
                            o.str("roleName", role);
                            if e.name.contains("Policy") && !e.name.starts_with("List") {
                                o.str("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess");
                            }
                        }
                    };
                });
            }
            (LOGS, "CreateLogStream") => {
                let f = rng.pick(&w.functions).clone();
                let h = rand_str(ids, HEX, 32);
                let date = w.date.replace('-', "/");
                o.obj("requestParameters", |o| {
                    o.str("logGroupName", &format!("/aws/lambda/{f}"))
                        .str("logStreamName", &format!("{date}/[$LATEST]{h}"));
                });
            }
            (LAMBDA | DDB | SECRETS, _) if !e.name.starts_with("List") => {
                let name = match e.source {
                    LAMBDA => rng.pick(&w.functions).clone(),
                    DDB => rng.pick(&w.tables).clone(),
                    _ => format!(
                        "arn:aws:secretsmanager:{region}:{acct}:secret:prod/{}/db-{}",
                        rng.pick(&w.functions),
                        rand_str(
                            rng,
                            b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                            6
                        )
                    ),
                };
                let key = match e.source {
                    LAMBDA => "functionName",
                    DDB => "tableName",
                    _ => "secretId",
                };
                o.obj("requestParameters", |o| {
                    o.str(key, &name);
                });
            }
            (SSM, "UpdateInstanceInformation") => {
                let i = rng.pick(&w.instances).clone();
                let ip = format!("10.0.{}.{}", rng.below(256), 1 + rng.below(254));
                o.obj("requestParameters", |o| {
                    o.str("instanceId", &i)
                        .str("agentVersion", "3.3.484.0")
                        .str("agentStatus", "Active")
                        .str("platformType", "Linux")
                        .str("platformName", "Amazon Linux")
                        .str("platformVersion", "2023")
                        .str("iPAddress", &ip)
                        .str(
                            "computerName",
                            &format!("ip-{}.ec2.internal", ip.replace('.', "-")),
                        )
                        .str("agentName", "amazon-ssm-agent")
                        .str("availabilityZone", &format!("{region}a"))
                        .str("availabilityZoneId", "use1-az4")
                        .str("sSMConnectionChannel", "ssmmessages");
                });
            }
            (SSM, _) => {
                let f = rng.pick(&w.functions).clone();
                let many = e.name == "GetParameters";
                o.obj("requestParameters", |o| {
                    if many {
                        o.arr("names", |a| {
                            a.str(&format!("/{f}/prod/db-host"))
                                .str(&format!("/{f}/prod/db-user"));
                        });
                    } else {
                        o.str("name", &format!("/{f}/prod/api-key"));
                    }
                    o.bool("withDecryption", true);
                });
            }
            (CW, "GetMetricData") => {
                let i = rng.pick(&w.instances).clone();
                let date = w.date.clone();
                o.obj("requestParameters", |o| {
                    o.arr("metricDataQueries", |a| {
                        a.obj(|o| {
                            o.str("id", "m1").obj("metricStat", |o| {
                                o.obj("metric", |o| {
                                    o.str("namespace", "AWS/EC2")
                                        .str("metricName", "CPUUtilization")
                                        .arr("dimensions", |a| {
                                            a.obj(|o| {
                                                o.str("name", "InstanceId").str("value", &i);
                                            });
                                        });
                                })
                                .num("period", 300)
                                .str("stat", "Average");
                            });
                        });
                    })
                    .str("startTime", &format!("{date}T09:00:00Z"))
                    .str("endTime", &format!("{date}T10:00:00Z"));
                });
            }
            (CONFIG, "PutEvaluations") => {
                let i = rng.pick(&w.instances).clone();
                let token = rand_str(ids, B64, 160);
                let time = format!("{}T09:58:11.522Z", w.date);
                o.obj("requestParameters", |o| {
                    o.arr("evaluations", |a| {
                        a.obj(|o| {
                            o.str("complianceResourceType", "AWS::EC2::Instance")
                                .str("complianceResourceId", &i)
                                .str("complianceType", "COMPLIANT")
                                .str("orderingTimestamp", &time);
                        });
                    })
                    .str("resultToken", &token)
                    .bool("testMode", false);
                });
            }
            (CONFIG, "PutConfigurationRecorder") => {
                o.obj("requestParameters", |o| {
                    o.obj("configurationRecorder", |o| {
                        o.str("name", "default")
                            .str(
                                "roleARN",
                                &format!("arn:aws:iam::{acct}:role/config-recorder"),
                            )
                            .obj("recordingGroup", |o| {
                                o.bool("allSupported", true)
                                    .bool("includeGlobalResourceTypes", false);
                            });
                    });
                });
            }
            (TRAIL, name) if name != "LookupEvents" && name != "DescribeTrails" => {
                o.obj("requestParameters", |o| {
                    o.str(
                        "name",
                        &format!("arn:aws:cloudtrail:us-east-1:{acct}:trail/org-trail"),
                    );
                    if name == "UpdateTrail" || name == "CreateTrail" {
                        o.str("s3BucketName", &format!("org-trail-logs-{acct}"))
                            .bool("isMultiRegionTrail", true)
                            .bool("enableLogFileValidation", true);
                    }
                });
            }
            (TRAIL, "LookupEvents") => {
                o.obj("requestParameters", |o| {
                    o.arr("lookupAttributes", |a| {
                        a.obj(|o| {
                            o.str("attributeKey", "EventName")
                                .str("attributeValue", "ConsoleLogin");
                        });
                    })
                    .num("maxResults", 50);
                });
            }
            (ORGS, "CreateAccount") => {
                o.obj("requestParameters", |o| {
                    o.str("accountName", "sandbox-42")
                        .str("email", "aws-sandbox-42@example.com");
                });
            }
            (ORGS, "AttachPolicy" | "UpdatePolicy" | "MoveAccount") => {
                let org = w.org_id.clone();
                o.obj("requestParameters", |o| {
                    o.str("policyId", "p-1a2b3c4d")
                        .str("targetId", &format!("ou-{}-abcdefgh", &org[2..6]));
                });
            }
            (ASG, _) => {
                o.obj("requestParameters", |o| {
                    o.arr("autoScalingGroupNames", |a| {
                        a.str("eks-default-nodes-2024").str("eks-spot-nodes-2024");
                    });
                });
            }
            (ELB, _) => {
                o.obj("requestParameters", |o| {
                    o.str(
                        "targetGroupArn",
                        &format!("arn:aws:elasticloadbalancing:{region}:{acct}:targetgroup/orders-api/0123456789abcdef"),
                    );
                });
            }
            (ECR, _) => {
                o.obj("requestParameters", |o| {
                    o.arr("registryIds", |a| {
                        a.str(&acct);
                    });
                });
            }
            (CFN, _) => {
                o.obj("requestParameters", |o| {
                    o.str("stackName", "orders-api-prod");
                });
            }
            (GD, "DeleteDetector") => {
                let d = rand_str(rng, HEX, 32);
                o.obj("requestParameters", |o| {
                    o.str("detectorId", &d);
                });
            }
            _ => {
                o.raw("requestParameters", "null");
            }
        }
    }

    fn response(
        &mut self,
        e: &EventKind,
        region: &str,
        request_id: &str,
        p: &mut Rng,
        o: &mut Obj<'_>,
    ) {
        let acct = self.w.account.clone();
        let rng = p;
        let ids = &mut self.rng;
        let w = &self.w;
        match (e.source, e.name) {
            (STS, "AssumeRole" | "AssumeRoleWithWebIdentity" | "GetSessionToken") => {
                let key = format!("ASIA{}", rand_str(ids, UPPER_ALNUM, 16));
                let token_len = 320 + rng.below(240);
                let token = format!("IQoJb3JpZ2luX2VjE{}", rand_str(ids, B64, token_len));
                let role = rng.pick(&w.roles);
                let sess = rng.pick(&w.sessions).name.clone();
                let exp = format!("{}T11:{:02}:{:02}Z", w.date, rng.below(60), rng.below(60));
                let web = e.name == "AssumeRoleWithWebIdentity";
                o.obj("responseElements", |o| {
                    o.obj("credentials", |o| {
                        o.str("accessKeyId", &key)
                            .str("sessionToken", &token)
                            .str("expiration", &exp);
                    });
                    if e.name != "GetSessionToken" {
                        o.obj("assumedRoleUser", |o| {
                            o.str("assumedRoleId", &format!("{}:{sess}", role.id)).str(
                                "arn",
                                &format!("arn:aws:sts::{acct}:assumed-role/{}/{sess}", role.name),
                            );
                        });
                    }
                    if web {
                        o.str("subjectFromWebIdentityToken", "system:serviceaccount:kube-system:aws-node")
                            .str("audience", "sts.amazonaws.com")
                            .str(
                                "provider",
                                &format!("arn:aws:iam::{acct}:oidc-provider/oidc.eks.{region}.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"),
                            );
                    }
                });
            }
            (STS, "GetCallerIdentity") => {
                o.raw("responseElements", "null");
            }
            (KMS, "ScheduleKeyDeletion") => {
                let key = rng.pick(&w.kms_keys).clone();
                let date = w.date.clone();
                o.obj("responseElements", |o| {
                    o.str("keyId", &format!("arn:aws:kms:{region}:{acct}:key/{key}"))
                        .str("deletionDate", &format!("{date}T23:59:59Z"))
                        .str("keyState", "PendingDeletion")
                        .num("pendingWindowInDays", 7);
                });
            }
            (EC2, "AuthorizeSecurityGroupIngress" | "AuthorizeSecurityGroupEgress") => {
                let sg = rng.pick(&w.security_groups).clone();
                let rule = format!("sgr-0{}", rand_str(ids, HEX, 16));
                o.obj("responseElements", |o| {
                    o.str("requestId", request_id).bool("_return", true).obj(
                        "securityGroupRuleSet",
                        |o| {
                            o.arr("items", |a| {
                                a.obj(|o| {
                                    o.str("groupOwnerId", &acct)
                                        .str("groupId", &sg)
                                        .str("securityGroupRuleId", &rule)
                                        .bool("isEgress", e.name.ends_with("Egress"))
                                        .str("ipProtocol", "tcp")
                                        .num("fromPort", 443)
                                        .num("toPort", 443)
                                        .str("cidrIpv4", "0.0.0.0/0");
                                });
                            });
                        },
                    );
                });
            }
            (EC2, "CreateNetworkInterface") => {
                let eni = format!("eni-0{}", rand_str(ids, HEX, 16));
                let subnet = rng.pick(&w.subnets).clone();
                let vpc = rng.pick(&w.vpcs).clone();
                let ip = format!("10.0.{}.{}", rng.below(256), 1 + rng.below(254));
                let mac = rand_str(ids, HEX, 12);
                o.obj("responseElements", |o| {
                    o.str("requestId", request_id).obj("networkInterface", |o| {
                        o.str("networkInterfaceId", &eni)
                            .str("subnetId", &subnet)
                            .str("vpcId", &vpc)
                            .str("availabilityZone", &format!("{region}a"))
                            .str("description", "AWS Lambda VPC ENI-orders-api")
                            .str("ownerId", &acct)
                            .str("requesterId", "AROAEXAMPLELAMBDA:orders-api")
                            .bool("requesterManaged", true)
                            .str("status", "pending")
                            .str("macAddress", &mac)
                            .str("privateIpAddress", &ip)
                            .bool("sourceDestCheck", true)
                            .str("interfaceType", "lambda")
                            .obj("tagSet", |_| {});
                    });
                });
            }
            (EC2, name) if !e.read_only => {
                let created = match name {
                    "CreateSecurityGroup" => {
                        Some(("groupId", format!("sg-0{}", rand_str(rng, HEX, 16))))
                    }
                    "CreateVpc" => Some(("vpcId", format!("vpc-0{}", rand_str(rng, HEX, 16)))),
                    "CreateRouteTable" => {
                        Some(("routeTableId", format!("rtb-0{}", rand_str(rng, HEX, 16))))
                    }
                    _ => None,
                };
                o.obj("responseElements", |o| {
                    o.str("requestId", request_id);
                    match &created {
                        Some((k, v)) => {
                            o.str(k, v);
                        }
                        None => {
                            o.bool("_return", true);
                        }
                    }
                });
            }
            (LAMBDA, "GetFunction") => {
                let f = rng.pick(&w.functions).clone();
                let sha = rand_str(rng, B64, 43);
                o.obj("responseElements", |o| {
                    o.obj("configuration", |o| {
                        o.str("functionName", &f)
                            .str(
                                "functionArn",
                                &format!("arn:aws:lambda:{region}:{acct}:function:{f}"),
                            )
                            .str("runtime", "python3.12")
                            .str("role", &format!("arn:aws:iam::{acct}:role/{f}-lambda-exec"))
                            .str("handler", "app.handler")
                            .num("codeSize", 4_817_201)
                            .num("timeout", 30)
                            .num("memorySize", 256)
                            .str("codeSha256", &format!("{sha}="))
                            .str("version", "$LATEST")
                            .str("state", "Active")
                            .str("packageType", "Zip")
                            .arr("architectures", |a| {
                                a.str("arm64");
                            });
                    });
                });
            }
            (IAM, "CreatePolicy" | "CreatePolicyVersion" | "CreateUser" | "CreateAccessKey") => {
                let id = rand_str(ids, UPPER_ALNUM, 17);
                let date = w.date.clone();
                o.obj("responseElements", |o| match e.name {
                    "CreatePolicy" => {
                        o.obj("policy", |o| {
                            o.str("policyName", "app-s3-access")
                                .str("policyId", &format!("ANPA{id}"))
                                .str("arn", &format!("arn:aws:iam::{acct}:policy/app-s3-access"))
                                .str("path", "/")
                                .str("defaultVersionId", "v1")
                                .num("attachmentCount", 0)
                                .bool("isAttachable", true)
                                .str("createDate", &format!("Mar 14, 2026, 10:00:00 AM ({date})"));
                        });
                    }
                    "CreateAccessKey" => {
                        o.obj("accessKey", |o| {
                            o.str("userName", "ci-legacy")
                                .str("accessKeyId", &format!("AKIA{}", &id[..16]))
                                .str("status", "Active")
                                .str("createDate", &format!("{date}T10:00:00Z"));
                        });
                    }
                    _ => {
                        o.obj("policyVersion", |o| {
                            o.str("versionId", "v3").bool("isDefaultVersion", true);
                        });
                    }
                });
            }
            (
                S3,
                "ListBuckets"
                | "GetBucketLocation"
                | "GetBucketAcl"
                | "GetBucketPolicy"
                | "GetBucketVersioning"
                | "GetBucketEncryption"
                | "HeadBucket",
            ) => {
                o.raw("responseElements", "null");
            }
            (CONFIG, "PutEvaluations") => {
                o.obj("responseElements", |o| {
                    o.arr("failedEvaluations", |_| {});
                });
            }
            (ORGS, "DescribeOrganization") => {
                let org = w.org_id.clone();
                o.obj("responseElements", |o| {
                    o.obj("organization", |o| {
                        o.str("id", &org)
                            .str(
                                "arn",
                                &format!("arn:aws:organizations::{acct}:organization/{org}"),
                            )
                            .str("featureSet", "ALL")
                            .str(
                                "masterAccountArn",
                                &format!("arn:aws:organizations::{acct}:account/{org}/{acct}"),
                            )
                            .str("masterAccountId", &acct)
                            .str("masterAccountEmail", "aws-root@example.com")
                            .arr("availablePolicyTypes", |a| {
                                a.obj(|o| {
                                    o.str("type", "SERVICE_CONTROL_POLICY")
                                        .str("status", "ENABLED");
                                });
                            });
                    });
                });
            }
            (LOGS | SSM | CW | DDB | SECRETS | ELB | ASG | ECR | CFN | GD | TRAIL | KMS, _) => {
                o.raw("responseElements", "null");
            }
            (S3, _) => {
                o.raw("responseElements", "null");
            }
            _ => {
                o.raw("responseElements", "null");
            }
        }
    }
}

/// Sizes and counts of a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GenStats {
    pub records: u64,
    /// Bytes of JSON (the decompressed size).
    pub uncompressed_bytes: u64,
    /// Bytes of the `.json.gz` file (0 when not compressed).
    pub compressed_bytes: u64,
}

/// Writes a whole log file (`{"Records":[…]}`, compact JSON) of `records` records to `out`.
pub fn write_log(mut out: impl Write, seed: u64, records: usize) -> io::Result<GenStats> {
    let mut g = Generator::new(seed, records);
    let mut buf = String::with_capacity(64 * 1024);
    let mut total = 0u64;
    buf.push_str("{\"Records\":[");
    for i in 0..records {
        if i > 0 {
            buf.push(',');
        }
        g.record(&mut buf);
        if buf.len() >= 60 * 1024 {
            out.write_all(buf.as_bytes())?;
            total += buf.len() as u64;
            buf.clear();
        }
    }
    buf.push_str("]}");
    out.write_all(buf.as_bytes())?;
    total += buf.len() as u64;
    out.flush()?;
    Ok(GenStats {
        records: records as u64,
        uncompressed_bytes: total,
        compressed_bytes: 0,
    })
}

/// Writes a gzipped log file at `path` (through a temporary file renamed into place, so an interrupted
/// run never leaves a half-written file behind under the final name).
pub fn write_gz_file(path: &Path, seed: u64, records: usize) -> io::Result<GenStats> {
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp)?;
    let mut gz = GzEncoder::new(
        BufWriter::with_capacity(256 * 1024, file),
        Compression::default(),
    );
    let mut stats = write_log(&mut gz, seed, records)?;
    let mut inner = gz.finish()?;
    inner.flush()?;
    drop(inner);
    std::fs::rename(&tmp, path)?;
    stats.compressed_bytes = std::fs::metadata(path)?.len();
    Ok(stats)
}

/// The name of a cached generated file.
pub fn file_name(seed: u64, records: usize) -> String {
    let mut s = String::new();
    let _ = write!(s, "gen-v{GENERATOR_VERSION}-seed{seed}-{records}.json.gz");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail::Record;

    fn records(seed: u64, n: usize) -> Vec<String> {
        let mut g = Generator::new(seed, n);
        (0..n)
            .map(|_| {
                let mut s = String::new();
                g.record(&mut s);
                s
            })
            .collect()
    }

    #[test]
    fn deterministic_for_a_seed() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_log(&mut a, 42, 300).unwrap();
        write_log(&mut b, 42, 300).unwrap();
        assert_eq!(a, b);
        let mut c = Vec::new();
        write_log(&mut c, 43, 300).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn records_parse_and_average_about_1_4_kb() {
        let recs = records(7, 2000);
        let mut total = 0usize;
        for r in &recs {
            let parsed = Record::from_json(r).unwrap_or_else(|e| panic!("{e}: {r}"));
            assert!(parsed.event_name.is_some() && parsed.event_source.is_some());
            total += r.len();
        }
        let avg = total as f64 / recs.len() as f64;
        assert!(
            (1250.0..=1550.0).contains(&avg),
            "average record size {avg}"
        );
    }

    #[test]
    fn mix_has_denials_roots_logins_and_services() {
        let recs: Vec<serde_json::Value> = records(11, 8_000)
            .iter()
            .map(|r| serde_json::from_str(r).unwrap())
            .collect();
        let count = |f: &dyn Fn(&serde_json::Value) -> bool| recs.iter().filter(|r| f(r)).count();
        let denied = count(&|r| {
            r["errorCode"].as_str().is_some_and(|c| {
                c.starts_with("AccessDenied") || c.ends_with("UnauthorizedOperation")
            })
        });
        assert!((30..170).contains(&denied), "denied {denied}");
        let root = count(&|r| r["userIdentity"]["type"] == "Root");
        assert!((1..40).contains(&root), "root {root}");
        let logins = count(&|r| r["eventName"] == "ConsoleLogin");
        assert!((4..40).contains(&logins), "logins {logins}");
        assert!(count(&|r| r["userIdentity"]["type"] == "AWSService") > 600);
        assert!(count(&|r| r["userIdentity"]["type"] == "FederatedUser") > 50);
        assert!(count(&|r| r["eventType"] == "AwsServiceEvent") > 0);
        assert!(count(&|r| r["tlsDetails"].is_object()) > 4_000);
    }

    #[test]
    fn gzip_file_reads_back_with_the_log_reader() {
        let dir = std::env::temp_dir().join(format!("tw-bench-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(file_name(3, 200));
        let stats = write_gz_file(&path, 3, 200).unwrap();
        let file = File::open(&path).unwrap();
        let mut reader = cloudtrail::LogReader::new(file, Default::default()).unwrap();
        let mut n = 0;
        while let Some(rec) = reader.next_record().unwrap() {
            Record::from_json(rec.text().unwrap()).unwrap();
            n += 1;
        }
        assert_eq!(n, 200);
        assert_eq!(reader.bytes_read(), stats.uncompressed_bytes);
        assert!(stats.compressed_bytes > 0 && stats.compressed_bytes < stats.uncompressed_bytes);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
