//! `hunt access-key KEY`: every call made with one access key, the leaked-key response.

use crate::hunt::{by_time, identity, or_dash, Entry, Hunt, HuntOptions, TableRow};
use crate::hunts::sql::{from_where, PRINCIPAL};
use cloudtrail::Record;
use compile::sql::{quote, TimeRange};
use rules::RulesConfig;
use serde::Serialize;

// The hunt's own arguments (a plain comment: a doc comment would become the subcommand's help).
#[derive(Debug, clap::Args)]
pub struct Options {
    /// The access key id.
    #[arg(value_name = "KEY")]
    key: String,
}

/// `trailwarden hunt access-key`.
pub const HUNT: Entry = Entry::new::<Options>(
    "access-key",
    "Every call made with one access key (AKIA… or ASIA…), one row per call: the leaked-key response",
);

impl HuntOptions for Options {
    type Hunt = AccessKey;

    fn hunt(self, _: &RulesConfig) -> AccessKey {
        AccessKey { key: self.key }
    }
    fn sql(&self, _: &RulesConfig, table: &str, range: &TimeRange) -> String {
        format!(
            "SELECT eventtime AS \"time\", eventname AS event, eventsource AS source, awsregion AS region, \
             sourceipaddress AS source_ip, useragent AS user_agent, errorcode AS error, {PRINCIPAL} AS principal, \
             eventid AS event_id\n{}\nORDER BY eventtime, eventid",
            from_where(
                table,
                &[format!("useridentity.accesskeyid = {}", quote(&self.key))],
                range
            )
        )
    }
}

/// Every call made with one access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub key: String,
}

impl Hunt for AccessKey {
    type Tally = Vec<CallRow>;
    type Row = CallRow;

    fn wants(&self, r: &Record) -> bool {
        identity(r, |i| i.access_key_id.as_deref()) == Some(self.key.as_str())
    }

    fn add(&self, rows: &mut Vec<CallRow>, r: &Record) {
        rows.push(CallRow::new(r));
    }

    fn finish(&self, rows: Vec<CallRow>) -> Vec<CallRow> {
        by_time(rows, |r| &r.time)
    }
}

/// One call.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunt::testing::{run, sample};
    use serde_json::Value;

    fn alice() -> AccessKey {
        AccessKey {
            key: "AKIAALICE".into(),
        }
    }

    #[test]
    fn json_rows_keep_the_field_order() {
        let report = crate::hunt::run(&alice(), &sample());
        assert!(report.json[0]
            .get()
            .starts_with("{\"time\":\"2024-01-01T00:02:00Z\",\"event\":"));
    }

    #[test]
    fn access_key_lists_every_call_in_time_order() {
        let report = run(&alice(), &sample());
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
        let nope = AccessKey {
            key: "AKIANOPE".into(),
        };
        assert_eq!(run(&nope, &sample()).len(), 0);
    }
}
