//! Detections of the attack techniques in Stratus Red Team's AWS catalog (and the root access key) that the CIS
//! and beyond-CIS rules do not already cover: each cites the MITRE ATT&CK technique and the Stratus Red Team
//! technique id(s) it detects (`Stratus Red Team`, e.g. `aws.persistence.lambda-overwrite-code`), which
//! `trailwarden rules coverage` and [`crate::stratus`] read.
//!
//! One file per rule, registered by one line below, written as the beyond-CIS rules are: a
//! [`Detection::Pattern`](crate::rule::Detection::Pattern) quoted verbatim in the doc comment where a CloudWatch
//! pattern says it exactly, otherwise code that says why it is code. Behaviours that are normal once and
//! alarming in bulk (secrets read by the dozen, commands to many instances) are threshold rules, not here.

mod common;

register_rules! {
    /// The attack-technique rules, in catalog order (new rules at the end; the order never changes).
    pub static ATTACK = [
        ec2_instance_credentials_used_outside,
        route53_resolver_query_logging_deleted,
        ec2_user_data_modified,
        ssm_command_sent,
        ssm_session_started,
        rds_snapshot_shared,
        ec2_instance_connect_ssh_key_sent,
        ec2_serial_console_access,
        role_trust_policy_external_principal,
        lambda_function_policy_opened,
        lambda_layer_added,
        lambda_code_updated_by_iam_user,
        rolesanywhere_trust_anchor_changed,
        sts_federation_token_issued,
        root_access_key_created,
        s3_lifecycle_short_expiration,
        s3_object_encrypted_with_customer_key,
        s3_bucket_policy_external_principal,
        ami_deregistered,
        sagemaker_lifecycle_config_changed,
        ses_enumerated_by_access_key,
        instance_role_discovery,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{engine::Engine, rule::Detection};
    use pattern::Pattern;

    #[test]
    fn the_attack_rules_compile_with_unique_ids() {
        Engine::new(ATTACK).expect("the attack rules compile, with unique ids");
    }

    /// Every rule cites an ATT&CK technique, and every rule but the root access key one a Stratus Red Team
    /// technique of the catalog in [`crate::stratus`]; patterns are quoted verbatim, code says why it is code.
    #[test]
    fn every_rule_cites_attack_and_stratus_and_documents_its_detection() {
        for rule in ATTACK {
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
            assert!(
                rule.controls.iter().any(|c| c.framework == "MITRE ATT&CK"),
                "{}",
                rule.id
            );
            assert!(
                rule.id == "root-access-key-created"
                    || rule
                        .controls
                        .iter()
                        .any(|c| c.framework == "Stratus Red Team"),
                "{}",
                rule.id
            );
            let module = rule.id.replace(['-', '.'], "_");
            let (_, src) = SOURCES
                .iter()
                .find(|(m, _)| *m == module)
                .unwrap_or_else(|| panic!("{} has no source entry", rule.id));
            if let Detection::Pattern(p) = rule.detection {
                assert!(
                    src.contains(&format!("Pattern: `{p}`")),
                    "{}: the doc comment must quote the pattern verbatim",
                    rule.id
                );
                Pattern::parse(p).unwrap_or_else(|e| panic!("{}: {e}", rule.id));
                assert!(
                    p.len() <= 1024,
                    "{}: pattern too long for CloudWatch",
                    rule.id
                );
            } else if matches!(
                rule.detection,
                Detection::Code { .. } | Detection::CodeThreshold { .. }
            ) {
                assert!(
                    src.contains("Code, not a pattern:"),
                    "{}: a code rule says why it is code",
                    rule.id
                );
            }
        }
    }

    /// Values of every JSON type at every field the code rules read: no rule panics, and a field of the wrong
    /// type never makes a rule fire where the record without the field would not.
    #[test]
    fn code_rules_are_total() {
        use serde_json::{json, Value};
        let odd: Vec<Value> = vec![
            Value::Null,
            json!(true),
            json!(0),
            json!(""),
            json!("x"),
            json!("*"),
            json!([]),
            json!([null, 1, "a", {}]),
            json!({}),
            json!({"Statement": 1}),
        ];
        let fields: &[&[&str]] = &[
            &["eventName"],
            &["eventSource"],
            &["errorCode"],
            &["recipientAccountId"],
            &["sourceIPAddress"],
            &["vpcEndpointId"],
            &["requestParameters"],
            &["requestParameters", "instanceIds"],
            &["requestParameters", "targets"],
            &["requestParameters", "attributeName"],
            &["requestParameters", "valuesToAdd"],
            &["requestParameters", "policyDocument"],
            &["requestParameters", "assumeRolePolicyDocument"],
            &["requestParameters", "bucketPolicy"],
            &["requestParameters", "principal"],
            &["requestParameters", "principalOrgID"],
            &["requestParameters", "layers"],
            &["requestParameters", "LifecycleConfiguration"],
            &["requestParameters", "LifecycleConfiguration", "Rule"],
            &[
                "requestParameters",
                "x-amz-server-side-encryption-customer-algorithm",
            ],
            &["userIdentity"],
            &["userIdentity", "type"],
            &["userIdentity", "arn"],
            &["userIdentity", "invokedBy"],
            &["userIdentity", "sessionContext"],
            &["userIdentity", "sessionContext", "ec2RoleDelivery"],
        ];
        let context = crate::rule::Context {
            trusted_accounts: ["444455556666".to_owned()].into(),
            ..crate::rule::Context::default()
        };
        let engine = Engine::new(ATTACK).unwrap().with_context(context);
        let fires = |record: &Value| -> Vec<String> {
            engine
                .matching(cloudtrail::Parsed::from_value(record).root())
                .map(|(rule, _)| rule.id().to_owned())
                .collect()
        };
        let instance = json!({"type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/web/i-0abc",
            "sessionContext": {"ec2RoleDelivery": "2.0"}});
        let bases = [
            json!({"eventName": "ListUsers", "eventSource": "iam.amazonaws.com", "recipientAccountId": "111122223333",
                   "sourceIPAddress": "203.0.113.9", "userIdentity": instance}),
            json!({"eventName": "UpdateAssumeRolePolicy", "eventSource": "iam.amazonaws.com",
                   "recipientAccountId": "111122223333", "userIdentity": {"type": "IAMUser"},
                   "requestParameters": {"policyDocument":
                       "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"999988887777\"}}]}"}}),
            json!({"eventName": "PutBucketPolicy", "eventSource": "s3.amazonaws.com",
                   "recipientAccountId": "111122223333", "userIdentity": {"type": "IAMUser"},
                   "requestParameters": {"bucketPolicy": {"Statement": {"Effect": "Allow", "Principal": "*"}}}}),
            json!({"eventName": "AddPermission20150331v2", "eventSource": "lambda.amazonaws.com",
                   "recipientAccountId": "111122223333", "userIdentity": {"type": "IAMUser"},
                   "requestParameters": {"principal": "999988887777"}}),
            json!({"eventName": "UpdateFunctionConfiguration20150331v2", "eventSource": "lambda.amazonaws.com",
                   "recipientAccountId": "111122223333", "userIdentity": {"type": "IAMUser"},
                   "requestParameters": {"layers": ["arn:aws:lambda:us-east-1:999988887777:layer:x:1"]}}),
            json!({"eventName": "ModifyDBSnapshotAttribute", "eventSource": "rds.amazonaws.com",
                   "recipientAccountId": "111122223333", "userIdentity": {"type": "IAMUser"},
                   "requestParameters": {"attributeName": "restore", "valuesToAdd": ["999988887777"]}}),
            json!({"eventName": "SendCommand", "eventSource": "ssm.amazonaws.com", "userIdentity": {"type": "IAMUser"},
                   "requestParameters": {"instanceIds": ["i-1", "i-2"], "targets": []}}),
            json!({"eventName": "PutBucketLifecycle", "eventSource": "s3.amazonaws.com",
                   "requestParameters": {"LifecycleConfiguration": {"Rule": {"Expiration": {"Days": 1}}}}}),
            json!({"eventName": "PutObject", "eventSource": "s3.amazonaws.com",
                   "requestParameters": {"x-amz-server-side-encryption-customer-algorithm": "AES256"}}),
        ];
        for base in &bases {
            assert!(!fires(base).is_empty(), "{base}");
            for path in fields {
                let mut without = base.clone();
                remove(&mut without, path);
                let fires_without = fires(&without);
                for value in &odd {
                    let mut record = base.clone();
                    set(&mut record, path, value.clone());
                    for id in fires(&record) {
                        assert!(
                            fires_without.contains(&id) || value == "x" || value == "*",
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

    fn remove(record: &mut serde_json::Value, path: &[&str]) {
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

    fn set(record: &mut serde_json::Value, path: &[&str], value: serde_json::Value) {
        let mut v = record;
        for key in &path[..path.len() - 1] {
            if !v.get(*key).is_some_and(serde_json::Value::is_object) {
                v[*key] = serde_json::json!({});
            }
            v = &mut v[*key];
        }
        v[path[path.len() - 1]] = value;
    }
}
