//! Detections beyond the CIS benchmark: what CloudWatch metric filters either cannot express (comparisons
//! between two fields, array contents, deployment context) or that CIS does not ask for.
//!
//! One file per rule. Where a CloudWatch filter pattern expresses the rule exactly it is a
//! [`Detection::Pattern`](crate::Detection::Pattern), quoted verbatim in the rule's doc comment, so it can be
//! pasted into a metric filter; otherwise it is a [`Detection::Code`](crate::Detection::Code) function that
//! checks the event name (or the cheapest discriminating field) first, allocates nothing and treats a missing
//! or oddly typed field as "no match".
//!
//! "Successful" always means what the pattern term `$.errorCode NOT EXISTS && $.errorMessage NOT EXISTS`
//! means. ATT&CK technique ids are cited as controls (`MITRE ATT&CK`).

use crate::Rule;

mod common;

pub mod access_key_created_for_other_user;
pub mod ami_shared;
pub mod cloudtrail_management_events_disabled;
pub mod cloudtrail_stopped_or_deleted;
pub mod console_login_without_mfa;
pub mod ebs_default_encryption_disabled;
pub mod ebs_snapshot_shared;
pub mod external_principal_access;
pub mod external_principal_access_denied;
pub mod guardduty_disabled;
pub mod iam_user_created;
pub mod leave_organization;
pub mod login_profile_changed_for_other_user;
pub mod root_activity;
pub mod root_console_login_failure;
pub mod root_console_login_success;
pub mod s3_copy_object_to_external_account;
pub mod s3_public_access_block_deleted;
pub mod security_configuration_change;
pub mod unapproved_region;
pub mod vpc_flow_logs_deleted;
pub mod vpce_cross_account_access;
pub mod watched_access_key_used;

/// The beyond-CIS rules, in catalog order: identity and sign-in, logging and detection, IAM persistence, data
/// sharing and exfiltration, external access, deployment-context rules.
pub static BEYOND: &[&Rule] = &[
    &root_activity::RULE,
    &root_console_login_success::RULE,
    &root_console_login_failure::RULE,
    &console_login_without_mfa::RULE,
    &cloudtrail_stopped_or_deleted::RULE,
    &cloudtrail_management_events_disabled::RULE,
    &guardduty_disabled::RULE,
    &security_configuration_change::RULE,
    &ebs_default_encryption_disabled::RULE,
    &access_key_created_for_other_user::RULE,
    &iam_user_created::RULE,
    &login_profile_changed_for_other_user::RULE,
    &s3_public_access_block_deleted::RULE,
    &vpc_flow_logs_deleted::RULE,
    &leave_organization::RULE,
    &ebs_snapshot_shared::RULE,
    &ami_shared::RULE,
    &external_principal_access::RULE,
    &external_principal_access_denied::RULE,
    &vpce_cross_account_access::RULE,
    &s3_copy_object_to_external_account::RULE,
    &watched_access_key_used::RULE,
    &unapproved_region::RULE,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, Detection, Engine, Pattern};
    use serde_json::{json, Value};

    /// Each rule's source file, to check its doc comment against its detection.
    const SOURCES: &[(&str, &str)] = &[
        ("root-activity", include_str!("root_activity.rs")),
        (
            "root-console-login-success",
            include_str!("root_console_login_success.rs"),
        ),
        (
            "root-console-login-failure",
            include_str!("root_console_login_failure.rs"),
        ),
        (
            "console-login-without-mfa",
            include_str!("console_login_without_mfa.rs"),
        ),
        (
            "cloudtrail-stopped-or-deleted",
            include_str!("cloudtrail_stopped_or_deleted.rs"),
        ),
        (
            "cloudtrail-management-events-disabled",
            include_str!("cloudtrail_management_events_disabled.rs"),
        ),
        ("guardduty-disabled", include_str!("guardduty_disabled.rs")),
        (
            "security-configuration-change",
            include_str!("security_configuration_change.rs"),
        ),
        (
            "ebs-default-encryption-disabled",
            include_str!("ebs_default_encryption_disabled.rs"),
        ),
        (
            "access-key-created-for-other-user",
            include_str!("access_key_created_for_other_user.rs"),
        ),
        ("iam-user-created", include_str!("iam_user_created.rs")),
        (
            "login-profile-changed-for-other-user",
            include_str!("login_profile_changed_for_other_user.rs"),
        ),
        (
            "s3-public-access-block-deleted",
            include_str!("s3_public_access_block_deleted.rs"),
        ),
        (
            "vpc-flow-logs-deleted",
            include_str!("vpc_flow_logs_deleted.rs"),
        ),
        ("leave-organization", include_str!("leave_organization.rs")),
        (
            "ebs-snapshot-shared",
            include_str!("ebs_snapshot_shared.rs"),
        ),
        ("ami-shared", include_str!("ami_shared.rs")),
        (
            "external-principal-access",
            include_str!("external_principal_access.rs"),
        ),
        (
            "external-principal-access-denied",
            include_str!("external_principal_access_denied.rs"),
        ),
        (
            "vpce-cross-account-access",
            include_str!("vpce_cross_account_access.rs"),
        ),
        (
            "s3-copy-object-to-external-account",
            include_str!("s3_copy_object_to_external_account.rs"),
        ),
        (
            "watched-access-key-used",
            include_str!("watched_access_key_used.rs"),
        ),
        ("unapproved-region", include_str!("unapproved_region.rs")),
    ];

    /// The issue's "Beyond CIS" table, every id exactly once.
    const ISSUE_IDS: &[&str] = &[
        "root-activity",
        "root-console-login-success",
        "root-console-login-failure",
        "console-login-without-mfa",
        "cloudtrail-stopped-or-deleted",
        "cloudtrail-management-events-disabled",
        "guardduty-disabled",
        "security-configuration-change",
        "ebs-default-encryption-disabled",
        "access-key-created-for-other-user",
        "iam-user-created",
        "login-profile-changed-for-other-user",
        "s3-public-access-block-deleted",
        "vpc-flow-logs-deleted",
        "leave-organization",
        "ebs-snapshot-shared",
        "ami-shared",
        "external-principal-access",
        "external-principal-access-denied",
        "vpce-cross-account-access",
        "s3-copy-object-to-external-account",
        "watched-access-key-used",
        "unapproved-region",
    ];

    #[test]
    fn exactly_the_issue_ids() {
        let mut ids: Vec<&str> = BEYOND.iter().map(|r| r.id).collect();
        let mut want = ISSUE_IDS.to_vec();
        ids.sort_unstable();
        want.sort_unstable();
        assert_eq!(ids, want);
        Engine::new(BEYOND).expect("the beyond-CIS rules compile, with unique ids");
    }

    #[test]
    fn every_rule_cites_attack_and_documents_its_detection() {
        for rule in BEYOND {
            assert!(
                rule.controls.iter().all(|c| c.framework == "MITRE ATT&CK"
                    && c.id.starts_with('T')
                    && c.id[1..].chars().all(|ch| ch.is_ascii_digit() || ch == '.')),
                "{}: controls must be ATT&CK technique ids",
                rule.id
            );
            let (_, src) = SOURCES
                .iter()
                .find(|(id, _)| *id == rule.id)
                .unwrap_or_else(|| panic!("{} has no source entry", rule.id));
            assert!(src.contains(&format!("id: \"{}\"", rule.id)), "{}", rule.id);
            match rule.detection {
                Detection::Pattern(p) => {
                    // The doc comment quotes the pattern verbatim, so reviewers can diff it and users can paste it.
                    assert!(
                        src.contains(&format!("/// `{p}`"))
                            || src.contains(&format!("Pattern: `{p}`")),
                        "{}: the doc comment must quote the pattern verbatim",
                        rule.id
                    );
                    Pattern::parse(p).unwrap_or_else(|e| panic!("{}: {e}", rule.id));
                    // CloudWatch Logs PutMetricFilter: filterPattern "Maximum length of 1024".
                    assert!(
                        p.len() <= 1024,
                        "{}: pattern too long for CloudWatch",
                        rule.id
                    );
                }
                Detection::Code(_) | Detection::CodeFor { .. } => assert!(
                    src.contains("Code, not a pattern:"),
                    "{}: a code rule says why it is code",
                    rule.id
                ),
            }
        }
    }

    /// Values of every JSON type, put at every field the rules read: no rule may panic, and a field of the
    /// wrong type must not make a rule fire where the same record without the field would not.
    #[test]
    fn code_rules_are_total() {
        let odd: Vec<Value> = vec![
            Value::Null,
            json!(true),
            json!(0),
            json!(-1.5),
            json!(""),
            json!("x"),
            json!([]),
            json!([null, 1, "a", {}]),
            json!({}),
            json!({"items": null}),
        ];
        let fields: &[&[&str]] = &[
            &["eventName"],
            &["eventSource"],
            &["eventType"],
            &["awsRegion"],
            &["readOnly"],
            &["errorCode"],
            &["recipientAccountId"],
            &["vpcEndpointAccountId"],
            &["resources"],
            &["requestParameters"],
            &["requestParameters", "userName"],
            &["requestParameters", "bucketName"],
            &["requestParameters", "eventSelectors"],
            &["requestParameters", "advancedEventSelectors"],
            &["requestParameters", "createVolumePermission"],
            &["requestParameters", "launchPermission"],
            &["requestParameters", "passwordResetRequired"],
            &["userIdentity"],
            &["userIdentity", "type"],
            &["userIdentity", "accountId"],
            &["userIdentity", "userName"],
            &["userIdentity", "arn"],
            &["userIdentity", "accessKeyId"],
            &["userIdentity", "sessionContext"],
        ];
        let context = Context {
            trusted_accounts: ["444455556666".to_owned()].into(),
            watched_access_keys: ["AKIAWATCHEDEXAMPLE01".to_owned()].into(),
            allowed_regions: ["us-east-1".to_owned()].into(),
        };
        let engine = Engine::new(BEYOND).unwrap().with_context(context);
        let quiet = json!({
            "eventName": "CreateAccessKey", "eventSource": "iam.amazonaws.com", "eventType": "AwsApiCall",
            "awsRegion": "us-east-1", "readOnly": true, "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "accountId": "111122223333", "userName": "alice",
                             "arn": "arn:aws:iam::111122223333:user/alice"},
            "requestParameters": {"userName": "alice"}
        });
        let loud = json!({
            "eventName": "CopyObject", "eventSource": "s3.amazonaws.com", "eventType": "AwsApiCall",
            "awsRegion": "ap-south-1", "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "accountId": "999988887777", "userName": "mallory",
                             "arn": "arn:aws:iam::999988887777:user/mallory",
                             "accessKeyId": "AKIAWATCHEDEXAMPLE01"},
            "requestParameters": {"bucketName": "dst", "x-amz-copy-source": "src/k"},
            "resources": [
                {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::src", "accountId": "111122223333"},
                {"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::dst", "accountId": "999988887777"}
            ]
        });
        let fires = |record: &Value| -> Vec<String> {
            engine
                .matching(cloudtrail::Parsed::from_value(record).root())
                .map(|(rule, _)| rule.id().to_owned())
                .collect()
        };
        assert_eq!(
            fires(&loud),
            [
                "external-principal-access",
                "s3-copy-object-to-external-account",
                "watched-access-key-used",
                "unapproved-region"
            ]
        );
        for base in [&quiet, &loud] {
            for path in fields {
                let mut without = base.clone();
                remove(&mut without, path);
                let fires_without = fires(&without);
                for value in &odd {
                    let mut record = base.clone();
                    set(&mut record, path, value.clone());
                    if value == "x" {
                        // A well-typed value for string fields: only check that nothing panics.
                        let _ = fires(&record);
                        continue;
                    }
                    for id in fires(&record) {
                        assert!(
                            fires_without.contains(&id),
                            "{id} fires only because {path:?} = {value}"
                        );
                    }
                }
            }
        }
        for value in &odd {
            assert!(fires(value).is_empty(), "{value}");
        }
    }

    fn remove(record: &mut Value, path: &[&str]) {
        let mut v = record;
        for key in &path[..path.len() - 1] {
            match v.get_mut(*key) {
                Some(next) => v = next,
                None => return,
            }
        }
        if let Some(map) = v.as_object_mut() {
            map.remove(path[path.len() - 1]);
        }
    }

    fn set(record: &mut Value, path: &[&str], value: Value) {
        let mut v = record;
        for key in &path[..path.len() - 1] {
            if !v.get(*key).is_some_and(Value::is_object) {
                v[*key] = json!({});
            }
            v = &mut v[*key];
        }
        v[path[path.len() - 1]] = value;
    }
}
