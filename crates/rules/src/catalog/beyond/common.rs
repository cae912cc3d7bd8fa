//! Field accessors shared by the beyond-CIS code rules.
//!
//! Every function is total: a missing field, or a field of an unexpected JSON type, reads as "absent" (`None`,
//! `false`), never as a panic. None of them allocates.

use crate::{rule::Context, rule::FieldValue, rule::Hit};
use cloudtrail::Node;

pub(super) use crate::external::{external_caller, made_by_aws_service, ExternalCaller};
pub(super) use cloudtrail::vocab::{
    error_code, event_name, event_source, event_type, str_at, succeeded,
};

/// An identifier (account id, user name) at `path`: a non-empty string. An empty string names nobody, so it
/// reads as absent.
pub(super) fn id_at<'v>(record: Node<'v>, path: &[&str]) -> Option<&'v str> {
    str_at(record, path).filter(|id| !id.is_empty())
}

/// The prefilter of [`succeeded`]: no `errorCode` and no `errorMessage`.
pub(super) fn succeeded_fields() -> Vec<(&'static str, Vec<FieldValue>)> {
    vec![
        ("errorCode", FieldValue::exists(false)),
        ("errorMessage", FieldValue::exists(false)),
    ]
}

/// The prefilter of [`external_caller`]: the caller's account a non-empty string outside the trusted
/// accounts (a prefilter cannot compare it with `recipientAccountId`), a recipient account, and no
/// `invokedBy`.
pub(super) fn external_caller_fields(context: &Context) -> Vec<(&'static str, Vec<FieldValue>)> {
    let untrusted = context
        .trusted_accounts
        .iter()
        .map(String::as_str)
        .chain([""]);
    vec![
        (
            "userIdentity.accountId",
            FieldValue::anything_but(untrusted),
        ),
        ("recipientAccountId", FieldValue::anything_but([""])),
        ("userIdentity.invokedBy", FieldValue::exists(false)),
    ]
}

/// `userIdentity.<key>` as a string.
pub(super) fn identity_str<'v>(record: Node<'v>, key: &str) -> Option<&'v str> {
    record.get("userIdentity")?.get(key)?.as_str()
}

/// `userIdentity.type`.
pub(super) fn identity_type(record: Node<'_>) -> Option<&str> {
    identity_str(record, "type")
}

/// A JSON `true`, or the string `"true"` (some producers stringify booleans).
pub(super) fn is_true(value: Option<Node<'_>>) -> bool {
    value.is_some_and(|v| v.as_bool().unwrap_or_else(|| v.as_str() == Some("true")))
}

/// `readOnly` is true. An absent `readOnly` is not read-only (sign-in events, some data events).
pub(super) fn is_read_only(record: Node<'_>) -> bool {
    is_true(record.get("readOnly"))
}

/// The IAM user name at the end of an IAM user ARN: `arn:aws:iam::111122223333:user/division/alice` → `alice`.
pub(super) fn user_name_from_arn(arn: &str) -> Option<&str> {
    let (_, path) = arn.split_once(":user/")?;
    path.rsplit('/').next().filter(|name| !name.is_empty())
}

/// Whether an IAM call that names the user `target` (its `requestParameters.userName`) acts on a user other
/// than the caller. `None` when the record does not say who the caller is.
///
/// * An `IAMUser` caller acts on another user when `target` is not its own name (`userIdentity.userName`, else
///   the name at the end of its ARN). IAM user names are unique regardless of case ("names are not
///   distinguished by case"), so the comparison ignores ASCII case. A user of a different account than the
///   recipient is always another user, whatever its name.
/// * Every other caller type (root, assumed roles, federated users, services) is never the IAM user it names.
pub(super) fn acts_on_other_user(record: Node<'_>, target: &str) -> Option<bool> {
    let id = record.get("userIdentity")?;
    if id_at(id, &["type"])? != "IAMUser" {
        return Some(true);
    }
    if let (Some(caller_account), Some(recipient)) = (
        id_at(id, &["accountId"]),
        id_at(record, &["recipientAccountId"]),
    ) {
        if caller_account != recipient {
            return Some(true);
        }
    }
    let own = id_at(id, &["userName"]).or_else(|| user_name_from_arn(id.get("arn")?.as_str()?))?;
    Some(!own.eq_ignore_ascii_case(target))
}

/// The sharing rules' common shape: a successful `event` call of EC2 (`eventSource ec2.amazonaws.com`, no
/// `errorCode`, no `errorMessage`) whose `requestParameters.<attribute>.add.items[*]` grants to the group `all`
/// (a hit noted "shared publicly (group all)"), or to a `userId` (an account) that is neither the recipient
/// account nor trusted (a plain hit). Items without a string `userId` or `group` grant nothing here.
pub(super) fn ec2_shared_outside(
    record: Node<'_>,
    context: &Context,
    event: &str,
    attribute: &str,
) -> Option<Hit> {
    if event_name(record) != Some(event)
        || event_source(record) != Some("ec2.amazonaws.com")
        || !succeeded(record)
    {
        return None;
    }
    let items = record
        .get("requestParameters")?
        .get(attribute)?
        .get("add")?
        .get("items")?
        .as_array()?;
    if items
        .clone()
        .any(|item| item.get("group").and_then(|g| g.as_str()) == Some("all"))
    {
        return Some(Hit::noted("shared publicly (group all)"));
    }
    let own = id_at(record, &["recipientAccountId"]);
    items
        .filter_map(|item| item.get("userId")?.as_str())
        .any(|id| !id.is_empty() && Some(id) != own && !context.trusted_accounts.contains(id))
        .then_some(Hit::PLAIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cloudtrail::Parsed;
    use serde_json::json;
    use serde_json::Value;

    fn succeeded(v: &Value) -> bool {
        super::succeeded(Parsed::from_value(v).root())
    }
    fn is_read_only(v: &Value) -> bool {
        super::is_read_only(Parsed::from_value(v).root())
    }
    fn acts_on_other_user(v: &Value, target: &str) -> Option<bool> {
        super::acts_on_other_user(Parsed::from_value(v).root(), target)
    }

    #[test]
    fn user_name_from_arn_takes_the_last_path_segment() {
        assert_eq!(
            user_name_from_arn("arn:aws:iam::111122223333:user/alice"),
            Some("alice")
        );
        assert_eq!(
            user_name_from_arn("arn:aws:iam::111122223333:user/division/team/alice"),
            Some("alice")
        );
        assert_eq!(
            user_name_from_arn("arn:aws-cn:iam::111122223333:user/bob"),
            Some("bob")
        );
        assert_eq!(user_name_from_arn("arn:aws:iam::111122223333:root"), None);
        assert_eq!(
            user_name_from_arn("arn:aws:sts::111122223333:assumed-role/Admin/alice"),
            None
        );
        assert_eq!(user_name_from_arn("arn:aws:iam::111122223333:user/"), None);
    }

    #[test]
    fn acts_on_other_user_cases() {
        let user = |name: Option<&str>, arn: Option<&str>| {
            let mut id = json!({"type": "IAMUser", "accountId": "111122223333"});
            if let Some(n) = name {
                id["userName"] = json!(n);
            }
            if let Some(a) = arn {
                id["arn"] = json!(a);
            }
            json!({"userIdentity": id, "recipientAccountId": "111122223333"})
        };
        assert_eq!(
            acts_on_other_user(&user(Some("alice"), None), "alice"),
            Some(false)
        );
        assert_eq!(
            acts_on_other_user(&user(Some("Alice"), None), "alice"),
            Some(false),
            "IAM names ignore case"
        );
        assert_eq!(
            acts_on_other_user(&user(Some("alice"), None), "bob"),
            Some(true)
        );
        assert_eq!(
            acts_on_other_user(
                &user(None, Some("arn:aws:iam::111122223333:user/ops/alice")),
                "alice"
            ),
            Some(false),
            "name from the ARN when userName is absent"
        );
        assert_eq!(acts_on_other_user(&user(None, None), "alice"), None);
        let mut other_account = user(Some("alice"), None);
        other_account["userIdentity"]["accountId"] = json!("999988887777");
        assert_eq!(acts_on_other_user(&other_account, "alice"), Some(true));
        let root = json!({"userIdentity": {"type": "Root"}});
        assert_eq!(acts_on_other_user(&root, "alice"), Some(true));
        assert_eq!(acts_on_other_user(&json!({"userIdentity": 5}), "a"), None);
        assert_eq!(acts_on_other_user(&json!([]), "a"), None);
    }

    #[test]
    fn success_and_read_only_follow_pattern_semantics() {
        assert!(succeeded(&json!({"eventName": "X"})));
        assert!(!succeeded(&json!({"errorCode": null})));
        assert!(!succeeded(&json!({"errorMessage": "boom"})));
        assert!(is_read_only(&json!({"readOnly": true})));
        assert!(is_read_only(&json!({"readOnly": "true"})));
        assert!(!is_read_only(&json!({"readOnly": false})));
        assert!(!is_read_only(&json!({"readOnly": 1})));
        assert!(!is_read_only(&json!({})));
    }
}
