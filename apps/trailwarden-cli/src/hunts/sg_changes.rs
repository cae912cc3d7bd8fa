//! `hunt sg-changes`: security-group changes with the group and the rules.

use crate::hunt::{by_time, caller, or_dash, result, Entry, Hunt, HuntOptions, TableRow, NONE};
use crate::hunts::sql::{
    caller_name, from_where, in_list, json_integer, json_items, json_string, RESULT,
};
use cloudtrail::Record;
use compile::sql::TimeRange;
use rules::{RulesConfig, SECURITY_GROUP_CHANGE_EVENTS};
use serde::Serialize;
use serde_json::Value;

// No arguments of its own.
#[derive(Debug, clap::Args)]
pub struct Options {}

/// `trailwarden hunt sg-changes`.
pub const HUNT: Entry = Entry::new::<Options>(
    "sg-changes",
    "Security-group changes (the CIS 4.10 calls and ModifySecurityGroupRules) with the group and the rules",
);

impl HuntOptions for Options {
    type Hunt = SgChanges;

    fn hunt(self, _: &RulesConfig) -> SgChanges {
        SgChanges
    }
    fn sql(&self, _: &RulesConfig, table: &str, range: &TimeRange) -> String {
        let rp = "requestparameters";
        let group = format!(
            "coalesce({}, {}, {}, {}, '-')",
            json_string(rp, "$.groupId"),
            json_string(rp, "$.ModifySecurityGroupRulesRequest.GroupId"),
            json_string("responseelements", "$.groupId"),
            json_string(rp, "$.groupName"),
        );
        // ipPermissions.items: each "<what>[ from <sources>]".
        let sources = format!(
            "filter(concat({}, {}, {}, {}), s -> s IS NOT NULL)",
            format_args!(
                "transform({}, i -> {})",
                json_items("p", "$.ipRanges.items"),
                json_string("i", "$.cidrIp")
            ),
            format_args!(
                "transform({}, i -> {})",
                json_items("p", "$.ipv6Ranges.items"),
                json_string("i", "$.cidrIpv6")
            ),
            format_args!(
                "transform({}, i -> {})",
                json_items("p", "$.groups.items"),
                json_string("i", "$.groupId")
            ),
            format_args!(
                "transform({}, i -> {})",
                json_items("p", "$.prefixListIds.items"),
                json_string("i", "$.prefixListId")
            ),
        );
        let permissions = format!(
            "transform({}, p -> CASE WHEN cardinality({sources}) = 0 THEN {what} \
             ELSE {what} || ' from ' || array_join({sources}, ', ') END)",
            json_items(rp, "$.ipPermissions.items"),
            what = protocol_ports_sql("p"),
        );
        // The flat shape (ipProtocol / cidrIp at the top of the request).
        let flat = format!(
            "CASE WHEN json_extract({rp}, '$.ipProtocol') IS NOT NULL OR json_extract({rp}, '$.cidrIp') IS NOT NULL \
             THEN ARRAY[{} || coalesce(' from ' || coalesce({}, {}, {}, {}), '')] \
             ELSE CAST(ARRAY[] AS ARRAY(VARCHAR)) END",
            protocol_ports_sql(rp),
            json_string(rp, "$.cidrIp"),
            json_string(rp, "$.cidrIpv6"),
            json_string(rp, "$.sourceSecurityGroupName"),
            json_string(rp, "$.sourceSecurityGroupId"),
        );
        let rule_ids = format!(
            "filter(transform({}, i -> 'rule ' || {}), r -> r IS NOT NULL)",
            json_items(rp, "$.securityGroupRuleIds.items"),
            json_string("i", "$.securityGroupRuleId"),
        );
        let names = SECURITY_GROUP_CHANGE_EVENTS;
        format!(
            "SELECT eventtime AS \"time\", coalesce(eventname, '') AS event, {group} AS \"group\", \
             array_join(concat({permissions}, {flat}, {rule_ids}), '; ') AS rules, {} AS principal, \
             {RESULT} AS result, sourceipaddress AS source_ip, awsregion AS region, eventid AS event_id\n{}\n\
             ORDER BY eventtime, eventid",
            caller_name(),
            from_where(
                table,
                &[
                    "eventsource = 'ec2.amazonaws.com'".to_owned(),
                    in_list("eventname", names)
                ],
                range
            )
        )
    }
}

/// Security-group changes: the CIS 4.10 calls (v5.0+, with `ModifySecurityGroupRules`) on
/// `ec2.amazonaws.com`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SgChanges;

impl Hunt for SgChanges {
    type Tally = Vec<SgChangeRow>;
    type Row = SgChangeRow;

    fn wants(&self, r: &Record) -> bool {
        r.event_source.as_deref() == Some("ec2.amazonaws.com")
            && r.event_name
                .as_deref()
                .is_some_and(|n| SECURITY_GROUP_CHANGE_EVENTS.contains(&n))
    }

    fn add(&self, rows: &mut Vec<SgChangeRow>, r: &Record) {
        rows.push(SgChangeRow::new(r));
    }

    fn finish(&self, rows: Vec<SgChangeRow>) -> Vec<SgChangeRow> {
        by_time(rows, |r| &r.time)
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

/// [`protocol_ports`] in SQL, for the JSON object `json` (a JSON-text column or a JSON value).
fn protocol_ports_sql(json: &str) -> String {
    let proto = format!(
        "coalesce({}, {})",
        json_string(json, "$.ipProtocol"),
        json_integer(json, "$.ipProtocol")
    );
    let from = json_integer(json, "$.fromPort");
    let to = json_integer(json, "$.toPort");
    format!(
        "CASE WHEN {proto} IS NULL THEN '?' WHEN {proto} = '-1' THEN 'all' \
         WHEN {from} IS NOT NULL AND {to} IS NOT NULL AND {from} = {to} THEN {proto} || ' ' || {from} \
         WHEN {from} IS NULL AND {to} IS NULL THEN {proto} \
         WHEN {from} IS NOT NULL AND {to} IS NOT NULL THEN {proto} || ' ' || {from} || '-' || {to} \
         ELSE {proto} || ' ' || coalesce({from}, {to}) END"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunt::testing::{call, rec, run, user};
    use serde_json::json;

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
        let report = run(&SgChanges, &records);
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
}
