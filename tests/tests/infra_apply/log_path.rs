//! The log path of the deployed stack (infra/bucket.tf, trail.tf, iam.tf, lambda.tf, main.tf): the stored rules
//! file and its `[pipeline]` table, the lifecycle rule's scope, the bucket policy's deny statements, the
//! function's version-aware read grant and the trail's event selectors; and, in its own test, a `terraform plan`
//! of the module in existing-bucket mode.
//!
//! What moto checks and what it does not (each assertion says which it is):
//! - the bucket policy: moto holds what Terraform put and returns it; it evaluates none of the conditions of the
//!   deny statements (tests/infra/module_moto_override.tf.tmpl), so the four object-level denies are asserted in
//!   the document the module rendered (Terraform state) and the bucket-level one in the stored policy. Neither
//!   proves enforcement: that is AWS's policy evaluation, not exercised here.
//! - the execution role's inline policy is read from the Terraform state of `aws_iam_role_policy.lambda`, which
//!   the provider refreshes from moto's GetRolePolicy after the apply (this crate has no IAM SDK client).
//! - the rules file, the lifecycle rule and the trail's advanced event and Insights selectors are read back
//!   from moto with the SDK.

use alerter::config::sha256_hex;
use alerter::Config;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// The object-level deny statements the module renders and the test's module copy leaves out of what it puts.
pub(crate) const RENDERED_ONLY: [&str; 8] = [
    "DenyInsecureTransport",
    "DenyLogWritesExceptCloudTrail",
    "DenyLogDeletesExceptAdministrators",
    "DenyRulesFileWritesExceptAdministrators",
    "DenyArchiveWritesExceptAlerter",
    "DenyArchiveDeletesExceptAdministrators",
    "DenyQueryResultWritesExceptAthena",
    "DenyQueryResultDeletesExceptAdministrators",
];

/// The first line of the table the module appends to the rules file (infra/main.tf, `pipeline_table`).
const PIPELINE_HEADER: &str = "# Added by the trailwarden Terraform module: this deployment's own resources, watched by the rule\n# trailwarden-pipeline-tampering. Do not edit: the function checks this file's SHA-256 at cold start.\n[pipeline]\nresources = [\n";

/// Every managed resource of `terraform show -json`'s `values` (root and child modules).
fn managed_resources(module: &Value) -> Vec<&Value> {
    let mut all: Vec<&Value> = module["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["mode"] == "managed")
        .collect();
    for child in module["child_modules"].as_array().into_iter().flatten() {
        all.extend(managed_resources(child));
    }
    all
}

/// The ARNs of the state's resources of one type.
fn arns_of(resources: &[&Value], kind: &str) -> BTreeSet<String> {
    resources
        .iter()
        .filter(|r| r["type"] == kind)
        .map(|r| {
            r["values"]["arn"]
                .as_str()
                .unwrap_or_else(|| panic!("{} has no arn", r["address"]))
                .to_owned()
        })
        .collect()
}

/// A trail's advanced event selectors as (name, sorted (field, equals)).
type Selectors = BTreeSet<(String, Vec<(String, Vec<String>)>)>;

/// The statement `sid` of a policy document.
fn statement(policy: &Value, sid: &str) -> Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("policy statement {sid}: {policy}"))
        .clone()
}

/// A policy element that may be a string or a list, as a sorted list.
fn strings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().map(|s| s.as_str().unwrap().to_owned()).collect(),
        other => panic!("not a string or a list: {other}"),
    };
    out.sort();
    out
}

/// The `resources` of the generated `[pipeline]` table at the end of the stored rules file, in file order.
fn own_resources(rules_text: &str) -> Vec<String> {
    let at = rules_text.find(PIPELINE_HEADER).unwrap_or_else(|| {
        panic!("no generated [pipeline] table in the stored rules file:\n{rules_text}")
    });
    let body = &rules_text[at + PIPELINE_HEADER.len()..];
    let end = body.find("]\n").expect("the resources list is closed");
    assert_eq!(
        &body[end..],
        "]\n",
        "the generated table ends the stored rules file"
    );
    body[..end]
        .lines()
        .map(|line| {
            let arn = line
                .trim()
                .strip_prefix('"')
                .and_then(|l| l.strip_suffix("\","))
                .unwrap_or_else(|| panic!("a quoted ARN and a comma per line: {line:?}"));
            arn.to_owned()
        })
        .collect()
}

/// The deployed log path, read back after the apply. `env` is the deployed function's environment, `state` is
/// `terraform show -json`.
pub(crate) async fn assert_log_path(
    sdk: &aws_config::SdkConfig,
    state: &Value,
    out: &HashMap<String, Value>,
    env: &HashMap<String, String>,
) {
    // The user's part of the stored rules file: the example's rules_config.
    let example_rules = std::fs::read_to_string(
        test_support::repo_root().join("infra/examples/complete/trailwarden.toml"),
    )
    .unwrap();
    let example_rules = example_rules.as_str();
    let account = "123456789012";
    let bucket = super::output(out, "bucket_name");
    let trail_arn = super::output(out, "trail_arn");
    let topic_arn = super::output(out, "topic_arn");
    let kms_key_arn = super::output(out, "kms_key_arn");
    let function_name = super::output(out, "function_name");
    let bucket_arn = format!("arn:aws:s3:::{bucket}");
    let rules_key = "trailwarden/rules.toml";
    let rules_object_arn = format!("{bucket_arn}/{rules_key}");
    let s3 = alerter::s3_client(sdk);
    let cloudtrail = aws_sdk_cloudtrail::Client::new(sdk);
    let resources = managed_resources(&state["values"]["root_module"]);

    // 1. The rules file (moto GetObject): the example's rules, then the generated [pipeline] table, and the
    //    function's TRAILWARDEN_CONFIG_SHA256 is the SHA-256 of exactly these bytes.
    assert_eq!(
        env.get("TRAILWARDEN_CONFIG").map(String::as_str),
        Some(format!("s3://{bucket}/{rules_key}").as_str())
    );
    let stored = s3
        .get_object()
        .bucket(bucket)
        .key(rules_key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let rules_text = std::str::from_utf8(&stored).expect("UTF-8 rules file");
    let expected_sha = env
        .get("TRAILWARDEN_CONFIG_SHA256")
        .expect("TRAILWARDEN_CONFIG_SHA256 is always set");
    assert_eq!(expected_sha.len(), 64, "{expected_sha}");
    assert!(
        expected_sha
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "lowercase hex: {expected_sha}"
    );
    assert_eq!(
        &sha256_hex(&stored),
        expected_sha,
        "the function's hash is the stored object's"
    );
    // The function's own cold-start check accepts the stored file, and refuses it with one byte changed.
    let config = Config::from_lookup(|name| env.get(name).cloned()).expect("deployed environment");
    config
        .verify_rules_file(rules_text)
        .expect("the deployed function accepts its stored rules file");
    assert!(config
        .verify_rules_file(&format!("{rules_text}\n"))
        .is_err());
    // The user's part first, unchanged, then a blank line and the table.
    let user_part = rules_text
        .strip_prefix(example_rules)
        .expect("the stored file starts with the example's trailwarden.toml");
    assert!(
        user_part.starts_with(if example_rules.ends_with('\n') {
            "\n# Added by"
        } else {
            "\n\n# Added by"
        }),
        "{user_part}"
    );
    // The table lists this stack's log-path resources and exactly the keys, topics, alarms and EventBridge rules
    // in the Terraform state (the watchers' part appends those through local.pipeline_watch_arns).
    let listed = own_resources(rules_text);
    let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed.len(), listed_set.len(), "no duplicates: {listed:#?}");
    let mut want: BTreeSet<String> = [
        bucket_arn.clone(),
        rules_object_arn.clone(),
        format!("arn:aws:lambda:us-east-1:{account}:function:{function_name}"),
        format!("arn:aws:iam::{account}:role/{function_name}-role"),
        topic_arn.to_owned(),
        kms_key_arn.to_owned(),
        trail_arn.to_owned(),
    ]
    .into_iter()
    .collect();
    // The names the module builds these ARNs from are those of the resources it created.
    assert!(
        arns_of(&resources, "aws_lambda_function").contains(&format!(
            "arn:aws:lambda:us-east-1:{account}:function:{function_name}"
        ))
    );
    assert!(arns_of(&resources, "aws_cloudtrail").contains(trail_arn));
    for kind in [
        "aws_kms_key",
        "aws_sns_topic",
        "aws_cloudwatch_metric_alarm",
        "aws_cloudwatch_event_rule",
        "aws_sqs_queue",
        "aws_dynamodb_table",
        "aws_athena_workgroup",
        "aws_glue_catalog_database",
        "aws_glue_catalog_table",
    ] {
        want.extend(arns_of(&resources, kind));
    }
    assert_eq!(
        arns_of(&resources, "aws_kms_key").len(),
        3,
        "the alert key, the alarm key and the dedup MAC key"
    );
    // The state a finding passes through, in the ARN shapes the [pipeline] parser reads (crates/rules/src/own_resources.rs):
    // the three queues, the dedup table, the hunting workgroup, the Glue database and both tables, and the two
    // prefixes of the log bucket the stack writes (findings archive, query results) as BUCKET/PREFIX*.
    let arn =
        |service: &str, resource: &str| format!("arn:aws:{service}:us-east-1:{account}:{resource}");
    let state_arns = [
        arn("sqs", &format!("{function_name}-dlq")),
        arn("sqs", &format!("{function_name}-fast-path")),
        arn("sqs", &format!("{function_name}-fast-path-dlq")),
        arn("dynamodb", &format!("table/{}-dedup", super::NAME_PREFIX)),
        arn(
            "athena",
            &format!("workgroup/{}-hunting", super::NAME_PREFIX),
        ),
        arn("glue", "database/tw_e2e"),
        arn("glue", "table/tw_e2e/cloudtrail"),
        arn("glue", "table/tw_e2e/findings"),
        format!("{bucket_arn}/trailwarden-findings/*"),
        format!("{bucket_arn}/athena-results/*"),
    ];
    for a in &state_arns {
        assert!(listed_set.contains(a), "[pipeline] lists {a}: {listed:#?}");
    }
    want.extend(state_arns.iter().cloned());
    // Not the event source mapping: its UUID exists only after the function, whose configuration carries this
    // file's hash (infra/main.tf); the watchdog and the service control policy name it (watchers.rs, hardening.rs).
    assert!(
        listed.iter().all(|a| !a.contains(":event-source-mapping:")),
        "{listed:#?}"
    );
    // The key administrators are moto's user here, not a role: no administrator role is listed.
    assert!(
        listed.iter().filter(|a| a.contains(":role/")).count() == 1,
        "only the function's role: {listed:#?}"
    );
    assert_eq!(listed_set, want, "[pipeline] resources");

    // 2. Lifecycle (moto GetBucketLifecycleConfiguration): scoped to the log prefix, so the rules file beside the
    //    logs never expires.
    let lifecycle = s3
        .get_bucket_lifecycle_configuration()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let rules: BTreeSet<&str> = lifecycle.rules().iter().filter_map(|r| r.id()).collect();
    assert_eq!(
        rules,
        BTreeSet::from([
            "abort-incomplete-uploads",
            "athena-results",
            "cloudtrail-logs"
        ])
    );
    for rule in lifecycle.rules() {
        let prefix = rule.filter().and_then(|f| f.prefix()).unwrap_or_default();
        let acts_on_objects = rule.expiration().is_some()
            || !rule.transitions().is_empty()
            || rule.noncurrent_version_expiration().is_some()
            || !rule.noncurrent_version_transitions().is_empty();
        if rule.id() == Some("cloudtrail-logs") {
            assert!(acts_on_objects, "{rule:?}");
            assert_eq!(prefix, "AWSLogs/", "{rule:?}");
        } else if rule.id() == Some("athena-results") {
            // enable_athena (athena.rs): the query results only.
            assert_eq!(prefix, "athena-results/", "{rule:?}");
        } else {
            // The whole-bucket rule only aborts unfinished uploads: no completed object is touched.
            assert!(!acts_on_objects, "{rule:?}");
            assert!(rule.abort_incomplete_multipart_upload().is_some());
        }
        assert!(
            !acts_on_objects || !rules_key.starts_with(prefix),
            "{rule:?} reaches the rules file"
        );
    }

    // 3. Bucket policy. Rendered (Terraform state): the object-level denies moto cannot evaluate.
    let rendered = super::state_resource(
        &state["values"]["root_module"],
        "module.trailwarden.data.aws_iam_policy_document.bucket[0]",
    );
    let rendered: Value =
        serde_json::from_str(rendered["values"]["json"].as_str().unwrap()).unwrap();
    let stored_policy: Value = serde_json::from_str(
        &s3.get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .unwrap()
            .policy
            .unwrap(),
    )
    .unwrap();
    for sid in RENDERED_ONLY {
        assert!(
            stored_policy["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["Sid"] != sid),
            "{sid} is left out of what the test's module copy puts"
        );
    }
    // The administrators (local.administrator_arns) default to the caller applying Terraform, moto's user: AWS
    // names an IAM user arn:aws:iam::…:user/…, while moto's GetCallerIdentity answers with an arn:aws:sts::…
    // form that the module's default passes through, so either is the caller here.
    let admin = statement(&rendered, "DenyLogDeletesExceptAdministrators")["Condition"]
        ["ArnNotLike"]["aws:PrincipalArn"]
        .clone();
    assert!(
        [
            format!("arn:aws:iam::{account}:user/moto"),
            format!("arn:aws:sts::{account}:user/moto")
        ]
        .iter()
        .any(|caller| admin == *caller),
        "the administrators default to the caller applying Terraform: {admin}"
    );
    let administrators = json!({ "ArnNotLike": { "aws:PrincipalArn": admin } });
    let log_objects = format!("{bucket_arn}/AWSLogs/*");
    let writes = statement(&rendered, "DenyLogWritesExceptCloudTrail");
    assert_eq!(writes["Effect"], "Deny");
    assert_eq!(writes["Principal"], "*");
    assert_eq!(strings(&writes["Action"]), ["s3:PutObject"]);
    assert_eq!(strings(&writes["Resource"]), [log_objects.as_str()]);
    assert_eq!(
        writes["Condition"],
        json!({ "StringNotEqualsIfExists": { "aws:PrincipalServiceName": "cloudtrail.amazonaws.com" } })
    );
    let deletes = statement(&rendered, "DenyLogDeletesExceptAdministrators");
    assert_eq!(deletes["Effect"], "Deny");
    assert_eq!(deletes["Principal"], "*");
    assert_eq!(
        strings(&deletes["Action"]),
        ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    );
    assert_eq!(strings(&deletes["Resource"]), [log_objects.as_str()]);
    assert_eq!(deletes["Condition"], administrators);
    let rules_writes = statement(&rendered, "DenyRulesFileWritesExceptAdministrators");
    assert_eq!(rules_writes["Effect"], "Deny");
    assert_eq!(rules_writes["Principal"], "*");
    assert_eq!(
        strings(&rules_writes["Action"]),
        ["s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObject"]
    );
    assert_eq!(
        strings(&rules_writes["Resource"]),
        [rules_object_arn.as_str()]
    );
    assert_eq!(rules_writes["Condition"], administrators);
    // Stored (moto GetBucketPolicy): the bucket-level deny, as rendered.
    let config_changes = statement(
        &stored_policy,
        "DenyBucketConfigurationChangesExceptAdministrators",
    );
    assert_eq!(
        config_changes,
        statement(
            &rendered,
            "DenyBucketConfigurationChangesExceptAdministrators"
        )
    );
    assert_eq!(config_changes["Effect"], "Deny");
    assert_eq!(config_changes["Principal"], "*");
    assert_eq!(
        strings(&config_changes["Action"]),
        [
            "s3:DeleteBucket",
            "s3:DeleteBucketPolicy",
            "s3:PutBucketNotification",
            "s3:PutBucketObjectLockConfiguration",
            "s3:PutBucketOwnershipControls",
            "s3:PutBucketPolicy",
            "s3:PutBucketPublicAccessBlock",
            "s3:PutBucketVersioning",
            "s3:PutEncryptionConfiguration",
            "s3:PutLifecycleConfiguration",
            "s3:PutReplicationConfiguration",
        ]
    );
    assert_eq!(strings(&config_changes["Resource"]), [bucket_arn.as_str()]);
    assert_eq!(config_changes["Condition"], administrators);

    // The findings archive and the query results in the log bucket (enable_findings_archive and enable_athena in
    // this test), rendered only (the test's module copy leaves them out: moto would deny the destroy's emptying).
    let function_role = format!("arn:aws:iam::{account}:role/{function_name}-role");
    for (sid, prefix, actions, condition) in [
        (
            "DenyArchiveWritesExceptAlerter",
            "trailwarden-findings/",
            vec!["s3:PutObject"],
            json!({ "ArnNotEquals": { "aws:PrincipalArn": function_role } }),
        ),
        (
            "DenyArchiveDeletesExceptAdministrators",
            "trailwarden-findings/",
            vec!["s3:DeleteObject", "s3:DeleteObjectVersion"],
            administrators.clone(),
        ),
        (
            "DenyQueryResultWritesExceptAthena",
            "athena-results/",
            vec!["s3:PutObject"],
            json!({ "ForAllValues:StringNotEquals": { "aws:CalledVia": "athena.amazonaws.com" } }),
        ),
        (
            "DenyQueryResultDeletesExceptAdministrators",
            "athena-results/",
            vec!["s3:DeleteObject", "s3:DeleteObjectVersion"],
            administrators.clone(),
        ),
    ] {
        let st = statement(&rendered, sid);
        assert_eq!(st["Effect"], "Deny", "{sid}");
        assert_eq!(st["Principal"], "*", "{sid}");
        assert_eq!(strings(&st["Action"]), actions, "{sid}");
        assert_eq!(
            strings(&st["Resource"]),
            [format!("{bucket_arn}/{prefix}*")],
            "{sid}"
        );
        assert_eq!(st["Condition"], condition, "{sid}");
    }

    // 4. The execution role's inline policy (state of aws_iam_role_policy.lambda, refreshed from moto): the
    //    version the event names can be read, under the log prefix only; the rules file by its key.
    let role_policy = super::state_resource(
        &state["values"]["root_module"],
        "module.trailwarden.aws_iam_role_policy.lambda",
    );
    let role_policy: Value =
        serde_json::from_str(role_policy["values"]["policy"].as_str().unwrap()).unwrap();
    let read = statement(&role_policy, "ReadCloudTrailLogFiles");
    assert_eq!(read["Effect"], "Allow");
    assert_eq!(
        strings(&read["Action"]),
        ["s3:GetObject", "s3:GetObjectVersion"]
    );
    assert_eq!(strings(&read["Resource"]), [log_objects]);
    let read_rules = statement(&role_policy, "ReadRulesFile");
    assert_eq!(strings(&read_rules["Action"]), ["s3:GetObject"]);
    assert_eq!(
        strings(&read_rules["Resource"]),
        [rules_object_arn.as_str()]
    );

    // 5. The trail (moto GetEventSelectors, GetInsightSelectors, GetTrail): management events, writes to the
    //    rules file as data events, Insights (enable_insights = true in this test), no key prefix.
    let selectors = cloudtrail
        .get_event_selectors()
        .trail_name(trail_arn)
        .send()
        .await
        .unwrap();
    assert!(
        selectors.event_selectors().is_empty(),
        "advanced selectors only"
    );
    let advanced: Selectors = selectors
        .advanced_event_selectors()
        .iter()
        .map(|s| {
            let mut fields: Vec<(String, Vec<String>)> = s
                .field_selectors()
                .iter()
                .map(|f| {
                    assert!(
                        f.starts_with().is_empty() && f.not_equals().is_empty(),
                        "{f:?}"
                    );
                    (f.field().to_owned(), f.equals().to_vec())
                })
                .collect();
            fields.sort();
            (s.name().unwrap_or_default().to_owned(), fields)
        })
        .collect();
    let field = |name: &str, value: &str| (name.to_owned(), vec![value.to_owned()]);
    assert_eq!(
        advanced,
        BTreeSet::from([
            (
                "Management events".to_owned(),
                vec![field("eventCategory", "Management")]
            ),
            (
                "Writes to the trailwarden rules file".to_owned(),
                vec![
                    field("eventCategory", "Data"),
                    field("readOnly", "false"),
                    field("resources.ARN", &rules_object_arn),
                    field("resources.type", "AWS::S3::Object"),
                ]
            ),
        ])
    );
    let insights = cloudtrail
        .get_insight_selectors()
        .trail_name(trail_arn)
        .send()
        .await
        .unwrap();
    let insight_types: BTreeSet<&str> = insights
        .insight_selectors()
        .iter()
        .filter_map(|s| s.insight_type().map(|t| t.as_str()))
        .collect();
    assert_eq!(
        insight_types,
        BTreeSet::from(["ApiCallRateInsight", "ApiErrorRateInsight"])
    );
    let trail = cloudtrail
        .get_trail()
        .name(trail_arn)
        .send()
        .await
        .unwrap()
        .trail
        .unwrap();
    assert_eq!(trail.s3_key_prefix(), None, "s3_key_prefix = \"\"");
}

/// The planned changes of `terraform show -json <plan>` at `address`, if any.
pub(crate) fn planned<'a>(plan: &'a Value, address: &str) -> Option<&'a Value> {
    plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
}

/// The rendered JSON of a data source read during the plan (`prior_state` of the plan), parsed.
pub(crate) fn data_json(plan: &Value, address: &str) -> Value {
    let data = super::state_resource(&plan["prior_state"]["values"]["root_module"], address);
    serde_json::from_str(
        data["values"]["json"]
            .as_str()
            .unwrap_or_else(|| panic!("{address} not read at plan time: {data}")),
    )
    .unwrap()
}

/// The bucket and key prefix of the existing-bucket stacks.
const EXISTING_BUCKET: &str = "org-cloudtrail-archive-111122223333";
const EXISTING_PREFIX: &str = "o-a1b2c3d4e5/ct";
/// `name_prefix` of the existing-bucket stacks (function `tw-plan-alerter`).
pub(crate) const EXISTING_NAME_PREFIX: &str = "tw-plan";

/// A root configuration calling a copy of infra/ in existing-bucket mode (bucket `EXISTING_BUCKET`, key prefix
/// `EXISTING_PREFIX`) against `moto`, initialised. Its variables (`create_trail`, `create_bucket_notification`,
/// `existing_bucket_delivery`, `existing_bucket_sns_topic_arn`, `watchdog_secondary_target_arn`,
/// `key_administrator_arns`) are the module's, default as there; its outputs
/// are the module's existing-bucket ones plus `function_arn` and `function_name`.
pub(crate) struct ExistingBucketStack {
    tf: super::Terraform,
    _work: tempfile::TempDir,
}

impl ExistingBucketStack {
    pub(crate) async fn init(
        terraform_exe: std::path::PathBuf,
        moto: &test_support::MotoServer,
    ) -> Self {
        let work = tempfile::tempdir().unwrap();
        let module = work.path().join("module");
        super::copy_configuration(&test_support::repo_root().join("infra"), &module);
        let dir = work.path().join("existing");
        std::fs::create_dir(&dir).unwrap();
        let zip_path = work.path().join("bootstrap.zip");
        super::write_placeholder_zip(&zip_path);
        std::fs::write(
            dir.join("main.tf"),
            format!(
                r#"provider "aws" {{
  region = "us-east-1"
}}

variable "create_trail" {{
  type    = bool
  default = false
}}

variable "create_bucket_notification" {{
  type    = bool
  default = null
}}

variable "existing_bucket_delivery" {{
  type    = string
  default = null
}}

variable "existing_bucket_sns_topic_arn" {{
  type    = string
  default = null
}}

variable "watchdog_secondary_target_arn" {{
  type    = string
  default = null
}}

variable "key_administrator_arns" {{
  type    = list(string)
  default = null
}}

module "trailwarden" {{
  source = "../module"

  name_prefix                   = "{EXISTING_NAME_PREFIX}"
  lambda_zip_path               = {zip:?}
  create_trail                  = var.create_trail
  existing_bucket_name          = "{EXISTING_BUCKET}"
  s3_key_prefix                 = "{EXISTING_PREFIX}"
  create_bucket_notification    = var.create_bucket_notification
  existing_bucket_delivery      = var.existing_bucket_delivery
  existing_bucket_sns_topic_arn = var.existing_bucket_sns_topic_arn
  watchdog_secondary_target_arn = var.watchdog_secondary_target_arn
  key_administrator_arns        = var.key_administrator_arns
}}

output "existing_bucket_delivery" {{
  value = module.trailwarden.existing_bucket_delivery
}}

output "existing_bucket_delivery_rule_arn" {{
  value = module.trailwarden.existing_bucket_delivery_rule_arn
}}

output "existing_bucket_sns_subscription_arn" {{
  value = module.trailwarden.existing_bucket_sns_subscription_arn
}}

output "existing_bucket_setup" {{
  value = module.trailwarden.existing_bucket_setup
}}

output "function_arn" {{
  value = module.trailwarden.function_arn
}}

output "function_name" {{
  value = module.trailwarden.function_name
}}
"#,
                zip = zip_path.to_str().unwrap()
            ),
        )
        .unwrap();
        let example_override = super::EXAMPLE_OVERRIDE
            .replace("@ENDPOINT@", &moto.endpoint())
            .replace("@MODULE_SOURCE@", module.to_str().unwrap());
        std::fs::write(dir.join("moto_override.tf"), example_override).unwrap();
        let tf = super::Terraform::new(terraform_exe, dir, work.path());
        tf.init().await;
        ExistingBucketStack { tf, _work: work }
    }

    /// `terraform plan` with `-var` assignments, as `terraform show -json` of the plan, or the failure's output.
    async fn try_plan(&self, vars: &[&str]) -> Result<Value, String> {
        let mut args = vec!["plan", "-input=false", "-no-color", "-out=tfplan"];
        for var in vars {
            args.extend(["-var", var]);
        }
        self.tf.try_run(&args).await?;
        let shown = self.tf.run(&["show", "-json", "-no-color", "tfplan"]).await;
        Ok(serde_json::from_str::<Value>(&shown).unwrap())
    }

    pub(crate) async fn plan(&self, vars: &[&str]) -> Value {
        self.try_plan(vars).await.unwrap_or_else(|e| panic!("{e}"))
    }
}

/// The planned value of the root output `name`.
fn planned_output<'a>(plan: &'a Value, name: &str) -> &'a Value {
    &plan["planned_values"]["outputs"][name]["value"]
}

/// The references of the module resource `address`'s (without `module.trailwarden.`) argument `argument` in the
/// plan's configuration: what a value unknown at plan time (an ARN of a resource yet to be created) comes from.
pub(crate) fn references(plan: &Value, address: &str, argument: &str) -> Vec<String> {
    plan["configuration"]["root_module"]["module_calls"]["trailwarden"]["module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in the configuration"))["expressions"][argument]
        ["references"]
        .as_array()
        .unwrap_or_else(|| panic!("{address}.{argument} references nothing"))
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect()
}

/// The EventBridge pattern the delivery rule must have: the bucket's "Object Created" events under the prefix.
fn delivery_pattern() -> Value {
    json!({
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": { "name": [EXISTING_BUCKET] },
            "object": { "key": [{ "prefix": format!("{EXISTING_PREFIX}/AWSLogs/") }] }
        }
    })
}

/// The bucket owner's commands the `existing_bucket_setup` output gives for "eventbridge" (infra/existing_bucket.tf,
/// `enable_eventbridge_commands`): the current configuration with EventBridgeConfiguration added, put back.
fn enable_eventbridge_commands(bucket: &str) -> String {
    format!(
        "aws s3api get-bucket-notification-configuration --bucket {bucket} --output json > notification-current.json &&\n  jq -s '(add // {{}}) + {{\"EventBridgeConfiguration\": {{}}}}' notification-current.json > notification-eventbridge.json &&\n  aws s3api put-bucket-notification-configuration --bucket {bucket} --notification-configuration file://notification-eventbridge.json"
    )
}

const RULE: &str = "module.trailwarden.aws_cloudwatch_event_rule.log_files[0]";
const TARGET: &str = "module.trailwarden.aws_cloudwatch_event_target.log_files[0]";
const EVENTS_PERMISSION: &str = "module.trailwarden.aws_lambda_permission.eventbridge[0]";
const SUBSCRIPTION: &str = "module.trailwarden.aws_sns_topic_subscription.log_files[0]";
const SNS_PERMISSION: &str = "module.trailwarden.aws_lambda_permission.sns[0]";
const NOTIFICATION: &str = "module.trailwarden.aws_s3_bucket_notification.trail[0]";

/// Existing-bucket mode (create_trail = false) with a key prefix, planned (not applied) against moto: by default
/// no bucket notification is planned (the bucket's one notification configuration is not taken over) and the
/// function is reached through EventBridge; "sns" subscribes it to the given topic instead; the read grant and,
/// when asked for, the notification filter use `<s3_key_prefix>/AWSLogs/`; and the combinations that would
/// invoke the function twice, or not as asked, are refused with a message saying so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_bucket_mode_plans_no_notification_and_uses_the_key_prefix() {
    let Some(terraform_exe) = super::find_on_path("terraform") else {
        test_support::skip("terraform not found on PATH (infra e2e test: terraform plan of infra/ in existing-bucket mode against moto_server)");
        return;
    };
    const BUCKET: &str = EXISTING_BUCKET;
    const PREFIX: &str = EXISTING_PREFIX;
    const TOPIC: &str = "arn:aws:sns:us-east-1:111122223333:org-cloudtrail-log-files";

    let moto = test_support::MotoServer::start().expect("moto_server");
    let stack = ExistingBucketStack::init(terraform_exe, &moto).await;
    let log_objects = format!("arn:aws:s3:::{BUCKET}/{PREFIX}/AWSLogs/*");
    let rule_arn = format!(
        "arn:aws:events:us-east-1:123456789012:rule/{EXISTING_NAME_PREFIX}-alerter-log-files"
    );

    // Default (create_bucket_notification = null, existing_bucket_delivery = null): nothing on the bucket itself;
    // the EventBridge way in.
    let default = stack.plan(&[]).await;
    assert!(
        planned(&default, NOTIFICATION).is_none(),
        "no notification planned on an existing bucket by default"
    );
    for created_only in [
        "module.trailwarden.aws_s3_bucket.trail[0]",
        "module.trailwarden.aws_s3_bucket_policy.trail[0]",
        "module.trailwarden.aws_s3_bucket_lifecycle_configuration.trail[0]",
        "module.trailwarden.aws_cloudtrail.this[0]",
    ] {
        assert!(planned(&default, created_only).is_none(), "{created_only}");
    }
    let rules = planned(&default, "module.trailwarden.aws_s3_object.rules_config")
        .expect("the rules file is always stored");
    assert_eq!(rules["change"]["after"]["bucket"], BUCKET);
    assert_eq!(rules["change"]["after"]["key"], "trailwarden/rules.toml");
    // The read grant (its own document, known at plan time): log files under the prefix, any version (EventBridge
    // and S3 events name the version).
    let read = data_json(
        &default,
        "module.trailwarden.data.aws_iam_policy_document.lambda_read",
    );
    let logs = statement(&read, "ReadCloudTrailLogFiles");
    assert_eq!(
        strings(&logs["Action"]),
        ["s3:GetObject", "s3:GetObjectVersion"]
    );
    assert_eq!(strings(&logs["Resource"]), [log_objects.as_str()]);
    assert_eq!(
        strings(&statement(&read, "ReadRulesFile")["Resource"]),
        [format!("arn:aws:s3:::{BUCKET}/trailwarden/rules.toml")]
    );

    // The EventBridge rule: default bus, the bucket's "Object Created" events under the prefix; the function its
    // target, invoked under a permission bound to the rule.
    assert_eq!(
        planned_output(&default, "existing_bucket_delivery"),
        "eventbridge"
    );
    let rule = &planned(&default, RULE).expect("the delivery rule")["change"];
    assert_eq!(rule["actions"], json!(["create"]));
    assert_eq!(
        rule["after"]["name"],
        format!("{EXISTING_NAME_PREFIX}-alerter-log-files")
    );
    assert_eq!(rule["after"]["event_bus_name"], "default");
    assert_eq!(rule["after"]["state"], "ENABLED");
    let pattern: Value =
        serde_json::from_str(rule["after"]["event_pattern"].as_str().unwrap()).unwrap();
    assert_eq!(pattern, delivery_pattern());
    assert!(planned(&default, TARGET).is_some());
    assert!(
        references(&default, "aws_cloudwatch_event_target.log_files", "arn")
            .contains(&"aws_lambda_function.alerter.arn".to_owned()),
        "the rule's target is the function"
    );
    let permission =
        &planned(&default, EVENTS_PERMISSION).expect("invoke permission")["change"]["after"];
    assert_eq!(permission["principal"], "events.amazonaws.com");
    assert_eq!(permission["action"], "lambda:InvokeFunction");
    assert_eq!(
        permission["function_name"],
        format!("{EXISTING_NAME_PREFIX}-alerter")
    );
    assert!(
        references(&default, "aws_lambda_permission.eventbridge", "source_arn")
            .contains(&"aws_cloudwatch_event_rule.log_files[0].arn".to_owned()),
        "the permission is bound to the rule"
    );
    for other in [SUBSCRIPTION, SNS_PERMISSION] {
        assert!(planned(&default, other).is_none(), "{other}");
    }
    // The rule's ARN, from names, is what the [pipeline] table lists; the owner's commands add EventBridge to the
    // bucket's configuration.
    let setup = planned_output(&default, "existing_bucket_setup")
        .as_str()
        .expect("setup instructions known at plan time");
    assert!(setup.contains(&rule_arn), "{setup}");
    assert!(
        setup.contains(&enable_eventbridge_commands(BUCKET)),
        "{setup}"
    );

    // "sns": the function subscribed to the topic, invoked under a permission bound to that topic; no rule.
    let sns_plan = stack
        .plan(&[
            "existing_bucket_delivery=sns",
            &format!("existing_bucket_sns_topic_arn={TOPIC}"),
        ])
        .await;
    assert_eq!(planned_output(&sns_plan, "existing_bucket_delivery"), "sns");
    let subscription =
        &planned(&sns_plan, SUBSCRIPTION).expect("the subscription")["change"]["after"];
    assert_eq!(subscription["protocol"], "lambda");
    assert_eq!(subscription["topic_arn"], TOPIC);
    assert!(
        references(
            &sns_plan,
            "aws_sns_topic_subscription.log_files",
            "endpoint"
        )
        .contains(&"aws_lambda_function.alerter.arn".to_owned()),
        "the subscription's endpoint is the function"
    );
    let permission =
        &planned(&sns_plan, SNS_PERMISSION).expect("invoke permission")["change"]["after"];
    assert_eq!(permission["principal"], "sns.amazonaws.com");
    assert_eq!(permission["source_arn"], TOPIC);
    assert_eq!(permission["action"], "lambda:InvokeFunction");
    for other in [RULE, TARGET, EVENTS_PERMISSION, NOTIFICATION] {
        assert!(planned(&sns_plan, other).is_none(), "{other}");
    }
    let setup = planned_output(&sns_plan, "existing_bucket_setup")
        .as_str()
        .unwrap();
    assert!(
        setup.contains(&format!("aws sns add-permission --topic-arn {TOPIC} --label trailwarden-123456789012 --aws-account-id 123456789012 --action-name Subscribe")),
        "{setup}"
    );

    // Asked for explicitly: the notification filters on the prefix, and no other way in is added.
    let notified = stack.plan(&["create_bucket_notification=true"]).await;
    let notification = planned(&notified, NOTIFICATION)
        .expect("create_bucket_notification = true plans the notification");
    assert_eq!(notification["change"]["actions"], json!(["create"]));
    let after = &notification["change"]["after"];
    assert_eq!(after["bucket"], BUCKET);
    let [target] = after["lambda_function"].as_array().unwrap().as_slice() else {
        panic!("one Lambda target: {after}")
    };
    assert_eq!(target["filter_prefix"], format!("{PREFIX}/AWSLogs/"));
    assert_eq!(target["filter_suffix"], ".json.gz");
    assert_eq!(target["events"], json!(["s3:ObjectCreated:*"]));
    assert_eq!(
        strings(
            &statement(
                &data_json(
                    &notified,
                    "module.trailwarden.data.aws_iam_policy_document.lambda_read"
                ),
                "ReadCloudTrailLogFiles"
            )["Resource"]
        ),
        [log_objects]
    );
    assert_eq!(
        planned_output(&notified, "existing_bucket_delivery"),
        "none"
    );
    for other in [
        RULE,
        TARGET,
        EVENTS_PERMISSION,
        SUBSCRIPTION,
        SNS_PERMISSION,
    ] {
        assert!(planned(&notified, other).is_none(), "{other}");
    }

    // Refused, each with its reason.
    let topic_var = format!("existing_bucket_sns_topic_arn={TOPIC}");
    let refused: [(&[&str], &str); 5] = [
        (
            &[
                "create_bucket_notification=true",
                "existing_bucket_delivery=eventbridge",
            ],
            "would invoke the function twice",
        ),
        (
            &[
                "create_bucket_notification=true",
                "existing_bucket_delivery=sns",
                &topic_var,
            ],
            "would invoke the function twice",
        ),
        (
            &["existing_bucket_delivery=sns"],
            "existing_bucket_delivery = \"sns\" needs existing_bucket_sns_topic_arn",
        ),
        (
            &[&topic_var],
            "existing_bucket_sns_topic_arn is set but existing_bucket_delivery is not \"sns\"",
        ),
        (
            &["create_trail=true", "existing_bucket_delivery=eventbridge"],
            "is only for create_trail = false",
        ),
    ];
    for (vars, reason) in refused {
        let err = stack
            .try_plan(vars)
            .await
            .err()
            .unwrap_or_else(|| panic!("{vars:?} is refused"));
        // Terraform wraps long messages: compare with runs of whitespace collapsed.
        let flat = err.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(reason),
            "{vars:?}: expected {reason:?} in\n{err}"
        );
    }
}

/// Existing-bucket mode applied on moto with the default way in (EventBridge) on a versioned bucket that already
/// notifies a queue: the bucket's notification configuration is left as it was; the rule on the default bus has
/// the bucket/prefix pattern and the function as its only target, allowed by a permission bound to the rule; the
/// rules file's [pipeline] table lists the rule. With EventBridge turned on as the setup output says, moto's S3
/// sends a log file under the prefix (with its version id) to that pattern, and not a key outside it, the rules
/// file or another bucket's log file, while the queue keeps getting its notifications. Then switched to "sns" on
/// a topic: the rule goes, the function is subscribed (protocol lambda) and allowed by a permission bound to the
/// topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_bucket_mode_applies_eventbridge_then_sns_on_moto() {
    let Some(terraform_exe) = super::find_on_path("terraform") else {
        test_support::skip("terraform not found on PATH (infra e2e test: terraform apply of infra/ in existing-bucket mode against moto_server)");
        return;
    };
    let moto = test_support::MotoServer::start().expect("moto_server");
    let sdk = test_support::sdk_config(&moto.endpoint()).await;
    let s3 = alerter::s3_client(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let sns = alerter::sns_client(&sdk);
    let events = aws_sdk_eventbridge::Client::new(&sdk);
    let lambda = aws_sdk_lambda::Client::new(&sdk);

    // The existing bucket, versioned, already notifying another consumer (a queue).
    s3.create_bucket()
        .bucket(EXISTING_BUCKET)
        .send()
        .await
        .unwrap();
    s3.put_bucket_versioning()
        .bucket(EXISTING_BUCKET)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let other_url = sqs
        .create_queue()
        .queue_name("other-consumer")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = "arn:aws:sqs:us-east-1:123456789012:other-consumer";
    s3.put_bucket_notification_configuration()
        .bucket(EXISTING_BUCKET)
        .notification_configuration(
            aws_sdk_s3::types::NotificationConfiguration::builder()
                .queue_configurations(
                    aws_sdk_s3::types::QueueConfiguration::builder()
                        .id("other-consumer")
                        .queue_arn(queue_arn)
                        .events(aws_sdk_s3::types::Event::from("s3:ObjectCreated:*"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let notification_before = s3
        .get_bucket_notification_configuration()
        .bucket(EXISTING_BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(notification_before.queue_configurations().len(), 1);

    // The probe: a rule with the pattern the module's rule must have, created first (moto matches an event against
    // the rules in creation order and stops at the module's rule, whose Lambda target it cannot invoke), sending
    // what it matches to a queue.
    let probe_url = sqs
        .create_queue()
        .queue_name("delivery-probe")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    events
        .put_rule()
        .name("delivery-probe")
        .event_pattern(delivery_pattern().to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("delivery-probe")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("probe")
                .arn("arn:aws:sqs:us-east-1:123456789012:delivery-probe")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();

    let stack = ExistingBucketStack::init(terraform_exe, &moto).await;
    stack
        .tf
        .run(&["apply", "-input=false", "-no-color", "-auto-approve"])
        .await;
    let out = super::outputs(&stack.tf.run(&["output", "-json", "-no-color"]).await);
    let function_arn = super::output(&out, "function_arn").to_owned();
    let function_name = super::output(&out, "function_name").to_owned();
    let rule_name = format!("{EXISTING_NAME_PREFIX}-alerter-log-files");
    let rule_arn = format!("arn:aws:events:us-east-1:123456789012:rule/{rule_name}");
    assert_eq!(
        super::output(&out, "existing_bucket_delivery"),
        "eventbridge"
    );
    assert_eq!(
        super::output(&out, "existing_bucket_delivery_rule_arn"),
        rule_arn
    );
    assert!(super::output(&out, "existing_bucket_setup")
        .contains(&enable_eventbridge_commands(EXISTING_BUCKET)));

    // The bucket's notification configuration (moto GetBucketNotificationConfiguration): untouched.
    let notification_after = s3
        .get_bucket_notification_configuration()
        .bucket(EXISTING_BUCKET)
        .send()
        .await
        .unwrap();
    assert_eq!(
        format!("{:?}", notification_after.queue_configurations()),
        format!("{:?}", notification_before.queue_configurations())
    );
    assert!(notification_after
        .lambda_function_configurations()
        .is_empty());
    assert!(notification_after.topic_configurations().is_empty());

    // The rule and its target (moto DescribeRule, ListTargetsByRule).
    let rule = events
        .describe_rule()
        .name(&rule_name)
        .send()
        .await
        .unwrap();
    assert_eq!(rule.arn(), Some(rule_arn.as_str()));
    assert_eq!(rule.event_bus_name(), Some("default"));
    assert_eq!(rule.state().map(|s| s.as_str()), Some("ENABLED"));
    let pattern_text = rule.event_pattern().unwrap().to_owned();
    assert_eq!(
        serde_json::from_str::<Value>(&pattern_text).unwrap(),
        delivery_pattern()
    );
    let targets = events
        .list_targets_by_rule()
        .rule(&rule_name)
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = targets.targets().iter().map(|t| t.arn()).collect();
    assert_eq!(
        arns,
        [function_arn.as_str()],
        "the function is the only target"
    );
    // The watchdog pages on calls that disable or retarget this rule (log files would stop reaching the function).
    let watchdog = events
        .describe_rule()
        .name(format!("{EXISTING_NAME_PREFIX}-pipeline-watchdog-self"))
        .send()
        .await
        .unwrap();
    let watched: Value = serde_json::from_str(watchdog.event_pattern().unwrap()).unwrap();
    // The self rule's own branches (by `name` and by `rule`), not its ring branches (one rule each, the next
    // watchdog rule).
    let own: Vec<&Value> = watched["$or"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["detail"])
        .filter(|d| {
            d["requestParameters"]
                .as_object()
                .unwrap()
                .values()
                .next()
                .and_then(Value::as_array)
                .is_some_and(|names| names.len() > 1)
        })
        .collect();
    assert_eq!(own.len(), 2, "{watched}");
    for branch in own {
        let (_, names) = branch["requestParameters"]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .unwrap();
        assert!(
            names
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n == rule_name.as_str()),
            "{watched}"
        );
    }

    // The way in, end to end as far as moto goes. The owner turns EventBridge notifications on as the
    // existing_bucket_setup commands do (the current configuration with EventBridgeConfiguration added); then a log
    // file under the prefix reaches the rule's pattern, and a key outside it, the rules file and another bucket's
    // log file do not (moto's own S3 -> EventBridge delivery and pattern matching). moto cannot invoke a Lambda
    // target (its EventBridge raises NotImplementedError for one, and stops there), so the probe rule created
    // before the apply, with the same pattern and a queue as target, is what records the matches.
    let current = s3
        .get_bucket_notification_configuration()
        .bucket(EXISTING_BUCKET)
        .send()
        .await
        .unwrap();
    s3.put_bucket_notification_configuration()
        .bucket(EXISTING_BUCKET)
        .notification_configuration(
            aws_sdk_s3::types::NotificationConfiguration::builder()
                .set_queue_configurations(Some(current.queue_configurations().to_vec()))
                .set_topic_configurations(Some(current.topic_configurations().to_vec()))
                .set_lambda_function_configurations(Some(
                    current.lambda_function_configurations().to_vec(),
                ))
                .event_bridge_configuration(
                    aws_sdk_s3::types::EventBridgeConfiguration::builder().build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.create_bucket()
        .bucket("another-bucket")
        .send()
        .await
        .unwrap();
    s3.put_bucket_notification_configuration()
        .bucket("another-bucket")
        .notification_configuration(
            aws_sdk_s3::types::NotificationConfiguration::builder()
                .event_bridge_configuration(
                    aws_sdk_s3::types::EventBridgeConfiguration::builder().build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let log_tail = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";
    let log_key = format!("{EXISTING_PREFIX}/{log_tail}");
    let mut delivered_version = None;
    for (bucket, key) in [
        (EXISTING_BUCKET, log_key.as_str()),
        (EXISTING_BUCKET, log_tail),
        (EXISTING_BUCKET, "trailwarden/notes.txt"),
        ("another-bucket", log_key.as_str()),
    ] {
        let put = s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(b"not read here".to_vec().into())
            .send()
            .await
            .unwrap();
        if bucket == EXISTING_BUCKET && key == log_key {
            delivered_version = put.version_id;
        }
    }
    let matched = test_support::drain_queue(&sqs, &probe_url).await;
    let [event] = matched.as_slice() else {
        panic!("exactly the log file under the prefix matches: {matched:#?}")
    };
    assert_eq!(event["source"], "aws.s3");
    assert_eq!(event["detail-type"], "Object Created");
    assert_eq!(event["detail"]["bucket"]["name"], EXISTING_BUCKET);
    assert_eq!(event["detail"]["object"]["key"], log_key);
    // The version the function reads (functions/alerter/src/envelope.rs: detail.object["version-id"]).
    assert_eq!(
        event["detail"]["object"]["version-id"].as_str(),
        delivered_version.as_deref()
    );
    // The bucket's other consumer still gets its S3 notification for the same log file (moto URL-encodes the "/"
    // of keys in notifications).
    let other = test_support::drain_queue(&sqs, &other_url).await;
    assert!(
        other.iter().any(|m| m["Records"][0]["s3"]["object"]["key"]
            .as_str()
            .is_some_and(|k| k.replace("%2F", "/") == log_key)),
        "the queue notification still delivers: {other:#?}"
    );

    // The function's resource policy (moto GetPolicy): EventBridge may invoke it for this rule only.
    let policy: Value = serde_json::from_str(
        &lambda
            .get_policy()
            .function_name(&function_name)
            .send()
            .await
            .unwrap()
            .policy
            .unwrap(),
    )
    .unwrap();
    let by_rule = statement(&policy, "AllowInvokeFromLogFilesRule");
    assert_eq!(by_rule["Effect"], "Allow");
    assert_eq!(
        by_rule["Principal"],
        json!({ "Service": "events.amazonaws.com" })
    );
    assert_eq!(by_rule["Condition"]["ArnLike"]["AWS:SourceArn"], rule_arn);
    assert_eq!(
        by_rule["Condition"]["StringEquals"]["AWS:SourceAccount"], "123456789012",
        "every invoke permission names its source's account: {by_rule}"
    );

    // The stored rules file's [pipeline] table lists the rule (tampering with it is watched).
    let stored = s3
        .get_object()
        .bucket(EXISTING_BUCKET)
        .key("trailwarden/rules.toml")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let listed = own_resources(std::str::from_utf8(&stored).unwrap());
    assert!(listed.contains(&rule_arn), "{listed:#?}");

    // Switched to "sns" on a fan-out topic.
    let topic_arn = sns
        .create_topic()
        .name("org-cloudtrail-log-files")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let topic_var = format!("existing_bucket_sns_topic_arn={topic_arn}");
    stack
        .tf
        .run(&[
            "apply",
            "-input=false",
            "-no-color",
            "-auto-approve",
            "-var",
            "existing_bucket_delivery=sns",
            "-var",
            &topic_var,
        ])
        .await;
    let out = super::outputs(&stack.tf.run(&["output", "-json", "-no-color"]).await);
    assert_eq!(super::output(&out, "existing_bucket_delivery"), "sns");
    assert!(
        events
            .describe_rule()
            .name(&rule_name)
            .send()
            .await
            .is_err(),
        "the rule is gone"
    );
    let subscriptions = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic_arn)
        .send()
        .await
        .unwrap();
    let subs: Vec<(Option<&str>, Option<&str>, Option<&str>)> = subscriptions
        .subscriptions()
        .iter()
        .map(|s| (s.protocol(), s.endpoint(), s.subscription_arn()))
        .collect();
    assert_eq!(
        subs,
        [(
            Some("lambda"),
            Some(function_arn.as_str()),
            Some(super::output(&out, "existing_bucket_sns_subscription_arn"))
        )]
    );
    let policy: Value = serde_json::from_str(
        &lambda
            .get_policy()
            .function_name(&function_name)
            .send()
            .await
            .unwrap()
            .policy
            .unwrap(),
    )
    .unwrap();
    let by_topic = statement(&policy, "AllowInvokeFromLogFilesTopic");
    assert_eq!(
        by_topic["Principal"],
        json!({ "Service": "sns.amazonaws.com" })
    );
    assert_eq!(by_topic["Condition"]["ArnLike"]["AWS:SourceArn"], topic_arn);
    assert_eq!(
        by_topic["Condition"]["StringEquals"]["AWS:SourceAccount"],
        topic_arn.split(':').nth(4).unwrap(),
        "the topic's own account, from its ARN: {by_topic}"
    );
    assert!(
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["Sid"] != "AllowInvokeFromLogFilesRule"),
        "the rule's permission is gone: {policy}"
    );
    let stored = s3
        .get_object()
        .bucket(EXISTING_BUCKET)
        .key("trailwarden/rules.toml")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let listed = own_resources(std::str::from_utf8(&stored).unwrap());
    assert!(!listed.contains(&rule_arn), "{listed:#?}");
    // That apply rewrote the rules file (its [pipeline] table changed): outside the prefix, it matched nothing.
    let matched = test_support::drain_queue(&sqs, &probe_url).await;
    assert!(matched.is_empty(), "{matched:#?}");
}
