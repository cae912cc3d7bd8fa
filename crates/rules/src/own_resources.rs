//! This deployment's own resources: the rules file's `[pipeline]` table, written by the Terraform module and
//! watched by the rule `trailwarden-pipeline-tampering`.
//!
//! ```toml
//! [pipeline]
//! resources = [
//!   "arn:aws:s3:::tw-cloudtrail-123456789012-us-east-1",                        # the log bucket
//!   "arn:aws:s3:::tw-cloudtrail-123456789012-us-east-1/trailwarden/rules.toml", # the rules file object
//!   "arn:aws:lambda:us-east-1:123456789012:function:tw-alerter",
//!   "arn:aws:iam::123456789012:role/tw-alerter-role",
//!   "arn:aws:sns:us-east-1:123456789012:tw-alerts",
//!   "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
//!   "arn:aws:cloudtrail:us-east-1:123456789012:trail/tw-trail",
//!   "arn:aws:cloudwatch:us-east-1:123456789012:alarm:tw-alerter-errors",
//!   "arn:aws:events:us-east-1:123456789012:rule/tw-pipeline-watchdog",
//!   "arn:aws:sqs:us-east-1:123456789012:tw-fast-path",                         # the fast-path queue (and its DLQ)
//!   "arn:aws:dynamodb:us-east-1:123456789012:table/tw-dedup",                  # the dedup/state table
//!   "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:a1b2c3d4-5678-90ab-cdef-111111111111",
//!   "arn:aws:athena:us-east-1:123456789012:workgroup/tw-hunt",
//!   "arn:aws:glue:us-east-1:123456789012:database/tw_cloudtrail",
//!   "arn:aws:glue:us-east-1:123456789012:table/tw_cloudtrail/events",
//!   "arn:aws:s3:::tw-cloudtrail-123456789012-us-east-1/trailwarden/findings/*", # every object under a prefix
//! ]
//! ```
//!
//! Each entry's kind is read from its ARN: an S3 bucket, object or object prefix (a key ending in `*`, the only
//! place a `*` may stand), a Lambda function or event source mapping, an IAM role, an SNS topic, a KMS key, a
//! CloudTrail trail, a CloudWatch alarm, an EventBridge rule, an SQS queue, a DynamoDB table, an Athena
//! workgroup, a Glue database or table. Any other ARN is an error ([`ArnError`]), reported by the rules file with
//! its line and column.

use std::collections::BTreeSet;

/// The fields of an ARN, `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, as written (the resource may itself
/// hold `:` and `/`; it is empty when the ARN stops after the account). The one place ARNs are split: the
/// `[pipeline]` entries here, and the ARNs the rules read from records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// `None` unless `arn` starts with `arn:` and has its partition, service, region and account fields.
    pub fn split(arn: &'a str) -> Option<Arn<'a>> {
        let mut parts = arn.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        Some(Arn {
            partition: parts.next()?,
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next().unwrap_or(""),
        })
    }
}

/// A named resource of one account (and region, for regional services), with the ARN it was configured as.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Named {
    /// The ARN as configured.
    pub arn: String,
    /// The 12-digit account id.
    pub account: String,
    /// The region; empty for global services (IAM).
    pub region: String,
    /// The name (a function, role, topic, trail, alarm or rule name; a KMS key id).
    pub name: String,
}

/// An S3 object: its bucket and key (as stored, not URL-encoded).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Object {
    pub bucket: String,
    pub key: String,
}

/// A Glue table: its database (account, region and database name, `arn` = the table's ARN) and table name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlueTable {
    /// The database: `name` is the database name, `arn` the configured table ARN.
    pub database: Named,
    /// The table name.
    pub table: String,
}

/// An EventBridge rule: the rule, and the name of its event bus (`default` unless the ARN names one).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventRule {
    pub rule: Named,
    pub bus: String,
}

/// This deployment's own resources, by kind. Empty = not configured (the tampering rule never fires).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnResources {
    /// S3 bucket names (the log bucket).
    pub buckets: BTreeSet<String>,
    /// S3 objects (the rules file).
    pub objects: BTreeSet<S3Object>,
    /// Lambda functions (unqualified).
    pub functions: BTreeSet<Named>,
    /// IAM roles; `name` is the role name without its path.
    pub roles: BTreeSet<Named>,
    /// SNS topics.
    pub topics: BTreeSet<Named>,
    /// KMS keys; `name` is the key id.
    pub keys: BTreeSet<Named>,
    /// CloudTrail trails.
    pub trails: BTreeSet<Named>,
    /// CloudWatch alarms.
    pub alarms: BTreeSet<Named>,
    /// EventBridge rules.
    pub event_rules: BTreeSet<EventRule>,
    /// S3 object prefixes (`arn:aws:s3:::BUCKET/PREFIX*`): `key` is the prefix without its `*`.
    pub object_prefixes: BTreeSet<S3Object>,
    /// SQS queues (the fast-path queue and its dead-letter queue).
    pub queues: BTreeSet<Named>,
    /// DynamoDB tables (the dedup/state table).
    pub tables: BTreeSet<Named>,
    /// Lambda event source mappings; `name` is the mapping's UUID.
    pub event_source_mappings: BTreeSet<Named>,
    /// Athena workgroups.
    pub workgroups: BTreeSet<Named>,
    /// Glue databases.
    pub glue_databases: BTreeSet<Named>,
    /// Glue tables.
    pub glue_tables: BTreeSet<GlueTable>,
}

/// A `[pipeline]` entry that is not the ARN of a supported resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// Not `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
    #[error("{arn:?} is not an ARN (arn:partition:service:region:account:resource)")]
    NotAnArn { arn: String },
    /// A service or resource type the pipeline does not have.
    #[error(
        "{arn:?} is not a pipeline resource (expected an S3 bucket, object or object prefix, Lambda function or \
         event source mapping, IAM role, SNS topic, KMS key, CloudTrail trail, CloudWatch alarm, EventBridge \
         rule, SQS queue, DynamoDB table, Athena workgroup, Glue database or Glue table ARN)"
    )]
    Unsupported { arn: String },
    /// A supported kind, written wrongly: says what is wrong.
    #[error("{arn:?}: {reason}")]
    Malformed { arn: String, reason: &'static str },
}

/// One parsed `[pipeline]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnResourceArn {
    Bucket(String),
    Object(S3Object),
    Function(Named),
    Role(Named),
    Topic(Named),
    Key(Named),
    Trail(Named),
    Alarm(Named),
    EventRule(EventRule),
    /// `arn:aws:s3:::BUCKET/PREFIX*`: every object whose key starts with `key`.
    ObjectPrefix(S3Object),
    Queue(Named),
    Table(Named),
    /// `name` is the mapping's UUID.
    EventSourceMapping(Named),
    Workgroup(Named),
    GlueDatabase(Named),
    GlueTable(GlueTable),
}

impl OwnResourceArn {
    /// Parses one ARN into its kind.
    pub fn parse(arn: &str) -> Result<OwnResourceArn, ArnError> {
        let not_an_arn = || ArnError::NotAnArn {
            arn: arn.to_owned(),
        };
        let malformed = |reason| ArnError::Malformed {
            arn: arn.to_owned(),
            reason,
        };
        let Some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        }) = Arn::split(arn)
        else {
            return Err(not_an_arn());
        };
        if !partition.starts_with("aws") || resource.is_empty() {
            return Err(not_an_arn());
        }
        let regional = |kind: &'static str, name: &str| -> Result<Named, ArnError> {
            if !is_region(region) {
                return Err(malformed(kind));
            }
            if !is_account(account) {
                return Err(malformed("the account must be a 12-digit account id"));
            }
            if name.is_empty() {
                return Err(malformed("the resource name is empty"));
            }
            Ok(Named {
                arn: arn.to_owned(),
                account: account.to_owned(),
                region: region.to_owned(),
                name: name.to_owned(),
            })
        };
        match service {
            "s3" => {
                if !region.is_empty() || !account.is_empty() {
                    return Err(malformed(
                        "an S3 bucket or object ARN has no region and no account (arn:aws:s3:::bucket[/key])",
                    ));
                }
                match resource.split_once('/') {
                    None if is_bucket(resource) => Ok(OwnResourceArn::Bucket(resource.to_owned())),
                    Some((bucket, key)) if is_bucket(bucket) && !key.is_empty() => {
                        match key.strip_suffix('*') {
                            None if !key.contains('*') => Ok(OwnResourceArn::Object(S3Object {
                                bucket: bucket.to_owned(),
                                key: key.to_owned(),
                            })),
                            Some(prefix) if !prefix.contains('*') => {
                                Ok(OwnResourceArn::ObjectPrefix(S3Object {
                                    bucket: bucket.to_owned(),
                                    key: prefix.to_owned(),
                                }))
                            }
                            _ => Err(malformed(
                                "an object key without wildcards, or a prefix with one `*` at its end \
                                 (arn:aws:s3:::bucket/prefix*)",
                            )),
                        }
                    }
                    _ => Err(malformed(
                        "not an S3 bucket name (3-63 of a-z 0-9 . -) or an object key without wildcards",
                    )),
                }
            }
            "lambda" => {
                if let Some(uuid) = resource.strip_prefix("event-source-mapping:") {
                    if !is_uuid(uuid) {
                        return Err(malformed(
                            "an event source mapping ARN ends in the mapping's UUID \
                             (event-source-mapping:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
                        ));
                    }
                    return Ok(OwnResourceArn::EventSourceMapping(regional(
                        "an event source mapping ARN needs a region",
                        uuid,
                    )?));
                }
                let name =
                    resource
                        .strip_prefix("function:")
                        .ok_or_else(|| ArnError::Unsupported {
                            arn: arn.to_owned(),
                        })?;
                if name.contains(':') {
                    return Err(malformed(
                        "a function ARN without a version or alias (the unqualified function)",
                    ));
                }
                Ok(OwnResourceArn::Function(regional(
                    "a Lambda function ARN needs a region",
                    name,
                )?))
            }
            "iam" => {
                let path = resource
                    .strip_prefix("role/")
                    .ok_or_else(|| ArnError::Unsupported {
                        arn: arn.to_owned(),
                    })?;
                if !region.is_empty() {
                    return Err(malformed(
                        "an IAM role ARN has no region (arn:aws:iam::ACCOUNT:role/NAME)",
                    ));
                }
                if !is_account(account) {
                    return Err(malformed("the account must be a 12-digit account id"));
                }
                let name = path.rsplit('/').next().unwrap_or_default();
                if name.is_empty() {
                    return Err(malformed("the role name is empty"));
                }
                Ok(OwnResourceArn::Role(Named {
                    arn: arn.to_owned(),
                    account: account.to_owned(),
                    region: String::new(),
                    name: name.to_owned(),
                }))
            }
            "sns" => {
                if resource.contains(':') {
                    return Err(malformed("a topic ARN, not a subscription ARN"));
                }
                Ok(OwnResourceArn::Topic(regional(
                    "an SNS topic ARN needs a region",
                    resource,
                )?))
            }
            "kms" => {
                let id = resource.strip_prefix("key/").ok_or_else(|| {
                    if resource.starts_with("alias/") {
                        malformed("a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), not an alias: an alias can be repointed")
                    } else {
                        ArnError::Unsupported {
                            arn: arn.to_owned(),
                        }
                    }
                })?;
                Ok(OwnResourceArn::Key(regional(
                    "a KMS key ARN needs a region",
                    id,
                )?))
            }
            "cloudtrail" => {
                let name =
                    resource
                        .strip_prefix("trail/")
                        .ok_or_else(|| ArnError::Unsupported {
                            arn: arn.to_owned(),
                        })?;
                Ok(OwnResourceArn::Trail(regional(
                    "a trail ARN needs a region",
                    name,
                )?))
            }
            "cloudwatch" => {
                let name =
                    resource
                        .strip_prefix("alarm:")
                        .ok_or_else(|| ArnError::Unsupported {
                            arn: arn.to_owned(),
                        })?;
                Ok(OwnResourceArn::Alarm(regional(
                    "an alarm ARN needs a region",
                    name,
                )?))
            }
            "events" => {
                let path = resource
                    .strip_prefix("rule/")
                    .ok_or_else(|| ArnError::Unsupported {
                        arn: arn.to_owned(),
                    })?;
                let (bus, name) = match path.split_once('/') {
                    Some((bus, name)) => (bus, name),
                    None => ("default", path),
                };
                if bus.is_empty() || name.contains('/') {
                    return Err(malformed(
                        "an EventBridge rule ARN is rule/NAME or rule/BUS/NAME",
                    ));
                }
                Ok(OwnResourceArn::EventRule(EventRule {
                    rule: regional("an EventBridge rule ARN needs a region", name)?,
                    bus: bus.to_owned(),
                }))
            }
            "sqs" => {
                if resource.contains(['/', ':']) {
                    return Err(malformed(
                        "an SQS queue ARN is arn:aws:sqs:REGION:ACCOUNT:NAME",
                    ));
                }
                Ok(OwnResourceArn::Queue(regional(
                    "an SQS queue ARN needs a region",
                    resource,
                )?))
            }
            "dynamodb" => {
                let name =
                    resource
                        .strip_prefix("table/")
                        .ok_or_else(|| ArnError::Unsupported {
                            arn: arn.to_owned(),
                        })?;
                if name.contains('/') {
                    return Err(malformed(
                        "a DynamoDB table ARN (table/NAME), not an index or stream ARN",
                    ));
                }
                Ok(OwnResourceArn::Table(regional(
                    "a DynamoDB table ARN needs a region",
                    name,
                )?))
            }
            "athena" => {
                let name =
                    resource
                        .strip_prefix("workgroup/")
                        .ok_or_else(|| ArnError::Unsupported {
                            arn: arn.to_owned(),
                        })?;
                if name.contains('/') {
                    return Err(malformed("an Athena workgroup ARN is workgroup/NAME"));
                }
                Ok(OwnResourceArn::Workgroup(regional(
                    "an Athena workgroup ARN needs a region",
                    name,
                )?))
            }
            "glue" => {
                if let Some(name) = resource.strip_prefix("database/") {
                    if name.contains('/') {
                        return Err(malformed("a Glue database ARN is database/DB"));
                    }
                    return Ok(OwnResourceArn::GlueDatabase(regional(
                        "a Glue database ARN needs a region",
                        name,
                    )?));
                }
                let path =
                    resource
                        .strip_prefix("table/")
                        .ok_or_else(|| ArnError::Unsupported {
                            arn: arn.to_owned(),
                        })?;
                match path.split_once('/') {
                    Some((db, table))
                        if !db.is_empty() && !table.is_empty() && !table.contains('/') =>
                    {
                        Ok(OwnResourceArn::GlueTable(GlueTable {
                            database: regional("a Glue table ARN needs a region", db)?,
                            table: table.to_owned(),
                        }))
                    }
                    _ => Err(malformed("a Glue table ARN is table/DB/TABLE")),
                }
            }
            _ => Err(ArnError::Unsupported {
                arn: arn.to_owned(),
            }),
        }
    }
}

impl OwnResources {
    /// Parses a list of ARNs (duplicates are kept once); the first one that is not a pipeline resource is the
    /// error.
    pub fn from_arns<'a>(
        arns: impl IntoIterator<Item = &'a str>,
    ) -> Result<OwnResources, ArnError> {
        let mut out = OwnResources::default();
        for arn in arns {
            out.insert(OwnResourceArn::parse(arn)?);
        }
        Ok(out)
    }

    /// Adds one parsed resource.
    pub fn insert(&mut self, resource: OwnResourceArn) {
        match resource {
            OwnResourceArn::Bucket(b) => {
                self.buckets.insert(b);
            }
            OwnResourceArn::Object(o) => {
                self.objects.insert(o);
            }
            OwnResourceArn::Function(f) => {
                self.functions.insert(f);
            }
            OwnResourceArn::Role(r) => {
                self.roles.insert(r);
            }
            OwnResourceArn::Topic(t) => {
                self.topics.insert(t);
            }
            OwnResourceArn::Key(k) => {
                self.keys.insert(k);
            }
            OwnResourceArn::Trail(t) => {
                self.trails.insert(t);
            }
            OwnResourceArn::Alarm(a) => {
                self.alarms.insert(a);
            }
            OwnResourceArn::EventRule(r) => {
                self.event_rules.insert(r);
            }
            OwnResourceArn::ObjectPrefix(o) => {
                self.object_prefixes.insert(o);
            }
            OwnResourceArn::Queue(q) => {
                self.queues.insert(q);
            }
            OwnResourceArn::Table(t) => {
                self.tables.insert(t);
            }
            OwnResourceArn::EventSourceMapping(m) => {
                self.event_source_mappings.insert(m);
            }
            OwnResourceArn::Workgroup(w) => {
                self.workgroups.insert(w);
            }
            OwnResourceArn::GlueDatabase(d) => {
                self.glue_databases.insert(d);
            }
            OwnResourceArn::GlueTable(t) => {
                self.glue_tables.insert(t);
            }
        }
    }

    /// No resource configured: the tampering rule is off.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many resources are configured.
    pub fn len(&self) -> usize {
        self.buckets.len()
            + self.objects.len()
            + self.functions.len()
            + self.roles.len()
            + self.topics.len()
            + self.keys.len()
            + self.trails.len()
            + self.alarms.len()
            + self.event_rules.len()
            + self.object_prefixes.len()
            + self.queues.len()
            + self.tables.len()
            + self.event_source_mappings.len()
            + self.workgroups.len()
            + self.glue_databases.len()
            + self.glue_tables.len()
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_region(s: &str) -> bool {
    s.split('-').count() >= 3
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A UUID as Lambda writes event source mapping ids: 8-4-4-4-12 hex digits (either case).
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// An S3 bucket name as S3 allows it today: 3-63 characters of `a-z`, `0-9`, `.` and `-`.
fn is_bucket(s: &str) -> bool {
    (3..=63).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(arn: &str, account: &str, region: &str, name: &str) -> Named {
        Named {
            arn: arn.to_owned(),
            account: account.to_owned(),
            region: region.to_owned(),
            name: name.to_owned(),
        }
    }

    #[test]
    fn every_kind_of_the_contract_parses() {
        let arns = [
            "arn:aws:s3:::tw-cloudtrail-123456789012-us-east-1",
            "arn:aws:s3:::tw-cloudtrail-123456789012-us-east-1/trailwarden/rules.toml",
            "arn:aws:lambda:us-east-1:123456789012:function:tw-alerter",
            "arn:aws:iam::123456789012:role/service/tw-alerter-role",
            "arn:aws:sns:us-east-1:123456789012:tw-alerts",
            "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/tw-trail",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:tw-alerter-errors",
            "arn:aws:events:us-east-1:123456789012:rule/tw-pipeline-watchdog",
            "arn:aws:events:us-east-1:123456789012:rule/ops-bus/tw-other",
            // A duplicate is kept once.
            "arn:aws:sns:us-east-1:123456789012:tw-alerts",
        ];
        let p = OwnResources::from_arns(arns).unwrap();
        assert_eq!(p.len(), 10);
        assert!(!p.is_empty());
        assert!(p.buckets.contains("tw-cloudtrail-123456789012-us-east-1"));
        assert!(p.objects.contains(&S3Object {
            bucket: "tw-cloudtrail-123456789012-us-east-1".into(),
            key: "trailwarden/rules.toml".into(),
        }));
        assert!(p
            .functions
            .contains(&named(arns[2], "123456789012", "us-east-1", "tw-alerter")));
        assert!(p
            .roles
            .contains(&named(arns[3], "123456789012", "", "tw-alerter-role")));
        assert!(p.keys.contains(&named(
            arns[5],
            "123456789012",
            "us-east-1",
            "1234abcd-12ab-34cd-56ef-1234567890ab"
        )));
        assert!(p.alarms.iter().any(|a| a.name == "tw-alerter-errors"));
        let buses: Vec<(&str, &str)> = p
            .event_rules
            .iter()
            .map(|r| (r.bus.as_str(), r.rule.name.as_str()))
            .collect();
        assert_eq!(
            buses,
            [("ops-bus", "tw-other"), ("default", "tw-pipeline-watchdog")]
        );
        assert!(OwnResources::default().is_empty());
    }

    #[test]
    fn the_fast_path_and_history_kinds_parse() {
        let arns = [
            "arn:aws:sqs:us-east-1:123456789012:tw-fast-path",
            "arn:aws:sqs:us-east-1:123456789012:tw-fast-path-dlq",
            "arn:aws:dynamodb:us-east-1:123456789012:table/tw-dedup",
            "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:a1b2c3d4-5678-90ab-cdef-111111111111",
            "arn:aws:athena:us-east-1:123456789012:workgroup/tw-hunt",
            "arn:aws:glue:us-east-1:123456789012:database/tw_cloudtrail",
            "arn:aws:glue:us-east-1:123456789012:table/tw_cloudtrail/events",
            "arn:aws:s3:::tw-logs/trailwarden/findings/*",
            "arn:aws:s3:::tw-logs/athena-results/*",
            // A bare `*`: every object of the bucket.
            "arn:aws:s3:::tw-archive/*",
        ];
        for arn in arns {
            OwnResourceArn::parse(arn).unwrap_or_else(|e| panic!("{arn}: {e}"));
        }
        assert_eq!(
            OwnResourceArn::parse(arns[0]).unwrap(),
            OwnResourceArn::Queue(named(arns[0], "123456789012", "us-east-1", "tw-fast-path"))
        );
        assert_eq!(
            OwnResourceArn::parse(arns[2]).unwrap(),
            OwnResourceArn::Table(named(arns[2], "123456789012", "us-east-1", "tw-dedup"))
        );
        assert_eq!(
            OwnResourceArn::parse(arns[3]).unwrap(),
            OwnResourceArn::EventSourceMapping(named(
                arns[3],
                "123456789012",
                "us-east-1",
                "a1b2c3d4-5678-90ab-cdef-111111111111"
            ))
        );
        assert_eq!(
            OwnResourceArn::parse(arns[4]).unwrap(),
            OwnResourceArn::Workgroup(named(arns[4], "123456789012", "us-east-1", "tw-hunt"))
        );
        assert_eq!(
            OwnResourceArn::parse(arns[5]).unwrap(),
            OwnResourceArn::GlueDatabase(named(
                arns[5],
                "123456789012",
                "us-east-1",
                "tw_cloudtrail"
            ))
        );
        assert_eq!(
            OwnResourceArn::parse(arns[6]).unwrap(),
            OwnResourceArn::GlueTable(GlueTable {
                database: named(arns[6], "123456789012", "us-east-1", "tw_cloudtrail"),
                table: "events".into(),
            })
        );
        let p = OwnResources::from_arns(arns).unwrap();
        assert_eq!(p.len(), arns.len());
        assert_eq!(p.queues.len(), 2);
        assert_eq!(p.tables.len(), 1);
        assert_eq!(p.event_source_mappings.len(), 1);
        assert_eq!(p.workgroups.len(), 1);
        assert_eq!(p.glue_databases.len(), 1);
        assert_eq!(p.glue_tables.len(), 1);
        let prefixes: Vec<(&str, &str)> = p
            .object_prefixes
            .iter()
            .map(|o| (o.bucket.as_str(), o.key.as_str()))
            .collect();
        assert_eq!(
            prefixes,
            [
                ("tw-archive", ""),
                ("tw-logs", "athena-results/"),
                ("tw-logs", "trailwarden/findings/"),
            ]
        );
        // A prefix is not an object, nor an object a prefix.
        assert!(p.objects.is_empty());
    }

    #[test]
    fn other_kinds_and_broken_arns_are_errors() {
        for (arn, want) in [
            ("tw-alerts", "is not an ARN"),
            ("arn:aws:sns:us-east-1:123456789012", "is not an ARN"),
            (
                "arn:aws:iam::123456789012:user/alice",
                "is not a pipeline resource",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:layer:x",
                "is not a pipeline resource",
            ),
            (
                "arn:aws:lambda:us-east-1:123456789012:function:tw-alerter:1",
                "without a version",
            ),
            (
                "arn:aws:lambda::123456789012:function:tw-alerter",
                "needs a region",
            ),
            (
                "arn:aws:lambda:us-east-1:1234:function:tw-alerter",
                "12-digit",
            ),
            (
                "arn:aws:s3:us-east-1:123456789012:bucket",
                "no region and no account",
            ),
            ("arn:aws:s3:::Not_A_Bucket", "not an S3 bucket name"),
            ("arn:aws:s3:::tw-logs/AWSLogs/*/x", "one `*` at its end"),
            ("arn:aws:s3:::tw-logs/AWS*Logs/*", "one `*` at its end"),
            ("arn:aws:s3:::tw-logs/**", "one `*` at its end"),
            (
                "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc",
                "is not a pipeline resource",
            ),
            ("arn:aws:sqs::123456789012:tw-dlq", "needs a region"),
            ("arn:aws:sqs:us-east-1:1234:tw-dlq", "12-digit"),
            ("arn:aws:sqs:us-east-1:123456789012:a/b", "arn:aws:sqs:REGION"),
            (
                "arn:aws:dynamodb:us-east-1:123456789012:table/tw-dedup/stream/2026-01-01T00:00:00.000",
                "not an index or stream",
            ),
            (
                "arn:aws:dynamodb:us-east-1:123456789012:global-table/tw",
                "is not a pipeline resource",
            ),
            ("arn:aws:dynamodb::123456789012:table/tw-dedup", "needs a region"),
            ("arn:aws:dynamodb:us-east-1:123456789012:table/", "name is empty"),
            (
                "arn:aws:lambda:us-east-1:123456789012:event-source-mapping:not-a-uuid",
                "mapping's UUID",
            ),
            (
                "arn:aws:lambda::123456789012:event-source-mapping:a1b2c3d4-5678-90ab-cdef-111111111111",
                "needs a region",
            ),
            (
                "arn:aws:athena:us-east-1:123456789012:datacatalog/x",
                "is not a pipeline resource",
            ),
            ("arn:aws:athena:us-east-1:123456789012:workgroup/a/b", "workgroup/NAME"),
            ("arn:aws:glue:us-east-1:123456789012:database/a/b", "database/DB"),
            ("arn:aws:glue:us-east-1:123456789012:table/db", "table/DB/TABLE"),
            ("arn:aws:glue:us-east-1:123456789012:table/db/", "table/DB/TABLE"),
            ("arn:aws:glue:us-east-1:123456789012:table/db/t/x", "table/DB/TABLE"),
            (
                "arn:aws:glue:us-east-1:123456789012:catalog",
                "is not a pipeline resource",
            ),
            ("arn:aws:glue:us-east-1:12:database/db", "12-digit"),
            (
                "arn:aws:kms:us-east-1:123456789012:alias/tw",
                "not an alias",
            ),
            ("arn:aws:iam:us-east-1:123456789012:role/x", "no region"),
            (
                "arn:aws:sns:us-east-1:123456789012:tw-alerts:0f1e",
                "not a subscription",
            ),
            (
                "arn:aws:events:us-east-1:123456789012:rule/a/b/c",
                "rule/NAME",
            ),
        ] {
            let e = OwnResourceArn::parse(arn).unwrap_err().to_string();
            assert!(e.contains(want), "{arn}: {e}");
        }
    }
}
