//! `hunt signins`: console sign-ins, with the result, MFA and source IP.

use crate::hunt::{by_time, caller, or_dash, Entry, Hunt, HuntOptions, TableRow};
use crate::hunts::sql::{caller_name, from_where, json_string, CALLER_KIND, FAILED};
use cloudtrail::Record;
use compile::sql::TimeRange;
use rules::RulesConfig;
use serde::Serialize;
use serde_json::Value;

// No arguments of its own.
#[derive(Debug, clap::Args)]
pub struct Options {}

/// `trailwarden hunt signins`.
pub const HUNT: Entry = Entry::new::<Options>(
    "signins",
    "Console sign-ins: who, when, success or failure, MFA used, source IP",
);

impl HuntOptions for Options {
    type Hunt = Signins;

    fn hunt(self, _: &RulesConfig) -> Signins {
        Signins
    }
    fn sql(&self, _: &RulesConfig, table: &str, range: &TimeRange) -> String {
        format!(
            "SELECT eventtime AS \"time\", {} AS principal, {CALLER_KIND} AS \"type\", \
             coalesce(recipientaccountid, useridentity.accountid) AS account, \
             coalesce({}, CASE WHEN {FAILED} THEN 'Failure' END) AS result, {} AS mfa_used, \
             sourceipaddress AS source_ip, coalesce(errormessage, errorcode) AS error, useragent AS user_agent, \
             eventid AS event_id\n{}\nORDER BY eventtime, eventid",
            caller_name(),
            json_string("responseelements", "$.ConsoleLogin"),
            json_string("additionaleventdata", "$.MFAUsed"),
            from_where(table, &["eventname = 'ConsoleLogin'".to_owned()], range)
        )
    }
}

/// Console sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signins;

impl Hunt for Signins {
    type Tally = Vec<SigninRow>;
    type Row = SigninRow;

    fn wants(&self, r: &Record) -> bool {
        r.event_name.as_deref() == Some("ConsoleLogin")
    }

    fn add(&self, rows: &mut Vec<SigninRow>, r: &Record) {
        rows.push(SigninRow::new(r));
    }

    fn finish(&self, rows: Vec<SigninRow>) -> Vec<SigninRow> {
        by_time(rows, |r| &r.time)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunt::testing::{rec, run, sample, user};
    use serde_json::json;

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
        let report = run(&Signins, &[ok, failed, sample().remove(0)]);
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
}
