//! `hunt policy-changes`: IAM policy changes with their target.

use crate::hunt::{by_time, caller, or_dash, result, Entry, Hunt, HuntOptions, TableRow, NONE};
use crate::hunts::sql::{caller_name, from_where, in_list, json_string, RESULT};
use cloudtrail::Record;
use compile::sql::TimeRange;
use rules::{RulesConfig, IAM_POLICY_CHANGE_EVENTS};
use serde::Serialize;
use serde_json::Value;

/// IAM calls that change a policy besides the CIS 4.4 ones ([`IAM_POLICY_CHANGE_EVENTS`]):
/// `UpdateAssumeRolePolicy` (who may assume a role) and `SetDefaultPolicyVersion` (which version of a managed
/// policy is in force).
pub const BEYOND_CIS: &[&str] = &["UpdateAssumeRolePolicy", "SetDefaultPolicyVersion"];

// No arguments of its own.
#[derive(Debug, clap::Args)]
pub struct Options {}

/// `trailwarden hunt policy-changes`.
pub const HUNT: Entry = Entry::new::<Options>(
    "policy-changes",
    "IAM policy changes (the CIS 4.4 calls, UpdateAssumeRolePolicy, SetDefaultPolicyVersion) with their target",
);

impl HuntOptions for Options {
    type Hunt = PolicyChanges;

    fn hunt(self, _: &RulesConfig) -> PolicyChanges {
        PolicyChanges
    }
    fn sql(&self, _: &RulesConfig, table: &str, range: &TimeRange) -> String {
        let targets: Vec<String> = [
            ("user", "userName"),
            ("role", "roleName"),
            ("group", "groupName"),
            ("policy", "policyArn"),
            ("policy", "policyName"),
            ("version", "versionId"),
        ]
        .into_iter()
        .map(|(label, k)| {
            format!(
                "'{label} ' || {}",
                json_string("requestparameters", &format!("$.{k}"))
            )
        })
        .collect();
        let names = IAM_POLICY_CHANGE_EVENTS.iter().chain(BEYOND_CIS);
        format!(
            "SELECT eventtime AS \"time\", coalesce(eventname, '') AS event, {} AS principal, \
             coalesce(nullif(array_join(filter(ARRAY[{}], x -> x IS NOT NULL), ', '), ''), '-') AS target, \
             {RESULT} AS result, sourceipaddress AS source_ip, awsregion AS region, eventid AS event_id\n{}\n\
             ORDER BY eventtime, eventid",
            caller_name(),
            targets.join(", "),
            from_where(
                table,
                &[
                    "eventsource = 'iam.amazonaws.com'".to_owned(),
                    in_list("eventname", names)
                ],
                range
            )
        )
    }
}

/// IAM policy changes: the CIS 4.4 calls and [`BEYOND_CIS`], on `iam.amazonaws.com`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyChanges;

impl Hunt for PolicyChanges {
    type Tally = Vec<PolicyChangeRow>;
    type Row = PolicyChangeRow;

    fn wants(&self, r: &Record) -> bool {
        r.event_source.as_deref() == Some("iam.amazonaws.com")
            && r.event_name
                .as_deref()
                .is_some_and(|n| IAM_POLICY_CHANGE_EVENTS.contains(&n) || BEYOND_CIS.contains(&n))
    }

    fn add(&self, rows: &mut Vec<PolicyChangeRow>, r: &Record) {
        rows.push(PolicyChangeRow::new(r));
    }

    fn finish(&self, rows: Vec<PolicyChangeRow>) -> Vec<PolicyChangeRow> {
        by_time(rows, |r| &r.time)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunt::testing::{rec, run, user};
    use serde_json::json;

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
        let report = run(&PolicyChanges, &records);
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
}
