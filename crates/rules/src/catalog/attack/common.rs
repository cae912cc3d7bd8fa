//! Field accessors and policy readers shared by the attack-technique rules.
//!
//! Every function is total: a missing field, or a field of an unexpected JSON type, reads as "absent" (`None`,
//! `false`), never as a panic. Only the policy readers allocate (they parse a policy document, which only the
//! rare policy-changing calls carry).

use crate::rule::Context;
use cloudtrail::Node;
use serde_json::Value;

pub(super) use crate::external::made_by_aws_service;
pub(super) use cloudtrail::vocab::{event_name, event_source, str_at, succeeded};

/// Whether `eventName` is one of `names` and `eventSource` is `source`.
pub(super) fn is_call(record: Node<'_>, source: &str, names: &[&str]) -> bool {
    event_name(record).is_some_and(|n| names.contains(&n)) && event_source(record) == Some(source)
}

/// `userIdentity.type`.
pub(super) fn identity_type(record: Node<'_>) -> Option<&str> {
    str_at(record, &["userIdentity", "type"])
}

/// The recipient account (`recipientAccountId`), when it is a non-empty string.
pub(super) fn recipient(record: Node<'_>) -> Option<&str> {
    str_at(record, &["recipientAccountId"]).filter(|a| !a.is_empty())
}

/// A session of an EC2 instance's role, with the credentials the instance metadata service delivered:
/// `userIdentity.type = AssumedRole`, an ARN `arn:<partition>:sts::<account>:assumed-role/<role>/i-<id>` (the
/// session name EC2 gives is the instance id), and `userIdentity.sessionContext.ec2RoleDelivery` a non-empty
/// string (set by AWS, `"1.0"` for IMDSv1, `"2.0"` for IMDSv2: a role session someone merely named `i-…` does not have it).
pub(super) fn is_instance_session(record: Node<'_>) -> bool {
    // Cheapest test first: code rules built on this run on every record. `ec2RoleDelivery` is absent from
    // almost every record; the ARN is parsed only when it is there.
    let Some(identity) = record.get("userIdentity") else {
        return false;
    };
    let delivered = identity
        .get("sessionContext")
        .and_then(|s| s.get("ec2RoleDelivery"))
        .and_then(|d| d.as_str())
        .is_some_and(|d| !d.is_empty());
    if !delivered || identity.get("type").and_then(|t| t.as_str()) != Some("AssumedRole") {
        return false;
    }
    let Some(arn) = identity.get("arn").and_then(|a| a.as_str()) else {
        return false;
    };
    // `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`: role and session names contain no `/`
    // or `:`, so the session is after the last `/` and the resource after the last `:` (cheaper than a
    // substring search, and this runs for every instance-role record).
    let Some((head, session)) = arn.rsplit_once('/') else {
        return false;
    };
    let role = head
        .rsplit_once(':')
        .and_then(|(_, resource)| resource.strip_prefix("assumed-role/"));
    role.is_some_and(|r| !r.is_empty() && !r.contains('/'))
        && session.starts_with("i-")
        && session.len() > 2
}

/// The AWS account a principal names: a 12-digit account id, or the account field of an IAM/STS ARN
/// (`arn:aws:iam::123456789012:root`, `…:user/x`, `…:role/x`, `arn:aws:sts::123456789012:assumed-role/…`).
pub(super) fn principal_account(principal: &str) -> Option<&str> {
    let p = principal.trim();
    if p.len() == 12 && p.bytes().all(|b| b.is_ascii_digit()) {
        return Some(p);
    }
    let arn = crate::own_resources::Arn::split(p)?;
    (matches!(arn.service, "iam" | "sts")
        && arn.account.len() == 12
        && arn.account.bytes().all(|b| b.is_ascii_digit()))
    .then_some(arn.account)
}

/// Whether `account` is outside: neither the record's recipient account nor a configured trusted account.
pub(super) fn is_outside(account: &str, own: Option<&str>, context: &Context) -> bool {
    Some(account) != own && !context.trusted_accounts.contains(account)
}

/// What a resource or trust policy opens to principals outside the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Grant {
    /// An `Allow` statement with the principal `*` (or `{"AWS": "*"}`) and no `Condition`: anyone.
    Anyone,
    /// An `Allow` statement naming an AWS account (by id or IAM/STS ARN) that is neither the recipient account
    /// nor trusted, with or without a condition.
    OtherAccount,
}

/// A policy document as a JSON value: a JSON string holding the document (IAM's `policyDocument`,
/// `assumeRolePolicyDocument`) is parsed; an object (S3's `bucketPolicy`) is taken as it is.
pub(super) fn policy_document(node: Node<'_>) -> Option<Value> {
    match node.as_str() {
        Some(text) => serde_json::from_str(text).ok(),
        None => node.as_object().map(|o| o.to_value()),
    }
}

/// The widest grant of `policy`'s `Allow` statements to principals outside `own` (see [`Grant`]). `Service`
/// and `Federated` principals are not accounts and grant nothing here; `Deny` statements are ignored.
pub(super) fn policy_grant(policy: &Value, own: Option<&str>, context: &Context) -> Option<Grant> {
    let statements: Vec<&Value> = match policy.get("Statement")? {
        Value::Array(items) => items.iter().collect(),
        one @ Value::Object(_) => vec![one],
        _ => return None,
    };
    let mut widest = None;
    for statement in statements {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        let conditioned = statement.get("Condition").is_some();
        let aws: Vec<&str> = match statement.get("Principal") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Object(p)) => match p.get("AWS") {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        for principal in aws {
            if principal.trim() == "*" {
                if !conditioned {
                    return Some(Grant::Anyone);
                }
            } else if principal_account(principal).is_some_and(|a| is_outside(a, own, context)) {
                widest = Some(Grant::OtherAccount);
            }
        }
    }
    widest
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail::Parsed;
    use serde_json::json;

    #[test]
    fn principal_accounts() {
        assert_eq!(principal_account("123456789012"), Some("123456789012"));
        assert_eq!(
            principal_account("arn:aws:iam::123456789012:root"),
            Some("123456789012")
        );
        assert_eq!(
            principal_account("arn:aws-cn:sts::123456789012:assumed-role/r/s"),
            Some("123456789012")
        );
        assert_eq!(principal_account("arn:aws:s3:::bucket"), None);
        assert_eq!(principal_account("s3.amazonaws.com"), None);
        assert_eq!(principal_account("12345678901"), None);
        assert_eq!(principal_account("*"), None);
    }

    #[test]
    fn policy_grants() {
        let context = Context {
            trusted_accounts: ["444455556666".to_owned()].into(),
            ..Context::default()
        };
        let own = Some("111122223333");
        let grant = |p: Value| policy_grant(&p, own, &context);
        let allow =
            |principal: Value| json!({"Statement": [{"Effect": "Allow", "Principal": principal}]});
        assert_eq!(grant(allow(json!("*"))), Some(Grant::Anyone));
        assert_eq!(grant(allow(json!({"AWS": "*"}))), Some(Grant::Anyone));
        assert_eq!(
            grant(allow(
                json!({"AWS": ["arn:aws:iam::111122223333:root", "999988887777"]})
            )),
            Some(Grant::OtherAccount)
        );
        assert_eq!(
            grant(allow(json!({"AWS": "arn:aws:iam::444455556666:root"}))),
            None
        );
        assert_eq!(
            grant(allow(json!({"AWS": "arn:aws:iam::111122223333:role/x"}))),
            None
        );
        assert_eq!(grant(allow(json!({"Service": "ec2.amazonaws.com"}))), None);
        assert_eq!(
            grant(json!({"Statement": {"Effect": "Allow", "Principal": "*",
                                       "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}})),
            None,
            "a conditioned `*` is not anyone"
        );
        assert_eq!(
            grant(json!({"Statement": {"Effect": "Deny", "Principal": "*"}})),
            None
        );
        assert_eq!(grant(json!({"Statement": 5})), None);
        assert_eq!(grant(json!([])), None);
    }

    #[test]
    fn instance_sessions() {
        let session = |arn: &str, delivery: bool| {
            let mut v =
                json!({"userIdentity": {"type": "AssumedRole", "arn": arn, "sessionContext": {}}});
            if delivery {
                v["userIdentity"]["sessionContext"]["ec2RoleDelivery"] = json!("2.0");
            }
            v
        };
        let check = |v: &Value| is_instance_session(Parsed::from_value(v).root());
        assert!(check(&session(
            "arn:aws:sts::111122223333:assumed-role/web/i-0abc",
            true
        )));
        assert!(!check(&session(
            "arn:aws:sts::111122223333:assumed-role/web/i-0abc",
            false
        )));
        assert!(!check(&session(
            "arn:aws:sts::111122223333:assumed-role/web/alice",
            true
        )));
        assert!(!check(&session(
            "arn:aws:sts::111122223333:assumed-role/web/i-",
            true
        )));
        assert!(!check(&json!({"userIdentity": {"type": "IAMUser"}})));
        for not_a_session in [
            "arn:aws:iam::111122223333:role/web/i-0abc",
            "arn:aws:sts::111122223333:assumed-role//i-0abc",
            "arn:aws:sts::111122223333:assumed-role/i-0abc",
            "i-0abc",
        ] {
            assert!(!check(&session(not_a_session, true)), "{not_a_session}");
        }
        assert!(check(&session(
            "arn:aws-us-gov:sts::111122223333:assumed-role/web-role.x/i-0123456789abcdef0",
            true
        )));
    }
}
