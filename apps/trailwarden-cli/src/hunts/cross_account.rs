//! `hunt cross-account`: calls from other accounts (caller account ≠ recipient account), per account and call.
//!
//! Not the rules' "external caller" ([`rules::external_caller`], behind `external-principal-access`): that
//! test leaves out trusted accounts, AWS services and VPC endpoint events, because each of its matches is an
//! alert. An investigation wants every call that crossed an account boundary, so this hunt keeps them all and
//! marks the config file's `trusted_accounts`; hence its own name.

use crate::hunt::{caller, identity, or_dash, Entry, Hunt, HuntOptions, Seen, TableRow, NONE};
use crate::hunts::sql::{caller_name, from_where, in_list, sorted_set, FAILED};
use cloudtrail::Record;
use compile::sql::{quote, TimeRange};
use rules::{is_denied_error_code, RulesConfig};
use rules::{DENIED_ERROR_CODE_PREFIXES, DENIED_ERROR_CODE_SUFFIXES};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

// No arguments of its own: the trusted accounts come from the config file.
#[derive(Debug, clap::Args)]
pub struct Options {}

/// `trailwarden hunt cross-account`.
pub const HUNT: Entry = Entry::new::<Options>(
    "cross-account",
    "Calls from other accounts (caller account differs from the recipient account): per account and call, how many and how many were denied",
);

impl HuntOptions for Options {
    type Hunt = CrossAccount;

    fn hunt(self, config: &RulesConfig) -> CrossAccount {
        CrossAccount {
            trusted: config
                .trusted_accounts
                .iter()
                .map(|a| a.get_ref().clone())
                .collect(),
        }
    }
    fn sql(&self, config: &RulesConfig, table: &str, range: &TimeRange) -> String {
        let trusted = in_list(
            "caller_account",
            config.trusted_accounts.iter().map(|a| a.get_ref().as_str()),
        );
        let like = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        };
        let denied: Vec<String> = DENIED_ERROR_CODE_PREFIXES
            .iter()
            .map(|p| {
                format!(
                    "errorcode LIKE {} ESCAPE '\\'",
                    quote(&format!("{}%", like(p)))
                )
            })
            .chain(DENIED_ERROR_CODE_SUFFIXES.iter().map(|s| {
                format!(
                    "errorcode LIKE {} ESCAPE '\\'",
                    quote(&format!("%{}", like(s)))
                )
            }))
            .collect();
        format!(
            "SELECT caller_account, recipient_account, event_source, event, calls, denied, errors, principals, \
             first_seen, last_seen, {trusted} AS trusted\n\
             FROM (SELECT useridentity.accountid AS caller_account, recipientaccountid AS recipient_account, \
             coalesce(eventsource, '-') AS event_source, coalesce(eventname, '-') AS event, count(*) AS calls, \
             count_if(coalesce({}, FALSE)) AS denied, count_if({FAILED}) AS errors, {} AS principals, \
             min(eventtime) AS first_seen, max(eventtime) AS last_seen\n{}\nGROUP BY 1, 2, 3, 4)\n\
             ORDER BY caller_account, recipient_account, event_source, event",
            denied.join(" OR "),
            sorted_set(&caller_name()),
            from_where(
                table,
                &["useridentity.accountid <> recipientaccountid".to_owned()],
                range
            )
        )
    }
}

/// Calls from other accounts (caller account ≠ recipient account); `trusted` accounts are marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossAccount {
    pub trusted: BTreeSet<String>,
}

#[derive(Debug, Default)]
pub struct CrossAccountTally {
    seen: Seen,
    denied: u64,
    principals: BTreeSet<String>,
}

impl Hunt for CrossAccount {
    /// Per (caller account, recipient account, event source, event name).
    type Tally = BTreeMap<(String, String, String, String), CrossAccountTally>;
    type Row = CrossAccountRow;

    fn wants(&self, r: &Record) -> bool {
        cross_account(r).is_some()
    }

    fn add(&self, by_call: &mut Self::Tally, r: &Record) {
        let Some((caller_account, recipient)) = cross_account(r) else {
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
        if r.error_code.as_deref().is_some_and(is_denied_error_code) {
            acc.denied += 1;
        }
        acc.principals.insert(caller(r).1);
    }

    fn finish(&self, by_call: Self::Tally) -> Vec<CrossAccountRow> {
        by_call
            .into_iter()
            .map(
                |((caller_account, recipient_account, source, event), acc)| CrossAccountRow {
                    trusted: self.trusted.contains(&caller_account),
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
            .collect()
    }
}

/// (caller account, recipient account) when they differ.
fn cross_account(r: &Record) -> Option<(&str, &str)> {
    let caller = identity(r, |i| i.account_id.as_deref())?;
    let recipient = r.recipient_account_id.as_deref()?;
    (caller != recipient).then_some((caller, recipient))
}

/// Calls of one event from one outside account.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CrossAccountRow {
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

impl TableRow for CrossAccountRow {
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
    use crate::hunt::testing::{call, rec, run, sample, user};
    use serde_json::json;

    #[test]
    fn cross_account_calls_by_account_and_event() {
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
        let report = run(&CrossAccount { trusted }, &records);
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
