//! A change to this deployment's own alerting pipeline (its bucket, rules file, function, role, topics, keys,
//! trail, alarms, watchdog rule, fast-path queues and event source mapping, dedup table, findings archive and
//! its Athena workgroup and Glue catalog).

use super::common::{event_name, event_source, id_at, str_at, succeeded};
use crate::own_resources::{Arn, Named, OwnResourceArn, OwnResources};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on a record of one of the calls below whose target is one of this deployment's own resources, listed
/// in the rules file's `[pipeline]` table (written by the Terraform module), whether the call succeeded or
/// not: a failed attempt is noted `attempt failed: …`, because an attempt on the pipeline matters as much as a
/// success. Without a `[pipeline]` table the rule never fires; with one it runs whatever the profile (`cis`
/// included; only an explicit `disable` in the file switches it off).
///
/// * S3 (`s3.amazonaws.com`), a configured bucket (`requestParameters.bucketName`): `PutBucketNotification`
///   (the recorded name) and `PutBucketNotificationConfiguration`, `PutBucketPolicy`, `DeleteBucketPolicy`,
///   `PutBucketLifecycle` (recorded for `PutBucketLifecycleConfiguration`, also listed), `DeleteBucketLifecycle`,
///   `PutBucketVersioning`, `PutBucketEncryption`, `DeleteBucketEncryption`, `DeleteBucket`,
///   `PutObjectLockConfiguration` (and its IAM-action spelling `PutBucketObjectLockConfiguration`),
///   `PutBucketReplication` and `DeleteBucketReplication` (a copy of every log and finding elsewhere, or the
///   copy stopped), `PutBucketOwnershipControls` and `DeleteBucketOwnershipControls` (who owns what writers
///   put), `PutBucketPublicAccessBlock` and `DeleteBucketPublicAccessBlock` (the guard against a public
///   policy).
/// * S3 data events on a configured object (`bucketName` and `key`, which records hold unencoded): `PutObject`,
///   `CopyObject` (the destination), `CompleteMultipartUpload`, `DeleteObject` (a version deleted is recorded as
///   `DeleteObject` with `versionId`; there is no `DeleteObjectVersion` event). `DeleteObjects` on a bucket that
///   holds a configured object fires unless the record lists its keys and none is configured: real records
///   carry `"delete": ""` and no key list. Other keys of the bucket (CloudTrail's own log deliveries) never fire.
/// * S3 data events under a configured object prefix (`arn:aws:s3:::BUCKET/PREFIX*`: the findings archive,
///   Athena's results): `DeleteObject`, `DeleteObjects` (listed keys under the prefix, or no key list), and
///   `PutObject`, `CopyObject`, `CompleteMultipartUpload` unless the caller is a session of a configured role
///   (the function writes the archive with its own role: that is the pipeline working).
/// * Lambda (`lambda.amazonaws.com`), a configured function (`requestParameters.functionName`: a name, a full
///   ARN or a partial ARN `ACCOUNT:function:NAME`, with or without a qualifier; matched on name, and on account
///   and region from the ARN, else from `recipientAccountId` and `awsRegion`): `UpdateFunctionConfiguration`,
///   `UpdateFunctionCode`, `DeleteFunction`, `PutFunctionConcurrency` (0 = never runs),
///   `DeleteFunctionConcurrency`, `RemovePermission` (S3's right to invoke), `PutFunctionEventInvokeConfig`,
///   `UpdateFunctionEventInvokeConfig`, `DeleteFunctionEventInvokeConfig` (retries and on-failure
///   destination), each under every name CloudTrail records it: unsuffixed and with its API version
///   (`…20150331`, `…20150331v2`, `…20171031`). `AddPermission` is left out: it adds an invoker and takes
///   nothing away.
/// * Lambda event source mappings: `UpdateEventSourceMapping` and `DeleteEventSourceMapping` of a configured
///   mapping (`requestParameters.uUID`, in its account and region: disabled, retargeted or removed, the fast
///   path stops), or of any mapping whose call or response names a configured function (`functionName`,
///   `responseElements.functionArn`) or whose response names a configured queue as its source
///   (`responseElements.eventSourceArn`): the module cannot list the fast path's own mapping by UUID. And
///   `CreateEventSourceMapping` into a configured function (`functionName`: another source feeding it), each
///   also as recorded with `20150331`.
/// * Lambda `CreateFunction` and `UpdateFunctionConfiguration` (every recorded name) of any other function
///   whose `requestParameters.role` is a configured role's ARN (same account, name ignoring case): that
///   function can then do all the pipeline's role may (write dedup marks, decrypt alerts, read every log). The
///   configured function itself is exempt (its first creation; its updates fire as changes to it).
/// * IAM (`iam.amazonaws.com`), a configured role (`requestParameters.roleName`, ignoring ASCII case as IAM
///   does, in account `recipientAccountId`): `PutRolePolicy`, `DeleteRolePolicy`, `DetachRolePolicy`,
///   `UpdateAssumeRolePolicy`, `PutRolePermissionsBoundary`, `DeleteRole`, `AttachRolePolicy` (a managed
///   policy such as `AWSDenyAll` blinds the function as surely as a detached one).
/// * SNS (`sns.amazonaws.com`), a configured topic (`requestParameters.topicArn`): `DeleteTopic`,
///   `SetTopicAttributes`, `AddPermission` (an outside publisher can forge or flood alerts), `RemovePermission`,
///   `Subscribe` (a new recipient of every alert; the module's own subscriptions fire once, at the first apply);
///   `PutDataProtectionPolicy` (`requestParameters.resourceArn`: a policy that masks or denies the alerts'
///   content); and on its subscriptions (`requestParameters.subscriptionArn` starts with the topic ARN and `:`):
///   `Unsubscribe`, `SetSubscriptionAttributes`.
/// * KMS (`kms.amazonaws.com`), a configured key (`requestParameters.keyId` as a key id or key ARN, or the key
///   ARN in `resources[].ARN`, which is how a call made through an alias names the key): `DisableKey`,
///   `ScheduleKeyDeletion`, `PutKeyPolicy`, `DeleteImportedKeyMaterial`. Grants (`CreateGrant`, `RetireGrant`,
///   `RevokeGrant`) and aliases (`UpdateAlias`, `DeleteAlias`) are left out: the pipeline names its keys by
///   ARN and reaches them through key policies.
/// * CloudTrail (`cloudtrail.amazonaws.com`), a configured trail (`requestParameters.name`, or `trailName`
///   for `PutEventSelectors`; a name in the trail's account, or its ARN): `StopLogging`, `DeleteTrail`,
///   `UpdateTrail`, `PutEventSelectors`. `PutInsightSelectors` is left out: Insights events are an extra;
///   management events keep flowing without them.
/// * CloudWatch (`monitoring.amazonaws.com`), a configured alarm (`requestParameters.alarmNames[]`, or
///   `alarmName` for `PutMetricAlarm`, which can drop the actions or move the threshold): `DeleteAlarms`,
///   `DisableAlarmActions`, `PutMetricAlarm`. `SetAlarmState` is left out: the alarm re-evaluates at its next
///   period, and its definition is unchanged.
/// * EventBridge (`events.amazonaws.com`), a configured rule (`requestParameters.name`, or `rule` for the
///   target calls, on `eventBusName`, default `default`): `DisableRule`, `DeleteRule`, `PutRule`,
///   `RemoveTargets`, `PutTargets`.
/// * SQS (`sqs.amazonaws.com`), a configured queue (the fast-path queue and its dead-letter queue;
///   `requestParameters.queueUrl`, `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` or the legacy hosts
///   `REGION.queue.amazonaws.com` and `queue.amazonaws.com` (us-east-1); account, region and name compared):
///   `SetQueueAttributes` (redrive, retention, policy), `PurgeQueue`, `DeleteQueue`, `AddPermission` (a
///   sender of forged events), `RemovePermission`.
/// * DynamoDB (`dynamodb.amazonaws.com`), a configured table (the dedup table; `requestParameters.tableName`,
///   a name or table ARN): `DeleteTable`, `UpdateTable`, `UpdateTimeToLive`, `UpdateContinuousBackups`;
///   `PutResourcePolicy` and `DeleteResourcePolicy` on its ARN (`resourceArn`; a stream's or index's is not
///   the table); `RestoreTableToPointInTime` into its name (`targetTableName`: the table recreated with whatever
///   the copy holds). Calls that only read, or restore it elsewhere, do not fire.
/// * Athena (`athena.amazonaws.com`), a configured workgroup (`requestParameters.workGroup`):
///   `UpdateWorkGroup`, `DeleteWorkGroup`.
/// * Glue (`glue.amazonaws.com`; the event source, not the name, tells its `UpdateTable` and `DeleteTable`
///   from DynamoDB's), a configured database (`requestParameters.name`): `DeleteDatabase`, `UpdateDatabase`;
///   a configured table (`databaseName` with `name`, or `tableInput.name` for `UpdateTable`; `catalogId`, when
///   given, is the account): `UpdateTable`, `DeleteTable`. Names are compared ignoring ASCII case (Glue
///   lowercases them).
///
/// Spellings: the S3, IAM, SNS, SQS, DynamoDB, Athena and Glue names are the APIs' operation names, which
/// CloudTrail records as such; the Lambda names with `20150331` follow how CloudTrail records Lambda's other
/// calls (`UpdateFunctionConfiguration20150331v2` is in the shared corpus); the unsuffixed Lambda names and the
/// request fields of the SQS, DynamoDB resource-policy, Athena and Glue calls (`queueUrl`, `resourceArn`,
/// `workGroup`, `tableInput.name`) are assumptions from the APIs' request shapes, not seen in a real record
/// here.
///
/// Account and region are compared where the record gives them, so the same name in another account or region
/// does not fire; S3 bucket names are global. Read-only calls (`GetBucketPolicy`, `GetFunction`, …) are not
/// listed, so never fire.
///
/// Critical: each call can blind the pipeline (or swap its rules) without any other alert. Known false
/// positive: the deployment's own `terraform apply` makes the same calls; the alert names the caller.
/// ATT&CK: T1562.001 (Impair Defenses: Disable or Modify Tools), T1562.008 (Disable or Modify Cloud Logs) for
/// the trail.
///
/// Code, not a pattern: the resources are deployment configuration (the `[pipeline]` table the Terraform module
/// writes), not part of the rule, and matching them needs ARN parsing (names, full and partial ARNs, qualifiers,
/// aliases through `resources[]`, subscription ARNs under a topic ARN) that a filter pattern cannot do.
pub const RULE: Rule = Rule {
    id: "trailwarden-pipeline-tampering",
    title: "trailwarden's own pipeline changed",
    severity: Severity::Critical,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1562.001" },
        Control { framework: "MITRE ATT&CK", id: "T1562.008" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(EVENTS),
        detect,
    },
    rationale: "Someone changed, or tried to change, one of the resources this alerting pipeline is made of: the \
                CloudTrail log bucket or the rules file in it, the function, its role, the alert or alarm topics, \
                their KMS keys, the trail, the pipeline's alarms or its watchdog rule, the fast path's queues and \
                event source mapping, the dedup table, the findings archive and its Athena workgroup and Glue \
                catalog (the rules file's [pipeline] list, written by Terraform). Each of these calls can stop \
                alerts silently (a removed bucket notification or invoke permission, concurrency 0, a disabled \
                key or event source mapping, a purged queue, a stopped trail, a deleted alarm, a deny-all policy \
                attached to the role), suppress them (a dedup table opened to other writers), erase or forge \
                the record of past findings, hand the pipeline's rights to another function, or change what \
                is detected (a replaced rules file). This record may be among the last the pipeline sees.",
    next_steps: "The alert's note names the kind of resource; the record's requestParameters name it \
                 (bucketName/key, functionName, roleName, topicArn/subscriptionArn/resourceArn, keyId/resources, \
                 name/trailName, alarmName(s), name/rule, queueUrl, tableName/resourceArn, uUID, role, workGroup, \
                 databaseName/name). Was it your deployment pipeline applying a reviewed change? If not: run \
                 `terraform plan` on the trailwarden module (it shows the drift), restore with `terraform apply`, \
                 treat the caller (userIdentity, sourceIPAddress, access key) as compromised until proven \
                 otherwise, and list everything else it did. Then replay the log files written since with \
                 `trailwarden scan --config <the deployed rules file>` to see what the pipeline missed.",
};

/// Every event name the rule can match: each call under every name CloudTrail records it (the services'
/// lists below, joined at compile time).
const EVENTS: &[&str] = &join::<{ total(SERVICES) }>(SERVICES);

/// The services' event lists; no name is in two of them.
const SERVICES: &[&[&str]] = &[
    S3_BUCKET_EVENTS,
    S3_OBJECT_EVENTS,
    LAMBDA_EVENTS,
    IAM_EVENTS,
    SNS_EVENTS,
    KMS_EVENTS,
    CLOUDTRAIL_EVENTS,
    CLOUDWATCH_EVENTS,
    EVENTBRIDGE_EVENTS,
    SQS_EVENTS,
    DYNAMODB_EVENTS,
    ATHENA_EVENTS,
    GLUE_EVENTS,
];

/// How many names `lists` hold together.
const fn total(lists: &[&[&str]]) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < lists.len() {
        n += lists[i].len();
        i += 1;
    }
    n
}

/// `lists`, one after the other (`N` is their [`total`]).
const fn join<const N: usize>(lists: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut at, mut i) = (0, 0);
    while i < lists.len() {
        let mut j = 0;
        while j < lists[i].len() {
            out[at] = lists[i][j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(at == N);
    out
}

/// S3 object calls (data events) on the rules file.
const S3_OBJECT_EVENTS: &[&str] = &[
    "PutObject",
    "CopyObject",
    "CompleteMultipartUpload",
    "DeleteObject",
    "DeleteObjects",
];

/// IAM calls on the function's role.
const IAM_EVENTS: &[&str] = &[
    "AttachRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "DetachRolePolicy",
    "UpdateAssumeRolePolicy",
    "PutRolePermissionsBoundary",
    "DeleteRole",
];

/// SNS calls on the topics (`RemovePermission` is in [`LAMBDA_EVENTS`]: one name, both services).
const SNS_EVENTS: &[&str] = &[
    "DeleteTopic",
    "SetTopicAttributes",
    "AddPermission",
    "Subscribe",
    "Unsubscribe",
    "SetSubscriptionAttributes",
    "PutDataProtectionPolicy",
];

/// SQS calls on the fast-path queue and its dead-letter queue (`AddPermission` is in [`SNS_EVENTS`],
/// `RemovePermission` in [`LAMBDA_EVENTS`]: one name, several services).
const SQS_EVENTS: &[&str] = &["SetQueueAttributes", "PurgeQueue", "DeleteQueue"];

/// DynamoDB calls on the dedup table (`DeleteTable` and `UpdateTable` are also Glue's names: the event source
/// decides).
const DYNAMODB_EVENTS: &[&str] = &[
    "DeleteTable",
    "UpdateTable",
    "UpdateTimeToLive",
    "PutResourcePolicy",
    "DeleteResourcePolicy",
    "UpdateContinuousBackups",
    "RestoreTableToPointInTime",
];

/// Athena calls on the workgroup.
const ATHENA_EVENTS: &[&str] = &["UpdateWorkGroup", "DeleteWorkGroup"];

/// Glue calls on the database (its tables' `UpdateTable` and `DeleteTable` are in [`DYNAMODB_EVENTS`]).
const GLUE_EVENTS: &[&str] = &["DeleteDatabase", "UpdateDatabase"];

/// KMS calls on the keys.
const KMS_EVENTS: &[&str] = &[
    "DisableKey",
    "ScheduleKeyDeletion",
    "PutKeyPolicy",
    "DeleteImportedKeyMaterial",
];

/// CloudTrail calls on the trail.
const CLOUDTRAIL_EVENTS: &[&str] = &["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"];

/// CloudWatch calls on the alarms.
const CLOUDWATCH_EVENTS: &[&str] = &["DeleteAlarms", "DisableAlarmActions", "PutMetricAlarm"];

/// EventBridge calls on the rules.
const EVENTBRIDGE_EVENTS: &[&str] = &["DisableRule", "DeleteRule", "PutRule", "RemoveTargets", "PutTargets"];

/// The S3 calls that change a bucket's configuration, or delete it.
const S3_BUCKET_EVENTS: &[&str] = &[
    "PutBucketNotification",
    "PutBucketNotificationConfiguration",
    "PutBucketPolicy",
    "DeleteBucketPolicy",
    "PutBucketLifecycle",
    "PutBucketLifecycleConfiguration",
    "DeleteBucketLifecycle",
    "PutBucketVersioning",
    "PutBucketEncryption",
    "DeleteBucketEncryption",
    "DeleteBucket",
    "PutObjectLockConfiguration",
    "PutBucketObjectLockConfiguration",
    "PutBucketReplication",
    "DeleteBucketReplication",
    "PutBucketOwnershipControls",
    "DeleteBucketOwnershipControls",
    "PutBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock",
];

/// The Lambda calls, under every recorded name.
const LAMBDA_EVENTS: &[&str] = &[
    "UpdateFunctionConfiguration",
    "UpdateFunctionConfiguration20150331",
    "UpdateFunctionConfiguration20150331v2",
    "UpdateFunctionCode",
    "UpdateFunctionCode20150331",
    "UpdateFunctionCode20150331v2",
    "DeleteFunction",
    "DeleteFunction20150331",
    "PutFunctionConcurrency",
    "PutFunctionConcurrency20171031",
    "DeleteFunctionConcurrency",
    "DeleteFunctionConcurrency20171031",
    "RemovePermission",
    "RemovePermission20150331",
    "RemovePermission20150331v2",
    "PutFunctionEventInvokeConfig",
    "UpdateFunctionEventInvokeConfig",
    "DeleteFunctionEventInvokeConfig",
    "CreateFunction",
    "CreateFunction20150331",
    "CreateEventSourceMapping",
    "CreateEventSourceMapping20150331",
    "UpdateEventSourceMapping",
    "UpdateEventSourceMapping20150331",
    "DeleteEventSourceMapping",
    "DeleteEventSourceMapping20150331",
];

/// The Lambda calls that create or configure any function, which fire when they pass a configured role.
const LAMBDA_ROLE_EVENTS: &[&str] = &[
    "CreateFunction",
    "CreateFunction20150331",
    "UpdateFunctionConfiguration",
    "UpdateFunctionConfiguration20150331",
    "UpdateFunctionConfiguration20150331v2",
];

/// Which of the pipeline's resources a call targeted (the alert's note).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Bucket,
    Object,
    /// `DeleteObjects` on the bucket holding a configured object, keys not recorded.
    ObjectsUnlisted,
    Function,
    Role,
    Topic,
    Key,
    Trail,
    Alarm,
    EventRule,
    /// An object under a configured prefix (the findings archive, Athena's results).
    ObjectPrefix,
    /// `DeleteObjects` on a bucket holding a configured prefix, keys not recorded.
    PrefixUnlisted,
    Queue,
    Table,
    EventSourceMapping,
    /// Another function created or configured with a configured role.
    RolePassed,
    Workgroup,
    GlueDatabase,
    GlueTable,
}

impl Target {
    /// The note: which resource, where the record names it; prefixed `attempt failed: ` for a failed call.
    fn note(self, ok: bool) -> &'static str {
        let (succeeded, failed) = self.notes();
        if ok { succeeded } else { failed }
    }

    /// The note for a call that succeeded and for a failed attempt (the same, prefixed `attempt failed: `).
    fn notes(self) -> (&'static str, &'static str) {
        macro_rules! both {
            ($text:literal) => {
                ($text, concat!("attempt failed: ", $text))
            };
        }
        match self {
            Target::Bucket => both!("this deployment's S3 bucket (requestParameters.bucketName)"),
            Target::Object => both!("this deployment's rules file object (requestParameters.bucketName, key)"),
            Target::ObjectsUnlisted => both!("DeleteObjects on the bucket holding this deployment's rules file (the record does not list the keys)"),
            Target::Function => both!("this deployment's function (requestParameters.functionName)"),
            Target::Role => both!("this deployment's function role (requestParameters.roleName)"),
            Target::Topic => both!("this deployment's SNS topic (requestParameters.topicArn or subscriptionArn)"),
            Target::Key => both!("this deployment's KMS key (requestParameters.keyId, resources)"),
            Target::Trail => both!("this deployment's trail (requestParameters.name or trailName)"),
            Target::Alarm => both!("this deployment's CloudWatch alarm (requestParameters.alarmNames or alarmName)"),
            Target::EventRule => both!("this deployment's EventBridge rule (requestParameters.name or rule)"),
            Target::ObjectPrefix => both!("an object under one of this deployment's S3 prefixes (requestParameters.bucketName, key)"),
            Target::PrefixUnlisted => both!("DeleteObjects on a bucket holding one of this deployment's S3 prefixes (the record does not list the keys)"),
            Target::Queue => both!("this deployment's SQS queue (requestParameters.queueUrl)"),
            Target::Table => both!("this deployment's DynamoDB table (requestParameters.tableName, targetTableName or resourceArn)"),
            Target::EventSourceMapping => both!("this deployment's event source mapping (requestParameters.uUID), or a new one into its function (functionName)"),
            Target::RolePassed => both!("another function given this deployment's role (requestParameters.role): it can then do what the pipeline does"),
            Target::Workgroup => both!("this deployment's Athena workgroup (requestParameters.workGroup)"),
            Target::GlueDatabase => both!("this deployment's Glue database (requestParameters.name)"),
            Target::GlueTable => both!("this deployment's Glue table (requestParameters.databaseName, name or tableInput.name)"),
        }
    }
}

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    let p = &context.own_resources;
    if p.is_empty() {
        return None;
    }
    let event = event_name(record)?;
    if !EVENTS.contains(&event) {
        return None;
    }
    let target = match event_source(record)? {
        "s3.amazonaws.com" => s3(record, event, p),
        "lambda.amazonaws.com" => lambda(record, event, p),
        "iam.amazonaws.com" => iam(record, event, p),
        "sns.amazonaws.com" => sns(record, event, p),
        "kms.amazonaws.com" => kms(record, event, p),
        "cloudtrail.amazonaws.com" => cloudtrail(record, event, p),
        "monitoring.amazonaws.com" => cloudwatch(record, event, p),
        "events.amazonaws.com" => eventbridge(record, event, p),
        "sqs.amazonaws.com" => sqs(record, event, p),
        "dynamodb.amazonaws.com" => dynamodb(record, event, p),
        "athena.amazonaws.com" => athena(record, event, p),
        "glue.amazonaws.com" => glue(record, event, p),
        _ => None,
    }?;
    Some(Hit::noted(target.note(succeeded(record))))
}

/// `requestParameters.<key>` as a non-empty string.
fn param<'v>(record: Node<'v>, key: &str) -> Option<&'v str> {
    id_at(record, &["requestParameters", key])
}

/// Whether the record's account (`recipientAccountId`) and region (`awsRegion`), where present, are the
/// resource's. A regional resource is compared on both; a global one (empty region) on the account only.
fn same_place(record: Node<'_>, resource: &Named) -> bool {
    let account_ok = id_at(record, &["recipientAccountId"]).is_none_or(|a| a == resource.account);
    let region_ok = resource.region.is_empty()
        || id_at(record, &["awsRegion"]).is_none_or(|r| r == resource.region);
    account_ok && region_ok
}

fn s3(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    let bucket = param(record, "bucketName")?;
    match event {
        "PutObject" | "CopyObject" | "CompleteMultipartUpload" | "DeleteObject" => {
            let key = param(record, "key")?;
            if p.objects.iter().any(|o| o.bucket == bucket && o.key == key) {
                return Some(Target::Object);
            }
            let under_prefix = p
                .object_prefixes
                .iter()
                .any(|o| o.bucket == bucket && key.starts_with(o.key.as_str()));
            // The function's own role writes the findings archive: its writes are the pipeline working.
            let own_write = event != "DeleteObject" && caller_is_configured_role(record, p);
            (under_prefix && !own_write).then_some(Target::ObjectPrefix)
        }
        "DeleteObjects" => {
            let configured: Vec<&str> = p
                .objects
                .iter()
                .filter(|o| o.bucket == bucket)
                .map(|o| o.key.as_str())
                .collect();
            let prefixes: Vec<&str> = p
                .object_prefixes
                .iter()
                .filter(|o| o.bucket == bucket)
                .map(|o| o.key.as_str())
                .collect();
            if configured.is_empty() && prefixes.is_empty() {
                return None;
            }
            match listed_keys(record) {
                // The record lists its keys: fire only when one is configured or under a configured prefix.
                Some(keys) => {
                    let keys: Vec<&str> = keys.collect();
                    if keys.iter().any(|k| configured.contains(k)) {
                        Some(Target::Object)
                    } else if keys
                        .iter()
                        .any(|k| prefixes.iter().any(|p| k.starts_with(p)))
                    {
                        Some(Target::ObjectPrefix)
                    } else {
                        None
                    }
                }
                None if !configured.is_empty() => Some(Target::ObjectsUnlisted),
                None => Some(Target::PrefixUnlisted),
            }
        }
        _ if S3_BUCKET_EVENTS.contains(&event) => {
            p.buckets.contains(bucket).then_some(Target::Bucket)
        }
        _ => None,
    }
}

/// The keys a `DeleteObjects` record lists, if it lists any: `requestParameters.delete` (or `Delete`), then
/// `objects`, `Objects` or `Object`, an array of `{key}` or `{Key}`. `None` when there is no such array
/// (real records carry `"delete": ""`).
fn listed_keys<'v>(record: Node<'v>) -> Option<impl Iterator<Item = &'v str>> {
    let params = record.get("requestParameters")?;
    let delete = params.get("delete").or_else(|| params.get("Delete"))?;
    let objects = ["objects", "Objects", "Object"]
        .into_iter()
        .find_map(|k| delete.get(k)?.as_array())?;
    Some(objects.filter_map(|o| o.get("key").or_else(|| o.get("Key"))?.as_str()))
}

/// A Lambda `functionName` as recorded: a name, `ACCOUNT:function:NAME` or a full ARN, each with an optional
/// `:QUALIFIER`. Returns the name, and the account and region when it carries them.
fn function_ref(value: &str) -> (&str, Option<&str>, Option<&str>) {
    if value.starts_with("arn:") {
        // arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        return match Arn::split(value) {
            Some(arn) if arn.service == "lambda" => match arn.resource.strip_prefix("function:") {
                Some(tail) => (unqualified(tail), Some(arn.account), Some(arn.region)),
                None => (value, None, None),
            },
            _ => (value, None, None),
        };
    }
    if let Some((account, tail)) = value.split_once(":function:") {
        return (unqualified(tail), Some(account), None);
    }
    (unqualified(value), None, None)
}

fn unqualified(name_and_qualifier: &str) -> &str {
    name_and_qualifier
        .split_once(':')
        .map_or(name_and_qualifier, |(name, _)| name)
}

/// Whether `value` (a function name, full or partial ARN, with or without a qualifier) names a configured
/// function; account and region from the ARN, else from the record.
fn function_is_configured(value: &str, record: Node<'_>, p: &OwnResources) -> bool {
    let (name, account, region) = function_ref(value);
    let account = account.or_else(|| id_at(record, &["recipientAccountId"]));
    let region = region.or_else(|| id_at(record, &["awsRegion"]));
    p.functions.iter().any(|f| {
        f.name == name && account.is_none_or(|a| a == f.account) && region.is_none_or(|r| r == f.region)
    })
}

fn lambda(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    if !LAMBDA_EVENTS.contains(&event) {
        return None;
    }
    let configured_function =
        || param(record, "functionName").is_some_and(|value| function_is_configured(value, record, p));
    if event.starts_with("UpdateEventSourceMapping") || event.starts_with("DeleteEventSourceMapping")
    {
        let uuid = param(record, "uUID").or_else(|| param(record, "uuid"));
        let listed = uuid.is_some_and(|uuid| {
            p.event_source_mappings
                .iter()
                .any(|m| m.name.eq_ignore_ascii_case(uuid) && same_place(record, m))
        });
        // The Terraform module cannot list the fast path's own mapping (its UUID exists only after the function,
        // whose configuration carries this file's SHA-256), so a mapping is also this deployment's when the call
        // names its function (Update's functionName) or the response does: the mapping's functionArn, or an
        // eventSourceArn that is a configured queue. A failed attempt has no response: it fires only by UUID or
        // by functionName.
        let response_function = id_at(record, &["responseElements", "functionArn"])
            .is_some_and(|arn| function_is_configured(arn, record, p));
        let response_queue = id_at(record, &["responseElements", "eventSourceArn"])
            .map(OwnResourceArn::parse)
            .is_some_and(|source| match source {
                Ok(OwnResourceArn::Queue(queue)) => p.queues.iter().any(|q| {
                    q.name == queue.name && q.account == queue.account && q.region == queue.region
                }),
                _ => false,
            });
        return (listed || configured_function() || response_function || response_queue)
            .then_some(Target::EventSourceMapping);
    }
    if event.starts_with("CreateEventSourceMapping") {
        return configured_function().then_some(Target::EventSourceMapping);
    }
    if configured_function() {
        // The configured function itself (created by the first apply, or reconfigured with its own role):
        // a change to the function, never a role passed to another.
        return (!event.starts_with("CreateFunction")).then_some(Target::Function);
    }
    if LAMBDA_ROLE_EVENTS.contains(&event) {
        let role = param(record, "role")?;
        return p
            .roles
            .iter()
            .any(|r| role_arn_is(role, r))
            .then_some(Target::RolePassed);
    }
    None
}

/// Whether an IAM role ARN (as a request names it: `arn:PARTITION:iam::ACCOUNT:role/PATH/NAME`) is this
/// configured role: its account, and its name ignoring ASCII case as IAM does.
fn role_arn_is(arn: &str, role: &Named) -> bool {
    let Some(arn) = Arn::split(arn).filter(|a| a.service == "iam") else {
        return false;
    };
    let name = arn
        .resource
        .strip_prefix("role/")
        .and_then(|path| path.rsplit('/').next());
    arn.account == role.account && name.is_some_and(|n| n.eq_ignore_ascii_case(&role.name))
}

/// Whether the caller is one of the configured roles (a session of it: `userIdentity.sessionContext.
/// sessionIssuer`), as the function is when it writes the findings archive.
fn caller_is_configured_role(record: Node<'_>, p: &OwnResources) -> bool {
    if str_at(record, &["userIdentity", "type"]) != Some("AssumedRole") {
        return false;
    }
    let issuer = str_at(
        record,
        &["userIdentity", "sessionContext", "sessionIssuer", "arn"],
    );
    issuer.is_some_and(|arn| p.roles.iter().any(|r| role_arn_is(arn, r)))
}

fn iam(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    if !matches!(
        event,
        "AttachRolePolicy"
            | "PutRolePolicy"
            | "DeleteRolePolicy"
            | "DetachRolePolicy"
            | "UpdateAssumeRolePolicy"
            | "PutRolePermissionsBoundary"
            | "DeleteRole"
    ) {
        return None;
    }
    let role = param(record, "roleName")?;
    p.roles
        .iter()
        .any(|r| r.name.eq_ignore_ascii_case(role) && same_place(record, r))
        .then_some(Target::Role)
}

fn sns(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    let hit = match event {
        "DeleteTopic" | "SetTopicAttributes" | "AddPermission" | "RemovePermission" | "Subscribe" => {
            let topic = param(record, "topicArn")?;
            p.topics.iter().any(|t| t.arn == topic)
        }
        "PutDataProtectionPolicy" => {
            let topic = param(record, "resourceArn")?;
            p.topics.iter().any(|t| t.arn == topic)
        }
        "Unsubscribe" | "SetSubscriptionAttributes" => {
            let subscription = param(record, "subscriptionArn")?;
            p.topics.iter().any(|t| {
                subscription
                    .strip_prefix(t.arn.as_str())
                    .is_some_and(|rest| rest.starts_with(':'))
            })
        }
        _ => false,
    };
    hit.then_some(Target::Topic)
}

fn kms(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    if !matches!(
        event,
        "DisableKey" | "ScheduleKeyDeletion" | "PutKeyPolicy" | "DeleteImportedKeyMaterial"
    ) {
        return None;
    }
    let key_id = param(record, "keyId");
    let by_request = key_id.is_some_and(|id| {
        p.keys
            .iter()
            .any(|k| k.arn == id || (k.name == id && same_place(record, k)))
    });
    let by_resources = || {
        record
            .get("resources")
            .and_then(|r| r.as_array())
            .is_some_and(|mut items| {
                items.any(|item| {
                    str_at(item, &["ARN"]).is_some_and(|arn| p.keys.iter().any(|k| k.arn == arn))
                })
            })
    };
    (by_request || by_resources()).then_some(Target::Key)
}

fn cloudtrail(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    let field = match event {
        "StopLogging" | "DeleteTrail" | "UpdateTrail" => "name",
        "PutEventSelectors" => "trailName",
        _ => return None,
    };
    let trail = param(record, field)?;
    // A trail is named by its ARN, or by its name in its own account (a multi-region trail answers to its
    // name in every region, so the region is not compared).
    let account = id_at(record, &["recipientAccountId"]);
    p.trails
        .iter()
        .any(|t| t.arn == trail || (t.name == trail && account.is_none_or(|a| a == t.account)))
        .then_some(Target::Trail)
}

fn cloudwatch(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    let configured = |name: &str| p.alarms.iter().any(|a| a.name == name && same_place(record, a));
    let hit = match event {
        "DeleteAlarms" | "DisableAlarmActions" => record
            .get("requestParameters")
            .and_then(|r| r.get("alarmNames"))
            .and_then(|n| n.as_array())
            .is_some_and(|mut names| names.any(|n| n.as_str().is_some_and(configured))),
        "PutMetricAlarm" => param(record, "alarmName").is_some_and(configured),
        _ => false,
    };
    hit.then_some(Target::Alarm)
}

fn eventbridge(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    let field = match event {
        "DisableRule" | "DeleteRule" | "PutRule" => "name",
        "RemoveTargets" | "PutTargets" => "rule",
        _ => return None,
    };
    let rule = param(record, field)?;
    // `eventBusName` is a bus name or ARN (`…:event-bus/NAME`); absent = the default bus.
    let bus = param(record, "eventBusName").map_or("default", |b| {
        b.split_once(":event-bus/").map_or(b, |(_, name)| name)
    });
    p.event_rules
        .iter()
        .any(|r| r.rule.name == rule && r.bus == bus && same_place(record, &r.rule))
        .then_some(Target::EventRule)
}

/// An SQS queue URL as recorded: `https://sqs.REGION.amazonaws.com/ACCOUNT/NAME`, or the legacy hosts
/// `https://REGION.queue.amazonaws.com/ACCOUNT/NAME` and `https://queue.amazonaws.com/ACCOUNT/NAME`
/// (us-east-1). Returns the region (`None` when the host does not say), account and name.
fn queue_ref(url: &str) -> Option<(Option<&str>, &str, &str)> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let mut parts = rest.split('/');
    let (Some(host), Some(account), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return None;
    };
    if parts.next().is_some_and(|extra| !extra.is_empty()) || name.is_empty() {
        return None;
    }
    let host = host.split(':').next().unwrap_or(host);
    let region = if let Some(r) = host.strip_prefix("sqs.") {
        r.split('.').next()
    } else if host == "queue.amazonaws.com" {
        Some("us-east-1")
    } else if let Some((r, _)) = host.split_once(".queue.") {
        Some(r)
    } else {
        None
    };
    Some((region, account, name))
}

fn sqs(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    if !matches!(
        event,
        "SetQueueAttributes" | "PurgeQueue" | "DeleteQueue" | "AddPermission" | "RemovePermission"
    ) {
        return None;
    }
    let (region, account, name) = queue_ref(param(record, "queueUrl")?)?;
    let region = region.or_else(|| id_at(record, &["awsRegion"]));
    p.queues
        .iter()
        .any(|q| q.name == name && q.account == account && region.is_none_or(|r| r == q.region))
        .then_some(Target::Queue)
}

/// A DynamoDB table as a request names it: a name (in the record's account and region) or a table ARN
/// (`arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME`; an index or stream ARN under it is not the table).
fn is_configured_table(record: Node<'_>, value: &str, p: &OwnResources) -> bool {
    if value.starts_with("arn:") {
        let Some(arn) = Arn::split(value).filter(|a| a.service == "dynamodb") else {
            return false;
        };
        let Some(name) = arn.resource.strip_prefix("table/").filter(|n| !n.contains('/')) else {
            return false;
        };
        return p
            .tables
            .iter()
            .any(|t| t.name == name && t.account == arn.account && t.region == arn.region);
    }
    p.tables
        .iter()
        .any(|t| t.name == value && same_place(record, t))
}

fn dynamodb(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    let field = match event {
        "DeleteTable" | "UpdateTable" | "UpdateTimeToLive" | "UpdateContinuousBackups" => "tableName",
        "PutResourcePolicy" | "DeleteResourcePolicy" => "resourceArn",
        // A restore into the configured table's name: the table recreated with whatever the copy holds.
        "RestoreTableToPointInTime" => "targetTableName",
        _ => return None,
    };
    is_configured_table(record, param(record, field)?, p).then_some(Target::Table)
}

fn athena(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    if !matches!(event, "UpdateWorkGroup" | "DeleteWorkGroup") {
        return None;
    }
    let workgroup = param(record, "workGroup")?;
    p.workgroups
        .iter()
        .any(|w| w.name == workgroup && same_place(record, w))
        .then_some(Target::Workgroup)
}

fn glue(record: Node<'_>, event: &str, p: &OwnResources) -> Option<Target> {
    // Glue keeps names lowercase; `catalogId`, when given, is the account.
    let catalog_ok = |account: &str| param(record, "catalogId").is_none_or(|c| c == account);
    match event {
        "DeleteDatabase" | "UpdateDatabase" => {
            let name = param(record, "name")?;
            p.glue_databases
                .iter()
                .any(|d| d.name.eq_ignore_ascii_case(name) && same_place(record, d) && catalog_ok(&d.account))
                .then_some(Target::GlueDatabase)
        }
        "DeleteTable" | "UpdateTable" => {
            let database = param(record, "databaseName")?;
            let table = match event {
                "DeleteTable" => param(record, "name")?,
                _ => str_at(record, &["requestParameters", "tableInput", "name"])
                    .or_else(|| param(record, "name"))?,
            };
            p.glue_tables
                .iter()
                .any(|t| {
                    t.database.name.eq_ignore_ascii_case(database)
                        && t.table.eq_ignore_ascii_case(table)
                        && same_place(record, &t.database)
                        && catalog_ok(&t.database.account)
                })
                .then_some(Target::GlueTable)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail::Parsed;
    use serde_json::{json, Value};

    fn pipeline() -> OwnResources {
        OwnResources::from_arns([
            "arn:aws:s3:::tw-logs",
            "arn:aws:s3:::tw-logs/trailwarden/rules.toml",
            "arn:aws:lambda:us-east-1:111122223333:function:tw-alerter",
            "arn:aws:iam::111122223333:role/tw-alerter-role",
            "arn:aws:sns:us-east-1:111122223333:tw-alerts",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:cloudtrail:us-east-1:111122223333:trail/tw-trail",
            "arn:aws:cloudwatch:us-east-1:111122223333:alarm:tw-errors",
            "arn:aws:events:us-east-1:111122223333:rule/tw-watchdog",
            "arn:aws:sqs:us-east-1:111122223333:tw-fast-path",
            "arn:aws:dynamodb:us-east-1:111122223333:table/events",
            "arn:aws:glue:us-east-1:111122223333:table/tw_db/events",
        ])
        .unwrap()
    }

    fn run(record: &Value) -> Option<Hit> {
        let context = Context {
            own_resources: pipeline(),
            ..Context::default()
        };
        detect(Parsed::from_value(record).root(), &context)
    }

    fn call(source: &str, event: &str, params: Value) -> Value {
        json!({
            "eventSource": source, "eventName": event, "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333", "requestParameters": params
        })
    }

    /// `EVENTS` (the engine's index) names each call once, in the order of the services' lists.
    #[test]
    fn the_event_list_is_the_services_lists_joined() {
        let joined: Vec<&str> = SERVICES.iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(EVENTS, joined.as_slice());
        assert_eq!(EVENTS.len(), 94);
        assert!(LAMBDA_ROLE_EVENTS.iter().all(|e| LAMBDA_EVENTS.contains(e)));
        let mut events = EVENTS.to_vec();
        events.sort_unstable();
        events.dedup();
        assert_eq!(events.len(), EVENTS.len(), "a name is in two services' lists");
    }

    #[test]
    fn function_names_in_every_recorded_form() {
        assert_eq!(function_ref("tw-alerter"), ("tw-alerter", None, None));
        assert_eq!(function_ref("tw-alerter:$LATEST"), ("tw-alerter", None, None));
        assert_eq!(
            function_ref("111122223333:function:tw-alerter:live"),
            ("tw-alerter", Some("111122223333"), None)
        );
        assert_eq!(
            function_ref("arn:aws:lambda:eu-west-1:111122223333:function:tw-alerter:7"),
            ("tw-alerter", Some("111122223333"), Some("eu-west-1"))
        );
        let lambda = |name: &str| {
            run(&call(
                "lambda.amazonaws.com",
                "UpdateFunctionCode20150331v2",
                json!({ "functionName": name }),
            ))
        };
        for name in [
            "tw-alerter",
            "tw-alerter:$LATEST",
            "tw-alerter:1",
            "111122223333:function:tw-alerter",
            "arn:aws:lambda:us-east-1:111122223333:function:tw-alerter",
            "arn:aws:lambda:us-east-1:111122223333:function:tw-alerter:live",
        ] {
            assert_eq!(
                lambda(name),
                Some(Hit::noted(Target::Function.note(true))),
                "{name}"
            );
        }
        for name in [
            "tw-alerter-2",
            "tw",
            "999988887777:function:tw-alerter",
            "arn:aws:lambda:eu-west-1:111122223333:function:tw-alerter",
            "arn:aws:lambda:us-east-1:999988887777:function:tw-alerter",
        ] {
            assert_eq!(lambda(name), None, "{name}");
        }
    }

    #[test]
    fn failed_attempts_fire_with_a_note() {
        let mut r = call("kms.amazonaws.com", "DisableKey", json!({"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}));
        assert_eq!(run(&r), Some(Hit::noted(Target::Key.note(true))));
        r["errorCode"] = json!("AccessDenied");
        let hit = run(&r).unwrap();
        assert!(hit.note.unwrap().starts_with("attempt failed: "), "{hit:?}");
    }

    #[test]
    fn an_empty_pipeline_never_fires() {
        let r = call("cloudtrail.amazonaws.com", "StopLogging", json!({"name": "tw-trail"}));
        assert!(run(&r).is_some());
        assert_eq!(detect(Parsed::from_value(&r).root(), &Context::default()), None);
    }

    #[test]
    fn delete_objects_with_and_without_a_key_list() {
        let unlisted = call(
            "s3.amazonaws.com",
            "DeleteObjects",
            json!({"bucketName": "tw-logs", "delete": "", "x-id": "DeleteObjects"}),
        );
        assert_eq!(run(&unlisted), Some(Hit::noted(Target::ObjectsUnlisted.note(true))));
        let listed = |key: &str| {
            call(
                "s3.amazonaws.com",
                "DeleteObjects",
                json!({"bucketName": "tw-logs", "delete": {"objects": [{"key": "AWSLogs/x.json.gz"}, {"key": key}]}}),
            )
        };
        assert_eq!(
            run(&listed("trailwarden/rules.toml")),
            Some(Hit::noted(Target::Object.note(true)))
        );
        assert_eq!(run(&listed("AWSLogs/y.json.gz")), None);
        let other_bucket = call("s3.amazonaws.com", "DeleteObjects", json!({"bucketName": "other", "delete": ""}));
        assert_eq!(run(&other_bucket), None);
    }

    #[test]
    fn queue_urls_in_every_recorded_form() {
        assert_eq!(
            queue_ref("https://sqs.eu-west-1.amazonaws.com/111122223333/q"),
            Some((Some("eu-west-1"), "111122223333", "q"))
        );
        assert_eq!(
            queue_ref("https://queue.amazonaws.com/111122223333/q"),
            Some((Some("us-east-1"), "111122223333", "q"))
        );
        assert_eq!(
            queue_ref("https://eu-west-1.queue.amazonaws.com/111122223333/q"),
            Some((Some("eu-west-1"), "111122223333", "q"))
        );
        assert_eq!(
            queue_ref("https://vpce-0a.sqs.local/111122223333/q"),
            Some((None, "111122223333", "q"))
        );
        for bad in ["tw-fast-path", "https://sqs.us-east-1.amazonaws.com/111122223333", "https://h/a/b/c"] {
            assert_eq!(queue_ref(bad), None, "{bad}");
        }
        let sqs = |url: &str| run(&call("sqs.amazonaws.com", "PurgeQueue", json!({ "queueUrl": url })));
        assert_eq!(
            sqs("https://queue.amazonaws.com/111122223333/tw-fast-path"),
            Some(Hit::noted(Target::Queue.note(true)))
        );
        assert_eq!(sqs("https://sqs.us-west-2.amazonaws.com/111122223333/tw-fast-path"), None);
        assert_eq!(sqs("https://sqs.us-east-1.amazonaws.com/999988887777/tw-fast-path"), None);
        assert_eq!(sqs("https://sqs.us-east-1.amazonaws.com/111122223333/tw-fast-path-2"), None);
    }

    #[test]
    fn dynamodb_and_glue_tables_of_one_name_are_told_apart_by_the_event_source() {
        // A DynamoDB table `events` and a Glue table `tw_db.events` are both configured.
        let ddb = call("dynamodb.amazonaws.com", "DeleteTable", json!({"tableName": "events"}));
        assert_eq!(run(&ddb), Some(Hit::noted(Target::Table.note(true))));
        let glue = call("glue.amazonaws.com", "DeleteTable", json!({"databaseName": "tw_db", "name": "events"}));
        assert_eq!(run(&glue), Some(Hit::noted(Target::GlueTable.note(true))));
        // Glue's record names its database: without it, or in another one, nothing.
        let glue_other = call("glue.amazonaws.com", "DeleteTable", json!({"databaseName": "other", "name": "events"}));
        assert_eq!(run(&glue_other), None);
        let glue_update = call(
            "glue.amazonaws.com",
            "UpdateTable",
            json!({"databaseName": "TW_DB", "tableInput": {"name": "Events"}}),
        );
        assert_eq!(run(&glue_update), Some(Hit::noted(Target::GlueTable.note(true))));
        // A DynamoDB table ARN of another account or region, or an index under it, is not the table.
        for arn in [
            "arn:aws:dynamodb:us-east-1:999988887777:table/events",
            "arn:aws:dynamodb:eu-west-1:111122223333:table/events",
            "arn:aws:dynamodb:us-east-1:111122223333:table/events/index/by-time",
        ] {
            let r = call("dynamodb.amazonaws.com", "UpdateTable", json!({ "tableName": arn }));
            assert_eq!(run(&r), None, "{arn}");
        }
    }

    #[test]
    fn the_pipeline_role_passed_to_another_function_fires_its_own_function_does_not() {
        let create = |function: &str, role: &str| {
            run(&call(
                "lambda.amazonaws.com",
                "CreateFunction20150331",
                json!({"functionName": function, "role": role}),
            ))
        };
        let role = "arn:aws:iam::111122223333:role/tw-alerter-role";
        assert_eq!(create("helper", role), Some(Hit::noted(Target::RolePassed.note(true))));
        assert_eq!(
            create("helper", "arn:aws:iam::111122223333:role/ops/TW-Alerter-Role"),
            Some(Hit::noted(Target::RolePassed.note(true)))
        );
        assert_eq!(create("tw-alerter", role), None, "the first apply creates it");
        assert_eq!(create("helper", "arn:aws:iam::111122223333:role/helper"), None);
        assert_eq!(create("helper", "arn:aws:iam::999988887777:role/tw-alerter-role"), None);
        assert_eq!(create("helper", "tw-alerter-role"), None, "not an ARN");
        // The function's own configuration with its own role is a change to the function.
        let own = call(
            "lambda.amazonaws.com",
            "UpdateFunctionConfiguration20150331v2",
            json!({"functionName": "tw-alerter", "role": role}),
        );
        assert_eq!(run(&own), Some(Hit::noted(Target::Function.note(true))));
    }

    #[test]
    fn the_service_decides_what_a_shared_event_name_means() {
        // RemovePermission is both SNS's and Lambda's (unsuffixed) name.
        let sns = call(
            "sns.amazonaws.com",
            "RemovePermission",
            json!({"topicArn": "arn:aws:sns:us-east-1:111122223333:tw-alerts", "label": "x"}),
        );
        assert_eq!(run(&sns), Some(Hit::noted(Target::Topic.note(true))));
        let lambda = call("lambda.amazonaws.com", "RemovePermission", json!({"functionName": "tw-alerter"}));
        assert_eq!(run(&lambda), Some(Hit::noted(Target::Function.note(true))));
        // A listed name from a service it does not belong to.
        let odd = call("ec2.amazonaws.com", "DeleteTopic", json!({"topicArn": "arn:aws:sns:us-east-1:111122223333:tw-alerts"}));
        assert_eq!(run(&odd), None);
        // SNS AddPermission fires, Lambda AddPermission (any suffix) is not listed.
        let add = call(
            "lambda.amazonaws.com",
            "AddPermission20150331v2",
            json!({"functionName": "tw-alerter"}),
        );
        assert_eq!(run(&add), None);
    }
}
