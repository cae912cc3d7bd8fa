//! `hunt identities`: callers with their call and error counts; assumed roles are grouped by role.

use crate::hunt::{caller, identity, or_dash, Entry, Hunt, HuntOptions, Seen, TableRow, NONE};
use crate::hunts::sql::{caller_name, from_where, sorted_set, CALLER_KIND, FAILED};
use cloudtrail::Record;
use compile::sql::TimeRange;
use rules::RulesConfig;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

// No arguments of its own.
#[derive(Debug, clap::Args)]
pub struct Options {}

/// `trailwarden hunt identities`.
pub const HUNT: Entry = Entry::new::<Options>(
    "identities",
    "Callers (IAM users, roles, root, services, other accounts) with their call and error counts and first and last seen; assumed roles are grouped by role",
);

impl HuntOptions for Options {
    type Hunt = Identities;

    fn hunt(self, _: &RulesConfig) -> Identities {
        Identities
    }
    fn sql(&self, _: &RulesConfig, table: &str, range: &TimeRange) -> String {
        format!(
            "SELECT \"type\", principal, account, calls, errors, first_seen, last_seen, sessions, access_keys, \
             source_ips\nFROM (SELECT {CALLER_KIND} AS \"type\", {} AS principal, \
             coalesce(useridentity.accountid, '-') AS account, count(*) AS calls, count_if({FAILED}) AS errors, \
             min(eventtime) AS first_seen, max(eventtime) AS last_seen, \
             count(DISTINCT CASE WHEN useridentity.type = 'AssumedRole' THEN useridentity.arn END) AS sessions, \
             {} AS access_keys, {} AS source_ips\n{}\nGROUP BY 1, 2, 3)\nORDER BY calls DESC, principal",
            caller_name(),
            sorted_set("useridentity.accesskeyid"),
            sorted_set("sourceipaddress"),
            from_where(table, &[], range)
        )
    }
}

/// Callers and their call counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identities;

#[derive(Debug, Default)]
pub struct IdentityTally {
    seen: Seen,
    access_keys: BTreeSet<String>,
    source_ips: BTreeSet<String>,
    sessions: BTreeSet<String>,
}

impl Hunt for Identities {
    /// Per (type, principal, account).
    type Tally = BTreeMap<(String, String, String), IdentityTally>;
    type Row = IdentityRow;

    fn wants(&self, _: &Record) -> bool {
        true
    }

    fn add(&self, by_identity: &mut Self::Tally, r: &Record) {
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

    fn finish(&self, by_identity: Self::Tally) -> Vec<IdentityRow> {
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
        rows
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunt::testing::{call, rec, run, sample};
    use serde_json::json;

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
        let report = run(&Identities, &records);
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
}
