//! Detections beyond the CIS benchmark: what CloudWatch metric filters either cannot express (comparisons
//! between two fields, array contents, deployment context) or that CIS does not ask for.
//!
//! One file per rule, registered by one line below. Where a CloudWatch filter pattern expresses the rule
//! exactly it is a [`Detection::Pattern`](crate::rule::Detection::Pattern), quoted verbatim in the rule's doc comment,
//! so it can be pasted into a metric filter; otherwise it is a [`Detection::Code`](crate::rule::Detection::Code)
//! function that checks the event name (or the cheapest discriminating field) first, allocates nothing and
//! treats a missing or oddly typed field as "no match".
//!
//! "Successful" always means what the pattern term `$.errorCode NOT EXISTS && $.errorMessage NOT EXISTS`
//! means. ATT&CK technique ids are cited as controls (`MITRE ATT&CK`), and the Stratus Red Team techniques a rule
//! detects (`Stratus Red Team`, the technique id; see [`crate::stratus`]).

mod common;

register_rules! {
    /// The beyond-CIS rules, in catalog order: identity and sign-in, logging and detection, IAM persistence,
    /// data sharing and exfiltration, external access, deployment-context rules; rules added since, at the end
    /// (the order of existing rules never changes: the README table and CLI outputs follow it).
    pub static BEYOND = [
        root_activity,
        root_console_login_success,
        root_console_login_failure,
        console_login_without_mfa,
        cloudtrail_stopped_or_deleted,
        cloudtrail_management_events_disabled,
        guardduty_disabled,
        security_configuration_change,
        ebs_default_encryption_disabled,
        access_key_created_for_other_user,
        iam_user_created,
        login_profile_changed_for_other_user,
        s3_public_access_block_deleted,
        vpc_flow_logs_deleted,
        leave_organization,
        ebs_snapshot_shared,
        ami_shared,
        external_principal_access,
        external_principal_access_denied,
        vpce_cross_account_access,
        s3_copy_object_to_external_account,
        watched_access_key_used,
        unapproved_region,
        s3_bucket_notification_changed,
        trailwarden_pipeline_tampering,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{engine::Engine, rule::Context, rule::Detection};
    use pattern::Pattern;
    use serde_json::{json, Value};

    #[test]
    fn the_beyond_rules_compile_with_unique_ids() {
        Engine::new(BEYOND).expect("the beyond-CIS rules compile, with unique ids");
    }

    #[test]
    fn every_rule_cites_attack_and_documents_its_detection() {
        for rule in BEYOND {
            assert!(
                rule.controls.iter().all(|c| match c.framework {
                    "MITRE ATT&CK" =>
                        c.id.starts_with('T')
                            && c.id[1..].chars().all(|ch| ch.is_ascii_digit() || ch == '.'),
                    "Stratus Red Team" => crate::stratus::technique(c.id).is_some(),
                    _ => false,
                }),
                "{}: controls must be ATT&CK technique ids or Stratus Red Team technique ids",
                rule.id
            );
            let module = rule.id.replace(['-', '.'], "_");
            let (_, src) = SOURCES
                .iter()
                .find(|(m, _)| *m == module)
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
                Detection::Code { .. } | Detection::CodeThreshold { .. } => assert!(
                    src.contains("Code, not a pattern:"),
                    "{}: a code rule says why it is code",
                    rule.id
                ),
                Detection::Threshold(_) => {
                    panic!("{}: threshold rules live in catalog/threshold", rule.id)
                }
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
            &["requestParameters", "key"],
            &["requestParameters", "delete"],
            &["requestParameters", "delete", "objects"],
            &["requestParameters", "functionName"],
            &["requestParameters", "roleName"],
            &["requestParameters", "topicArn"],
            &["requestParameters", "subscriptionArn"],
            &["requestParameters", "keyId"],
            &["requestParameters", "name"],
            &["requestParameters", "trailName"],
            &["requestParameters", "alarmName"],
            &["requestParameters", "alarmNames"],
            &["requestParameters", "rule"],
            &["requestParameters", "eventBusName"],
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
            own_resources: crate::own_resources::OwnResources::from_arns([
                "arn:aws:s3:::tw-logs",
                "arn:aws:s3:::tw-logs/trailwarden/rules.toml",
                "arn:aws:lambda:us-east-1:111122223333:function:tw-alerter",
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "arn:aws:cloudwatch:us-east-1:111122223333:alarm:tw-errors",
            ])
            .unwrap(),
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
        // Records the pipeline rule fires on: a function by partial ARN, a key through an alias (its ARN only in
        // `resources`), an object written, alarms by a list.
        let tampering = [
            json!({
                "eventName": "UpdateFunctionConfiguration20150331v2", "eventSource": "lambda.amazonaws.com",
                "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
                "requestParameters": {"functionName": "111122223333:function:tw-alerter:$LATEST"}
            }),
            json!({
                "eventName": "DisableKey", "eventSource": "kms.amazonaws.com",
                "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
                "requestParameters": {"keyId": "alias/tw-alerts"},
                "resources": [{"accountId": "111122223333", "type": "AWS::KMS::Key",
                    "ARN": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}]
            }),
            json!({
                "eventName": "DeleteObjects", "eventSource": "s3.amazonaws.com",
                "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
                "requestParameters": {"bucketName": "tw-logs", "key": "trailwarden/rules.toml",
                    "delete": {"objects": [{"key": "trailwarden/rules.toml"}]}}
            }),
            json!({
                "eventName": "DeleteAlarms", "eventSource": "monitoring.amazonaws.com",
                "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
                "requestParameters": {"alarmNames": ["other", "tw-errors"]}
            }),
        ];
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
        for record in &tampering {
            assert_eq!(
                fires(record),
                ["trailwarden-pipeline-tampering"],
                "{record}"
            );
        }
        for base in [&quiet, &loud].into_iter().chain(&tampering) {
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
