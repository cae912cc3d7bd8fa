//! The hunting queries of `trailwarden hunt`: small, pure aggregations over [`cloudtrail::Record`]s.
//!
//! Each query has a cheap filter ([`Query::wants`], run by the threads that read files, so only the records a
//! query needs travel to the aggregation) and an aggregation ([`Hunt::add`], then [`Hunt::finish`]) that
//! gives typed rows. Rows print as a table (their [`TableRow::cells`]) or as one JSON array (their serde
//! form). Times are CloudTrail's `eventTime` strings (UTC, `…Z`), which sort as text.

use cloudtrail::Record;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// IAM calls that change a policy: the CIS 4.4 event names, plus `UpdateAssumeRolePolicy` (who may assume a
/// role) and `SetDefaultPolicyVersion` (which version of a managed policy is in force).
pub const POLICY_CHANGES: &[&str] = &[
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "UpdateAssumeRolePolicy",
    "SetDefaultPolicyVersion",
];

/// Security-group changes: the CIS 4.10 event names, plus `ModifySecurityGroupRules` (CIS v5.0+).
pub const SG_CHANGES: &[&str] = &[
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
    "ModifySecurityGroupRules",
];

/// A hunting question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// Calls per region; regions outside `allowed` (when given) are flagged.
    Regions { allowed: Option<BTreeSet<String>> },
    /// Callers and their call counts.
    Identities,
    /// Console sign-ins.
    Signins,
    /// IAM policy changes.
    PolicyChanges,
    /// Security-group changes.
    SgChanges,
    /// Every call made with one access key.
    AccessKey(String),
    /// Calls from other accounts (caller account ≠ recipient account); `trusted` accounts are marked.
    External { trusted: BTreeSet<String> },
}

impl Query {
    /// Whether the aggregation needs this record at all.
    pub fn wants(&self, r: &Record) -> bool {
        let name = r.event_name.as_deref();
        let source = r.event_source.as_deref();
        match self {
            Query::Regions { .. } | Query::Identities => true,
            Query::Signins => name == Some("ConsoleLogin"),
            Query::PolicyChanges => {
                source == Some("iam.amazonaws.com")
                    && name.is_some_and(|n| POLICY_CHANGES.contains(&n))
            }
            Query::SgChanges => {
                source == Some("ec2.amazonaws.com") && name.is_some_and(|n| SG_CHANGES.contains(&n))
            }
            Query::AccessKey(key) => {
                identity(r, |i| i.access_key_id.as_deref()) == Some(key.as_str())
            }
            Query::External { .. } => external(r).is_some(),
        }
    }
}

/// A row type: its table header and cells (the JSON form is its serde serialization).
pub trait TableRow: Serialize {
    const HEADER: &'static [&'static str];
    fn cells(&self) -> Vec<String>;
}

/// A finished hunt, ready to print.
#[derive(Debug, Default)]
pub struct Report {
    pub header: Vec<&'static str>,
    pub cells: Vec<Vec<String>>,
    /// Each row as a JSON object, its fields in the row type's order.
    pub json: Vec<Box<RawValue>>,
}

impl Report {
    fn of<R: TableRow>(rows: Vec<R>) -> Report {
        Report {
            header: R::HEADER.to_vec(),
            cells: rows.iter().map(TableRow::cells).collect(),
            // Serializing plain structs of strings and numbers cannot fail; `null` would show if it did.
            json: rows
                .iter()
                .map(|r| {
                    serde_json::value::to_raw_value(r)
                        .or_else(|_| RawValue::from_string("null".to_owned()))
                        .unwrap_or_default()
                })
                .collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.json.len()
    }
}

/// The aggregation state of a query.
#[derive(Debug)]
pub enum Hunt {
    Regions {
        allowed: Option<BTreeSet<String>>,
        by_region: BTreeMap<String, RegionAcc>,
    },
    Identities(BTreeMap<(String, String, String), IdentityAcc>),
    Signins(Vec<SigninRow>),
    PolicyChanges(Vec<PolicyChangeRow>),
    SgChanges(Vec<SgChangeRow>),
    AccessKey(Vec<CallRow>),
    External {
        trusted: BTreeSet<String>,
        by_call: BTreeMap<(String, String, String, String), ExternalAcc>,
    },
}

impl Hunt {
    pub fn new(query: &Query) -> Hunt {
        match query {
            Query::Regions { allowed } => Hunt::Regions {
                allowed: allowed.clone(),
                by_region: BTreeMap::new(),
            },
            Query::Identities => Hunt::Identities(BTreeMap::new()),
            Query::Signins => Hunt::Signins(Vec::new()),
            Query::PolicyChanges => Hunt::PolicyChanges(Vec::new()),
            Query::SgChanges => Hunt::SgChanges(Vec::new()),
            Query::AccessKey(_) => Hunt::AccessKey(Vec::new()),
            Query::External { trusted } => Hunt::External {
                trusted: trusted.clone(),
                by_call: BTreeMap::new(),
            },
        }
    }

    /// Adds a record the query wants (see [`Query::wants`]; the caller filters).
    pub fn add(&mut self, r: &Record) {
        match self {
            Hunt::Regions { by_region, .. } => {
                let region = r.aws_region.clone().unwrap_or_else(|| NONE.to_owned());
                let acc = by_region.entry(region).or_default();
                acc.seen.add(r);
                if let Some(p) = r.principal() {
                    acc.identities.insert(p.to_owned());
                }
            }
            Hunt::Identities(by_identity) => {
                let (kind, name) = caller(r);
                let account = identity(r, |i| i.account_id.as_deref())
                    .unwrap_or(NONE)
                    .to_owned();
                let acc = by_identity.entry((kind, name, account)).or_default();
                acc.seen.add(r);
                if let Some(k) = identity(r, |i| i.access_key_id.as_deref()) {
                    acc.access_keys.insert(k.to_owned());
                }
                if let Some(ip) = &r.source_ip_address {
                    acc.source_ips.insert(ip.clone());
                }
                if r.identity_type() == Some("AssumedRole") {
                    if let Some(arn) = identity(r, |i| i.arn.as_deref()) {
                        acc.sessions.insert(arn.to_owned());
                    }
                }
            }
            Hunt::Signins(rows) => rows.push(SigninRow::new(r)),
            Hunt::PolicyChanges(rows) => rows.push(PolicyChangeRow::new(r)),
            Hunt::SgChanges(rows) => rows.push(SgChangeRow::new(r)),
            Hunt::AccessKey(rows) => rows.push(CallRow::new(r)),
            Hunt::External { by_call, .. } => {
                let Some((caller_account, recipient)) = external(r) else {
                    return;
                };
                let key = (
                    caller_account.to_owned(),
                    recipient.to_owned(),
                    r.event_source.clone().unwrap_or_else(|| NONE.to_owned()),
                    r.event_name.clone().unwrap_or_else(|| NONE.to_owned()),
                );
                let acc = by_call.entry(key).or_default();
                acc.seen.add(r);
                if denied(r) {
                    acc.denied += 1;
                }
                acc.principals.insert(caller(r).1);
            }
        }
    }

    /// The rows, in their order: most calls first for counts, by time for lists of calls.
    pub fn finish(self) -> Report {
        match self {
            Hunt::Regions { allowed, by_region } => {
                let mut rows: Vec<RegionRow> = by_region
                    .into_iter()
                    .map(|(region, acc)| RegionRow {
                        allowed: allowed.as_ref().map(|a| a.contains(&region)),
                        region,
                        calls: acc.seen.calls,
                        errors: acc.seen.errors,
                        identities: acc.identities.len() as u64,
                        first_seen: acc.seen.first,
                        last_seen: acc.seen.last,
                    })
                    .collect();
                rows.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.region.cmp(&b.region)));
                Report::of(rows)
            }
            Hunt::Identities(by_identity) => {
                let mut rows: Vec<IdentityRow> = by_identity
                    .into_iter()
                    .map(|((kind, principal, account), acc)| IdentityRow {
                        kind,
                        principal,
                        account,
                        calls: acc.seen.calls,
                        errors: acc.seen.errors,
                        first_seen: acc.seen.first,
                        last_seen: acc.seen.last,
                        sessions: acc.sessions.len() as u64,
                        access_keys: acc.access_keys.into_iter().collect(),
                        source_ips: acc.source_ips.into_iter().collect(),
                    })
                    .collect();
                rows.sort_by(|a, b| {
                    b.calls
                        .cmp(&a.calls)
                        .then_with(|| a.principal.cmp(&b.principal))
                });
                Report::of(rows)
            }
            Hunt::Signins(rows) => Report::of(by_time(rows, |r| &r.time)),
            Hunt::PolicyChanges(rows) => Report::of(by_time(rows, |r| &r.time)),
            Hunt::SgChanges(rows) => Report::of(by_time(rows, |r| &r.time)),
            Hunt::AccessKey(rows) => Report::of(by_time(rows, |r| &r.time)),
            Hunt::External { trusted, by_call } => {
                let rows: Vec<ExternalRow> = by_call
                    .into_iter()
                    .map(
                        |((caller_account, recipient_account, source, event), acc)| ExternalRow {
                            trusted: trusted.contains(&caller_account),
                            caller_account,
                            recipient_account,
                            event_source: source,
                            event,
                            calls: acc.seen.calls,
                            denied: acc.denied,
                            errors: acc.seen.errors,
                            principals: acc.principals.into_iter().collect(),
                            first_seen: acc.seen.first,
                            last_seen: acc.seen.last,
                        },
                    )
                    .collect();
                Report::of(rows)
            }
        }
    }
}

/// Runs a query over records.
#[cfg(test)]
pub fn run<'a>(query: &Query, records: impl IntoIterator<Item = &'a Record>) -> Report {
    let mut hunt = Hunt::new(query);
    for r in records {
        if query.wants(r) {
            hunt.add(r);
        }
    }
    hunt.finish()
}

/// Shown for a missing value.
const NONE: &str = "-";

fn identity<'r>(
    r: &'r Record,
    field: impl FnOnce(&'r cloudtrail::UserIdentity) -> Option<&'r str>,
) -> Option<&'r str> {
    r.user_identity.as_ref().and_then(field)
}

/// The caller as (type, name): an assumed role is named by its role (the session issuer), so every session
/// of a role is one identity; others by ARN, else principal id, user name, invoking service.
fn caller(r: &Record) -> (String, String) {
    let kind = r.identity_type().unwrap_or(NONE).to_owned();
    let role = r
        .user_identity
        .as_ref()
        .and_then(|i| i.session_context.as_ref())
        .and_then(|c| c.session_issuer.as_ref())
        .and_then(|issuer| issuer.get("arn"))
        .and_then(Value::as_str)
        .filter(|_| kind == "AssumedRole");
    let name = role.or_else(|| r.principal()).unwrap_or(NONE).to_owned();
    (kind, name)
}

/// (caller account, recipient account) when they differ.
fn external(r: &Record) -> Option<(&str, &str)> {
    let caller = identity(r, |i| i.account_id.as_deref())?;
    let recipient = r.recipient_account_id.as_deref()?;
    (caller != recipient).then_some((caller, recipient))
}

/// An authorization failure, as CIS 4.1 counts them.
fn denied(r: &Record) -> bool {
    r.error_code
        .as_deref()
        .is_some_and(|c| c.starts_with("AccessDenied") || c.ends_with("UnauthorizedOperation"))
}

/// `ok`, or the error code (or message).
fn result(r: &Record) -> String {
    r.error_code
        .clone()
        .or_else(|| r.error_message.clone())
        .unwrap_or_else(|| "ok".to_owned())
}

fn or_dash(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| NONE.to_owned())
}

fn by_time<R>(mut rows: Vec<R>, time: impl Fn(&R) -> &Option<String>) -> Vec<R> {
    // Stable: calls with the same time stay in file order.
    rows.sort_by(|a, b| time(a).cmp(time(b)));
    rows
}

/// Calls, errors, first and last `eventTime`.
#[derive(Debug, Default)]
pub struct Seen {
    calls: u64,
    errors: u64,
    first: Option<String>,
    last: Option<String>,
}

impl Seen {
    fn add(&mut self, r: &Record) {
        self.calls += 1;
        if !r.succeeded() {
            self.errors += 1;
        }
        if let Some(t) = &r.event_time {
            if self.first.as_ref().is_none_or(|f| t < f) {
                self.first = Some(t.clone());
            }
            if self.last.as_ref().is_none_or(|l| t > l) {
                self.last = Some(t.clone());
            }
        }
    }
}

#[derive(Debug, Default)]
pub struct RegionAcc {
    seen: Seen,
    identities: BTreeSet<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RegionRow {
    pub region: String,
    pub calls: u64,
    pub errors: u64,
    /// Distinct callers.
    pub identities: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Whether the region is in the allow-list; `null` without one.
    pub allowed: Option<bool>,
}

impl TableRow for RegionRow {
    const HEADER: &'static [&'static str] = &[
        "region",
        "calls",
        "errors",
        "identities",
        "first seen",
        "last seen",
        "allow-list",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.region.clone(),
            self.calls.to_string(),
            self.errors.to_string(),
            self.identities.to_string(),
            or_dash(&self.first_seen),
            or_dash(&self.last_seen),
            match self.allowed {
                None => NONE.to_owned(),
                Some(true) => "allowed".to_owned(),
                Some(false) => "OUTSIDE".to_owned(),
            },
        ]
    }
}

#[derive(Debug, Default)]
pub struct IdentityAcc {
    seen: Seen,
    access_keys: BTreeSet<String>,
    source_ips: BTreeSet<String>,
    sessions: BTreeSet<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct IdentityRow {
    /// `userIdentity.type`: IAMUser, AssumedRole, Root, AWSService, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The ARN (the role's ARN for assumed roles), else principal id, user name or invoking service.
    pub principal: String,
    /// `userIdentity.accountId`.
    pub account: String,
    pub calls: u64,
    pub errors: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Distinct role sessions (assumed roles only).
    pub sessions: u64,
    pub access_keys: Vec<String>,
    pub source_ips: Vec<String>,
}

impl TableRow for IdentityRow {
    const HEADER: &'static [&'static str] = &[
        "type",
        "principal",
        "account",
        "calls",
        "errors",
        "first seen",
        "last seen",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.kind.clone(),
            self.principal.clone(),
            self.account.clone(),
            self.calls.to_string(),
            self.errors.to_string(),
            or_dash(&self.first_seen),
            or_dash(&self.last_seen),
        ]
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SigninRow {
    pub time: Option<String>,
    pub principal: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub account: Option<String>,
    /// `responseElements.ConsoleLogin`: `Success` or `Failure`.
    pub result: Option<String>,
    /// `additionalEventData.MFAUsed`: `Yes` or `No`.
    pub mfa_used: Option<String>,
    pub source_ip: Option<String>,
    /// e.g. `Failed authentication`.
    pub error: Option<String>,
    pub user_agent: Option<String>,
    pub event_id: Option<String>,
}

impl SigninRow {
    fn new(r: &Record) -> SigninRow {
        let result = r
            .response_elements
            .as_ref()
            .and_then(|v| v.get("ConsoleLogin"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| (!r.succeeded()).then(|| "Failure".to_owned()));
        let (kind, principal) = caller(r);
        SigninRow {
            time: r.event_time.clone(),
            principal,
            kind,
            account: r.account_id().map(str::to_owned),
            result,
            mfa_used: r.mfa_used().map(str::to_owned),
            source_ip: r.source_ip_address.clone(),
            error: r.error_message.clone().or_else(|| r.error_code.clone()),
            user_agent: r.user_agent.clone(),
            event_id: r.event_id.clone(),
        }
    }
}

impl TableRow for SigninRow {
    const HEADER: &'static [&'static str] = &[
        "time",
        "principal",
        "type",
        "result",
        "MFA",
        "source ip",
        "error",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            or_dash(&self.time),
            self.principal.clone(),
            self.kind.clone(),
            or_dash(&self.result),
            or_dash(&self.mfa_used),
            or_dash(&self.source_ip),
            or_dash(&self.error),
        ]
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct PolicyChangeRow {
    pub time: Option<String>,
    pub event: String,
    pub principal: String,
    /// The user, role or group and the policy, from `requestParameters`, e.g.
    /// `user malicious-iam-user, policy arn:aws:iam::aws:policy/AdministratorAccess`.
    pub target: String,
    /// `ok` or the error code.
    pub result: String,
    pub source_ip: Option<String>,
    pub region: Option<String>,
    pub event_id: Option<String>,
}

impl PolicyChangeRow {
    fn new(r: &Record) -> PolicyChangeRow {
        let params = r.request_parameters.as_ref();
        let field = |k: &str| params.and_then(|p| p.get(k)).and_then(Value::as_str);
        let target: Vec<String> = [
            ("user", "userName"),
            ("role", "roleName"),
            ("group", "groupName"),
            ("policy", "policyArn"),
            ("policy", "policyName"),
            ("version", "versionId"),
        ]
        .into_iter()
        .filter_map(|(label, k)| field(k).map(|v| format!("{label} {v}")))
        .collect();
        PolicyChangeRow {
            time: r.event_time.clone(),
            event: r.event_name.clone().unwrap_or_default(),
            principal: caller(r).1,
            target: if target.is_empty() {
                NONE.to_owned()
            } else {
                target.join(", ")
            },
            result: result(r),
            source_ip: r.source_ip_address.clone(),
            region: r.aws_region.clone(),
            event_id: r.event_id.clone(),
        }
    }
}

impl TableRow for PolicyChangeRow {
    const HEADER: &'static [&'static str] = &[
        "time",
        "event",
        "principal",
        "target",
        "result",
        "source ip",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            or_dash(&self.time),
            self.event.clone(),
            self.principal.clone(),
            self.target.clone(),
            self.result.clone(),
            or_dash(&self.source_ip),
        ]
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct SgChangeRow {
    pub time: Option<String>,
    pub event: String,
    /// The group id (or name, for a group created or deleted by name).
    pub group: String,
    /// The rules changed, from `requestParameters`, e.g. `tcp 22 from 0.0.0.0/0`; empty when the call names
    /// no rule (create, delete, rules by id).
    pub rules: String,
    pub principal: String,
    pub result: String,
    pub source_ip: Option<String>,
    pub region: Option<String>,
    pub event_id: Option<String>,
}

impl SgChangeRow {
    fn new(r: &Record) -> SgChangeRow {
        let params = r.request_parameters.as_ref();
        let str_at = |v: Option<&Value>, k: &str| {
            v.and_then(|v| v.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let modify = params.and_then(|p| p.get("ModifySecurityGroupRulesRequest"));
        let group = str_at(params, "groupId")
            .or_else(|| str_at(modify, "GroupId"))
            .or_else(|| str_at(r.response_elements.as_ref(), "groupId"))
            .or_else(|| str_at(params, "groupName"))
            .unwrap_or_else(|| NONE.to_owned());
        SgChangeRow {
            time: r.event_time.clone(),
            event: r.event_name.clone().unwrap_or_default(),
            group,
            rules: params.map(sg_rules).unwrap_or_default(),
            principal: caller(r).1,
            result: result(r),
            source_ip: r.source_ip_address.clone(),
            region: r.aws_region.clone(),
            event_id: r.event_id.clone(),
        }
    }
}

impl TableRow for SgChangeRow {
    const HEADER: &'static [&'static str] =
        &["time", "event", "group", "rules", "principal", "result"];
    fn cells(&self) -> Vec<String> {
        vec![
            or_dash(&self.time),
            self.event.clone(),
            self.group.clone(),
            if self.rules.is_empty() {
                NONE.to_owned()
            } else {
                self.rules.clone()
            },
            self.principal.clone(),
            self.result.clone(),
        ]
    }
}

/// The `items` of a CloudTrail list (`{"items": [...]}`), or nothing.
fn items(v: Option<&Value>) -> &[Value] {
    v.and_then(|v| v.get("items"))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `tcp 22`, `udp 1000-2000`, `all`, `icmp`.
fn protocol_ports(v: &Value) -> String {
    let proto = match v.get("ipProtocol").and_then(|p| {
        p.as_str()
            .map(str::to_owned)
            .or_else(|| p.as_i64().map(|n| n.to_string()))
    }) {
        Some(p) if p == "-1" => return "all".to_owned(),
        Some(p) => p,
        None => return "?".to_owned(),
    };
    let port = |k: &str| v.get(k).and_then(Value::as_i64);
    match (port("fromPort"), port("toPort")) {
        (Some(a), Some(b)) if a == b => format!("{proto} {a}"),
        (Some(-1), Some(-1)) | (None, None) => proto,
        (Some(a), Some(b)) => format!("{proto} {a}-{b}"),
        (Some(a), None) | (None, Some(a)) => format!("{proto} {a}"),
    }
}

/// A summary of the rules of an Authorize/Revoke call, from both shapes CloudTrail records: the
/// `ipPermissions.items` list, and the flat `cidrIp`/`ipProtocol`/`fromPort`/`toPort` form.
fn sg_rules(params: &Value) -> String {
    let mut rules = Vec::new();
    for perm in items(params.get("ipPermissions")) {
        let mut sources: Vec<String> = Vec::new();
        for (list, key) in [
            ("ipRanges", "cidrIp"),
            ("ipv6Ranges", "cidrIpv6"),
            ("groups", "groupId"),
            ("prefixListIds", "prefixListId"),
        ] {
            sources.extend(
                items(perm.get(list))
                    .iter()
                    .filter_map(|i| i.get(key).and_then(Value::as_str))
                    .map(str::to_owned),
            );
        }
        let what = protocol_ports(perm);
        rules.push(if sources.is_empty() {
            what
        } else {
            format!("{what} from {}", sources.join(", "))
        });
    }
    if params.get("ipProtocol").is_some() || params.get("cidrIp").is_some() {
        let what = protocol_ports(params);
        let source = [
            "cidrIp",
            "cidrIpv6",
            "sourceSecurityGroupName",
            "sourceSecurityGroupId",
        ]
        .iter()
        .find_map(|k| params.get(*k).and_then(Value::as_str));
        rules.push(match source {
            Some(s) => format!("{what} from {s}"),
            None => what,
        });
    }
    for id in items(params.get("securityGroupRuleIds")) {
        if let Some(id) = id.get("securityGroupRuleId").and_then(Value::as_str) {
            rules.push(format!("rule {id}"));
        }
    }
    rules.join("; ")
}

/// One call (for `access-key`).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CallRow {
    pub time: Option<String>,
    pub event: Option<String>,
    /// `eventSource`, e.g. `iam.amazonaws.com`.
    pub source: Option<String>,
    pub region: Option<String>,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The error code; `null` for a call that succeeded.
    pub error: Option<String>,
    pub principal: Option<String>,
    pub event_id: Option<String>,
}

impl CallRow {
    fn new(r: &Record) -> CallRow {
        CallRow {
            time: r.event_time.clone(),
            event: r.event_name.clone(),
            source: r.event_source.clone(),
            region: r.aws_region.clone(),
            source_ip: r.source_ip_address.clone(),
            user_agent: r.user_agent.clone(),
            error: r.error_code.clone(),
            principal: r.principal().map(str::to_owned),
            event_id: r.event_id.clone(),
        }
    }
}

impl TableRow for CallRow {
    const HEADER: &'static [&'static str] = &[
        "time",
        "event",
        "source",
        "region",
        "source ip",
        "user agent",
        "error",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            or_dash(&self.time),
            or_dash(&self.event),
            or_dash(&self.source),
            or_dash(&self.region),
            or_dash(&self.source_ip),
            or_dash(&self.user_agent),
            or_dash(&self.error),
        ]
    }
}

#[derive(Debug, Default)]
pub struct ExternalAcc {
    seen: Seen,
    denied: u64,
    principals: BTreeSet<String>,
}

/// Calls of one event from one outside account.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ExternalRow {
    /// `userIdentity.accountId`.
    pub caller_account: String,
    /// `recipientAccountId`.
    pub recipient_account: String,
    pub event_source: String,
    pub event: String,
    pub calls: u64,
    /// Calls refused (`AccessDenied*`, `*UnauthorizedOperation`).
    pub denied: u64,
    pub errors: u64,
    pub principals: Vec<String>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The caller account is in the config file's `trusted_accounts`.
    pub trusted: bool,
}

impl TableRow for ExternalRow {
    const HEADER: &'static [&'static str] = &[
        "caller account",
        "recipient",
        "event",
        "calls",
        "denied",
        "principals",
        "first seen",
        "last seen",
    ];
    fn cells(&self) -> Vec<String> {
        let caller = if self.trusted {
            format!("{} (trusted)", self.caller_account)
        } else {
            self.caller_account.clone()
        };
        vec![
            caller,
            self.recipient_account.clone(),
            self.event.clone(),
            self.calls.to_string(),
            self.denied.to_string(),
            self.principals.join("\n"),
            or_dash(&self.first_seen),
            or_dash(&self.last_seen),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        serde_json::from_value(v).unwrap()
    }

    /// The report's rows, parsed.
    fn run(query: &Query, records: &[Record]) -> Parsed {
        let report = super::run(query, records);
        Parsed {
            json: report
                .json
                .iter()
                .map(|r| serde_json::from_str(r.get()).unwrap())
                .collect(),
            header: report.header,
            cells: report.cells,
        }
    }

    struct Parsed {
        header: Vec<&'static str>,
        cells: Vec<Vec<String>>,
        json: Vec<Value>,
    }

    impl Parsed {
        fn len(&self) -> usize {
            self.json.len()
        }
    }

    #[test]
    fn json_rows_keep_the_field_order() {
        let report = super::run(&Query::AccessKey("AKIAALICE".into()), &sample());
        assert!(report.json[0]
            .get()
            .starts_with("{\"time\":\"2024-01-01T00:02:00Z\",\"event\":"));
    }

    fn user(name: &str, account: &str, key: &str) -> Value {
        json!({"type": "IAMUser", "arn": format!("arn:aws:iam::{account}:user/{name}"),
               "accountId": account, "userName": name, "accessKeyId": key})
    }

    fn call(time: &str, name: &str, region: &str, who: Value) -> Value {
        json!({"eventTime": time, "eventName": name, "eventSource": "ec2.amazonaws.com",
               "awsRegion": region, "userIdentity": who, "recipientAccountId": "111122223333",
               "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2", "eventID": format!("id-{time}")})
    }

    fn sample() -> Vec<Record> {
        let alice = user("alice", "111122223333", "AKIAALICE");
        let bob = user("bob", "111122223333", "AKIABOB");
        let mut denied = call(
            "2024-01-01T00:03:00Z",
            "RunInstances",
            "ap-south-1",
            alice.clone(),
        );
        denied["errorCode"] = json!("Client.UnauthorizedOperation");
        vec![
            rec(call(
                "2024-01-01T00:02:00Z",
                "DescribeInstances",
                "us-east-1",
                alice.clone(),
            )),
            rec(call(
                "2024-01-01T00:01:00Z",
                "DescribeInstances",
                "us-east-1",
                bob,
            )),
            rec(denied),
            rec(call(
                "2024-01-01T00:04:00Z",
                "DescribeRegions",
                "us-east-1",
                alice,
            )),
        ]
    }

    #[test]
    fn regions_count_calls_errors_and_flag_outsiders() {
        let allowed = Some(["us-east-1".to_owned()].into_iter().collect());
        let report = run(&Query::Regions { allowed }, &sample());
        assert_eq!(report.header[0], "region");
        assert_eq!(report.json[0]["region"], "us-east-1");
        assert_eq!(report.json[0]["calls"], 3);
        assert_eq!(report.json[0]["identities"], 2);
        assert_eq!(report.json[0]["first_seen"], "2024-01-01T00:01:00Z");
        assert_eq!(report.json[0]["last_seen"], "2024-01-01T00:04:00Z");
        assert_eq!(report.json[0]["allowed"], true);
        assert_eq!(report.json[1]["region"], "ap-south-1");
        assert_eq!(report.json[1]["errors"], 1);
        assert_eq!(report.json[1]["allowed"], false);
        assert_eq!(report.cells[1][6], "OUTSIDE");
        let open = run(&Query::Regions { allowed: None }, &sample());
        assert_eq!(open.json[1]["allowed"], Value::Null);
    }

    #[test]
    fn identities_group_role_sessions_by_role() {
        let mut records = sample();
        for session in ["s1", "s2"] {
            records.push(rec(call(
                "2024-01-02T00:00:00Z",
                "GetCallerIdentity",
                "us-east-1",
                json!({"type": "AssumedRole",
                       "arn": format!("arn:aws:sts::111122223333:assumed-role/deploy/{session}"),
                       "accountId": "111122223333", "accessKeyId": format!("ASIA{session}"),
                       "sessionContext": {"sessionIssuer": {"type": "Role",
                           "arn": "arn:aws:iam::111122223333:role/deploy"}}}),
            )));
        }
        records.push(rec(json!({"eventName": "Decrypt", "userIdentity": {"type": "AWSService", "invokedBy": "kms.amazonaws.com"}})));
        let report = run(&Query::Identities, &records);
        let rows: Vec<(&str, &str, u64, u64)> = report
            .json
            .iter()
            .map(|r| {
                (
                    r["type"].as_str().unwrap(),
                    r["principal"].as_str().unwrap(),
                    r["calls"].as_u64().unwrap(),
                    r["errors"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("IAMUser", "arn:aws:iam::111122223333:user/alice", 3, 1),
                ("AssumedRole", "arn:aws:iam::111122223333:role/deploy", 2, 0),
                ("IAMUser", "arn:aws:iam::111122223333:user/bob", 1, 0),
                ("AWSService", "kms.amazonaws.com", 1, 0),
            ]
        );
        assert_eq!(report.json[1]["sessions"], 2);
        assert_eq!(report.json[1]["access_keys"], json!(["ASIAs1", "ASIAs2"]));
        assert_eq!(report.json[3]["account"], "-");
    }

    #[test]
    fn signins_show_result_mfa_and_ip() {
        let ok = rec(
            json!({"eventTime": "2024-01-01T10:00:00Z", "eventName": "ConsoleLogin",
            "eventSource": "signin.amazonaws.com", "userIdentity": user("alice", "111122223333", "x"),
            "sourceIPAddress": "203.0.113.9", "responseElements": {"ConsoleLogin": "Success"},
            "additionalEventData": {"MFAUsed": "No"}, "recipientAccountId": "111122223333"}),
        );
        let failed = rec(
            json!({"eventTime": "2024-01-01T09:00:00Z", "eventName": "ConsoleLogin",
            "userIdentity": {"type": "IAMUser", "userName": "HIDDEN_DUE_TO_SECURITY_REASONS", "accountId": "111122223333"},
            "errorMessage": "Failed authentication", "responseElements": {"ConsoleLogin": "Failure"},
            "additionalEventData": {"MFAUsed": "No"}}),
        );
        let report = run(&Query::Signins, &[ok, failed, sample().remove(0)]);
        assert_eq!(report.len(), 2);
        assert_eq!(report.json[0]["result"], "Failure");
        assert_eq!(
            report.json[0]["principal"],
            "HIDDEN_DUE_TO_SECURITY_REASONS"
        );
        assert_eq!(report.json[0]["error"], "Failed authentication");
        assert_eq!(report.json[1]["result"], "Success");
        assert_eq!(report.json[1]["mfa_used"], "No");
        assert_eq!(report.json[1]["source_ip"], "203.0.113.9");
        assert_eq!(report.json[1]["account"], "111122223333");
    }

    #[test]
    fn policy_changes_are_iam_only_with_their_target() {
        let iam = |name: &str, params: Value| {
            rec(
                json!({"eventTime": "2024-01-01T00:00:00Z", "eventName": name,
                "eventSource": "iam.amazonaws.com", "requestParameters": params,
                "userIdentity": user("alice", "111122223333", "k")}),
            )
        };
        let mut denied = iam(
            "PutRolePolicy",
            json!({"roleName": "r", "policyName": "inline"}),
        );
        denied.error_code = Some("AccessDenied".into());
        let records = [
            iam(
                "AttachUserPolicy",
                json!({"userName": "mallory", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            ),
            iam(
                "UpdateAssumeRolePolicy",
                json!({"roleName": "r", "policyDocument": "{}"}),
            ),
            denied,
            iam("ListPolicies", json!({})),
            // Organizations has a CreatePolicy too: not an IAM policy change.
            rec(json!({"eventName": "CreatePolicy", "eventSource": "organizations.amazonaws.com"})),
        ];
        let report = run(&Query::PolicyChanges, &records);
        let rows: Vec<(&str, &str, &str)> = report
            .json
            .iter()
            .map(|r| {
                (
                    r["event"].as_str().unwrap(),
                    r["target"].as_str().unwrap(),
                    r["result"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "AttachUserPolicy",
                    "user mallory, policy arn:aws:iam::aws:policy/AdministratorAccess",
                    "ok"
                ),
                ("UpdateAssumeRolePolicy", "role r", "ok"),
                ("PutRolePolicy", "role r, policy inline", "AccessDenied"),
            ]
        );
    }

    #[test]
    fn sg_changes_summarize_both_request_shapes() {
        let ec2 = |name: &str, params: Value| {
            let mut v = call(
                "2024-01-01T00:00:00Z",
                name,
                "us-east-1",
                user("a", "111122223333", "k"),
            );
            v["requestParameters"] = params;
            rec(v)
        };
        let records = [
            ec2(
                "AuthorizeSecurityGroupIngress",
                json!({"groupId": "sg-1", "cidrIp": "0.0.0.0/0",
                "ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "ipPermissions": {}}),
            ),
            ec2(
                "AuthorizeSecurityGroupIngress",
                json!({"groupId": "sg-2", "ipPermissions": {"items": [
                {"ipProtocol": "tcp", "fromPort": 80, "toPort": 443,
                 "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}, {"cidrIp": "192.0.2.0/24"}]},
                 "groups": {"items": [{"groupId": "sg-9"}]}},
                {"ipProtocol": "-1", "ipv6Ranges": {"items": [{"cidrIpv6": "::/0"}]}}]}}),
            ),
            ec2(
                "RevokeSecurityGroupEgress",
                json!({"groupId": "sg-3",
                "securityGroupRuleIds": {"items": [{"securityGroupRuleId": "sgr-1"}]}}),
            ),
            ec2(
                "CreateSecurityGroup",
                json!({"groupName": "web", "groupDescription": "d"}),
            ),
            ec2("DescribeSecurityGroups", json!({})),
        ];
        let report = run(&Query::SgChanges, &records);
        let rows: Vec<(&str, &str)> = report
            .json
            .iter()
            .map(|r| (r["group"].as_str().unwrap(), r["rules"].as_str().unwrap()))
            .collect();
        assert_eq!(
            rows,
            [
                ("sg-1", "tcp 22 from 0.0.0.0/0"),
                (
                    "sg-2",
                    "tcp 80-443 from 10.0.0.0/8, 192.0.2.0/24, sg-9; all from ::/0"
                ),
                ("sg-3", "rule sgr-1"),
                ("web", ""),
            ]
        );
        assert_eq!(report.cells[3][3], "-");
    }

    #[test]
    fn access_key_lists_every_call_in_time_order() {
        let report = run(&Query::AccessKey("AKIAALICE".into()), &sample());
        let times: Vec<&str> = report
            .json
            .iter()
            .map(|r| r["time"].as_str().unwrap())
            .collect();
        assert_eq!(
            times,
            [
                "2024-01-01T00:02:00Z",
                "2024-01-01T00:03:00Z",
                "2024-01-01T00:04:00Z"
            ]
        );
        assert_eq!(report.json[1]["event"], "RunInstances");
        assert_eq!(report.json[1]["region"], "ap-south-1");
        assert_eq!(report.json[1]["error"], "Client.UnauthorizedOperation");
        assert_eq!(report.json[0]["error"], Value::Null);
        assert_eq!(report.json[0]["source"], "ec2.amazonaws.com");
        assert_eq!(report.json[0]["user_agent"], "aws-cli/2");
        assert_eq!(report.json[0]["source_ip"], "198.51.100.7");
        assert_eq!(
            run(&Query::AccessKey("AKIANOPE".into()), &sample()).len(),
            0
        );
    }

    #[test]
    fn external_calls_by_account_and_event() {
        let outsider = json!({"type": "AWSAccount", "principalId": "AIDAOUTSIDER", "accountId": "444455556666"});
        let mut refused = call(
            "2024-01-01T00:05:00Z",
            "GetObject",
            "us-east-1",
            outsider.clone(),
        );
        refused["errorCode"] = json!("AccessDenied");
        let mut records = sample();
        records.push(rec(refused.clone()));
        records.push(rec(refused));
        records.push(rec(call(
            "2024-01-01T00:06:00Z",
            "AssumeRole",
            "us-east-1",
            user("eve", "777788889999", "AKIAEVE"),
        )));
        let trusted = ["777788889999".to_owned()].into_iter().collect();
        let report = run(&Query::External { trusted }, &records);
        assert_eq!(report.len(), 2);
        assert_eq!(report.json[0]["caller_account"], "444455556666");
        assert_eq!(report.json[0]["event"], "GetObject");
        assert_eq!(report.json[0]["calls"], 2);
        assert_eq!(report.json[0]["denied"], 2);
        assert_eq!(report.json[0]["principals"], json!(["AIDAOUTSIDER"]));
        assert_eq!(report.json[0]["trusted"], false);
        assert_eq!(report.json[1]["caller_account"], "777788889999");
        assert_eq!(report.json[1]["denied"], 0);
        assert_eq!(report.json[1]["trusted"], true);
        assert!(report.cells[1][0].ends_with("(trusted)"));
    }
}
