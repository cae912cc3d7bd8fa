//! Who counts as an external caller: the test behind `external-principal-access` and
//! `external-principal-access-denied`, public so that other tools can use the same definition. (The CLI's
//! `hunt cross-account` is deliberately wider: every call across an account boundary, trusted accounts and AWS
//! services included, for investigation rather than alerting.)

use cloudtrail::Node;
use std::collections::BTreeSet;

/// Who made a call from outside the recipient account (see [`external_caller`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalCaller {
    /// A principal of another, untrusted account.
    Account,
    /// An unauthenticated request: `userIdentity.accountId` is `anonymous` or `ANONYMOUS_PRINCIPAL`, or
    /// `userIdentity.principalId` is `ANONYMOUS_PRINCIPAL` (S3 logs anonymous requests this way).
    Anonymous,
}

/// The record fields the external-caller test reads, for callers that hold a record in another form than a
/// [`Node`] (e.g. a [`cloudtrail::Record`]). [`CallerFields::of`] reads them from a record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallerFields<'a> {
    /// `userIdentity.accountId`, when a string. An empty string names nobody: treat it as absent.
    pub caller_account: Option<&'a str>,
    /// `recipientAccountId`, when a string. An empty string names nobody: treat it as absent.
    pub recipient_account: Option<&'a str>,
    /// `userIdentity.type`, when a string.
    pub identity_type: Option<&'a str>,
    /// Whether `userIdentity` has an `invokedBy` key (with any value).
    pub invoked_by: bool,
    /// `userIdentity.principalId`, when a string.
    pub principal_id: Option<&'a str>,
    /// `eventType`, when a string.
    pub event_type: Option<&'a str>,
}

fn str_of<'v>(node: Option<Node<'v>>, key: &str) -> Option<&'v str> {
    node?.get(key)?.as_str()
}

impl<'a> CallerFields<'a> {
    /// Reads the fields from a record. Total: a missing or oddly typed field reads as absent.
    pub fn of(record: Node<'a>) -> CallerFields<'a> {
        let identity = record.get("userIdentity");
        CallerFields {
            caller_account: str_of(identity, "accountId"),
            recipient_account: record.get("recipientAccountId").and_then(|v| v.as_str()),
            identity_type: str_of(identity, "type"),
            invoked_by: identity.is_some_and(|id| id.get("invokedBy").is_some()),
            principal_id: str_of(identity, "principalId"),
            event_type: record.get("eventType").and_then(|v| v.as_str()),
        }
    }

    /// The call was made by an AWS service: `userIdentity.type = AWSService`, or `userIdentity.invokedBy` is
    /// present (a service acting for a principal), or the record is an `AwsServiceEvent`.
    pub fn made_by_aws_service(&self) -> bool {
        self.identity_type == Some("AWSService")
            || self.invoked_by
            || self.event_type == Some("AwsServiceEvent")
    }

    /// The external-caller test: see [`external_caller`].
    pub fn external_caller(&self, trusted: &BTreeSet<String>) -> Option<ExternalCaller> {
        let caller = self.caller_account.filter(|a| !a.is_empty())?;
        let recipient = self.recipient_account.filter(|a| !a.is_empty())?;
        if caller == recipient
            || trusted.contains(caller)
            || self.made_by_aws_service()
            || self.event_type == Some("AwsVpceEvent")
        {
            return None;
        }
        let anonymous = caller == "anonymous"
            || caller == "ANONYMOUS_PRINCIPAL"
            || self.principal_id == Some("ANONYMOUS_PRINCIPAL");
        Some(if anonymous {
            ExternalCaller::Anonymous
        } else {
            ExternalCaller::Account
        })
    }
}

/// [`CallerFields::made_by_aws_service`] of a record.
pub fn made_by_aws_service(record: Node<'_>) -> bool {
    CallerFields::of(record).made_by_aws_service()
}

/// Whether the record is a call into the recipient account by a principal of another account that is not
/// trusted, and if so whether that caller is anonymous. `Some` exactly when all of these hold:
///
/// * `userIdentity.accountId` is a non-empty string (the caller's account);
/// * `recipientAccountId` is a non-empty string (the account the event was delivered to) and differs from
///   the caller's account;
/// * the caller's account is not in `trusted`;
/// * the caller is not an AWS service ([`CallerFields::made_by_aws_service`]: `userIdentity.type =
///   AWSService`, `userIdentity.invokedBy` present, or `eventType = AwsServiceEvent`);
/// * the record is not a VPC endpoint network event (`eventType = AwsVpceEvent`, which
///   `vpce-cross-account-access` covers).
///
/// The call's outcome (`errorCode`) is not part of the test. The caller is [`ExternalCaller::Anonymous`] when
/// its account is `anonymous` or `ANONYMOUS_PRINCIPAL` or its `principalId` is `ANONYMOUS_PRINCIPAL`, else
/// [`ExternalCaller::Account`]. Total: missing or oddly typed fields read as absent.
pub fn external_caller(record: Node<'_>, trusted: &BTreeSet<String>) -> Option<ExternalCaller> {
    // Most records are calls within one account: decide those from two fields before reading the others.
    let identity = record.get("userIdentity")?;
    let caller = identity.get("accountId")?.as_str()?;
    let recipient = record.get("recipientAccountId")?.as_str()?;
    if caller == recipient || trusted.contains(caller) {
        return None;
    }
    CallerFields::of(record).external_caller(trusted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail::Parsed;
    use serde_json::{json, Value};

    fn ext(v: &Value, trusted: &[&str]) -> Option<ExternalCaller> {
        let trusted: BTreeSet<String> = trusted.iter().map(|s| (*s).to_owned()).collect();
        let parsed = Parsed::from_value(v);
        let fast = external_caller(parsed.root(), &trusted);
        assert_eq!(
            fast,
            CallerFields::of(parsed.root()).external_caller(&trusted),
            "the shortcut never changes the answer: {v}"
        );
        fast
    }

    fn call(caller: Value, recipient: Value) -> Value {
        json!({"eventType": "AwsApiCall", "recipientAccountId": recipient,
               "userIdentity": {"type": "AssumedRole", "accountId": caller, "principalId": "AROAX:s"}})
    }

    #[test]
    fn the_definition_case_by_case() {
        let other = call(json!("999988887777"), json!("111122223333"));
        assert_eq!(ext(&other, &[]), Some(ExternalCaller::Account));
        assert_eq!(ext(&other, &["999988887777"]), None, "trusted");
        assert_eq!(
            ext(&call(json!("111122223333"), json!("111122223333")), &[]),
            None
        );
        assert_eq!(ext(&call(json!(""), json!("111122223333")), &[]), None);
        assert_eq!(ext(&call(json!("999988887777"), json!("")), &[]), None);
        assert_eq!(ext(&call(json!(9), json!("111122223333")), &[]), None);
        assert_eq!(ext(&call(json!("999988887777"), Value::Null), &[]), None);
        let mut v = other.clone();
        v["userIdentity"]["type"] = json!("AWSService");
        assert_eq!(ext(&v, &[]), None, "service");
        let mut v = other.clone();
        v["userIdentity"]["invokedBy"] = Value::Null;
        assert_eq!(ext(&v, &[]), None, "invokedBy present, whatever its value");
        for t in ["AwsServiceEvent", "AwsVpceEvent"] {
            let mut v = other.clone();
            v["eventType"] = json!(t);
            assert_eq!(ext(&v, &[]), None, "{t}");
        }
        for anon in ["anonymous", "ANONYMOUS_PRINCIPAL"] {
            let v = call(json!(anon), json!("111122223333"));
            assert_eq!(ext(&v, &[]), Some(ExternalCaller::Anonymous), "{anon}");
        }
        let mut v = other.clone();
        v["userIdentity"]["principalId"] = json!("ANONYMOUS_PRINCIPAL");
        assert_eq!(ext(&v, &[]), Some(ExternalCaller::Anonymous));
        assert_eq!(ext(&json!({"recipientAccountId": "1"}), &[]), None);
        assert_eq!(ext(&json!([]), &[]), None);
        let mut v = other.clone();
        v["errorCode"] = json!("AccessDenied");
        assert_eq!(
            ext(&v, &[]),
            Some(ExternalCaller::Account),
            "outcome is not part of it"
        );
    }

    #[test]
    fn fields_read_from_a_record() {
        let v = json!({"eventType": "AwsApiCall", "recipientAccountId": "1",
                       "userIdentity": {"type": "IAMUser", "accountId": "2", "principalId": "P", "invokedBy": 5}});
        let parsed = Parsed::from_value(&v);
        assert_eq!(
            CallerFields::of(parsed.root()),
            CallerFields {
                caller_account: Some("2"),
                recipient_account: Some("1"),
                identity_type: Some("IAMUser"),
                invoked_by: true,
                principal_id: Some("P"),
                event_type: Some("AwsApiCall"),
            }
        );
        assert_eq!(
            CallerFields::of(Parsed::from_value(&json!({})).root()),
            CallerFields::default()
        );
    }

    #[test]
    fn aws_service_callers() {
        let svc = |v: Value| made_by_aws_service(Parsed::from_value(&v).root());
        assert!(svc(json!({"userIdentity": {"type": "AWSService"}})));
        assert!(svc(
            json!({"userIdentity": {"type": "AssumedRole", "invokedBy": "cloudformation.amazonaws.com"}})
        ));
        assert!(svc(
            json!({"eventType": "AwsServiceEvent", "userIdentity": {"accountId": "1"}})
        ));
        assert!(!svc(
            json!({"userIdentity": {"type": "IAMUser"}, "eventType": "AwsApiCall"})
        ));
    }
}
