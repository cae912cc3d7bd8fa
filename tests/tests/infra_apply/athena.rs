//! History on Athena and the findings archive in the applied example (enable_athena = true,
//! enable_findings_archive = true): the Glue tables (columns, SerDe, formats, projection properties), the
//! hunting workgroup (enforced configuration, result location, SSE-KMS with the stack key, bytes cutoff), the
//! hunts' saved queries, the function's archive environment and its PutObject grant.
//!
//! Read back from moto with boto3 (the venv moto_server runs from holds it; the Rust workspace has no Glue
//! client, and one boto3 call per resource is cheaper than compiling one). moto gaps:
//! - moto 5.2 has no DeleteNamedQuery: after the checks the saved queries leave the Terraform state
//!   (`terraform state rm`), so the destroy does not call it; the reset after the test removes them.
//! - moto stores a workgroup's configuration as sent and enforces none of it (no query reads S3): the test checks
//!   what was configured, not that Athena would refuse an unencrypted result or a larger scan.

use super::{state_resource, Terraform};
use serde_json::Value;
use std::collections::HashMap;

const DATABASE: &str = "tw_e2e"; // name_prefix tw-e2e, hyphens as underscores

/// compile::sql::TABLE_DDL's columns as (name, type), types lowercased without spaces (Glue's spelling).
fn ddl_columns() -> Vec<(String, String)> {
    let ddl = compile::sql::TABLE_DDL;
    let body = &ddl[ddl.find('(').unwrap() + 1..ddl.find(")\nPARTITIONED BY").unwrap()];
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    let mut push = |part: &str| {
        let part = part.trim();
        let (name, ty) = part.split_once(char::is_whitespace).unwrap();
        let ty: String = ty
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        out.push((name.to_lowercase(), ty));
    };
    for (i, c) in body.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(&body[start..]);
    out
}

/// One boto3 call against moto, its response as JSON.
fn boto3(endpoint: &str, service: &str, call: &str, kwargs: &str) -> Value {
    let python = test_support::moto_server_exe()
        .expect("moto_server")
        .with_file_name("python3");
    let script = format!(
        "import boto3, json\n\
         c = boto3.client({service:?}, endpoint_url={endpoint:?}, region_name='us-east-1', \
         aws_access_key_id='testing', aws_secret_access_key='testing')\n\
         r = c.{call}(**{kwargs})\n\
         r.pop('ResponseMetadata', None)\n\
         print(json.dumps(r, default=str))\n"
    );
    let out = std::process::Command::new(&python)
        .args(["-c", &script])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
    assert!(
        out.status.success(),
        "boto3 {service}.{call}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn columns(table: &Value) -> Vec<(String, String)> {
    table["StorageDescriptor"]["Columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["Name"].as_str().unwrap().to_owned(),
                c["Type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

pub async fn assert_deployed(
    tf: &Terraform,
    endpoint: &str,
    out: &HashMap<String, Value>,
    state: &Value,
    env: &HashMap<String, String>,
) {
    let account = "123456789012";
    let bucket = out["bucket_name"].as_str().unwrap();
    assert_eq!(out["glue_database_name"], DATABASE);
    assert_eq!(
        out["athena_cloudtrail_table"],
        format!("{DATABASE}.cloudtrail")
    );
    assert_eq!(out["findings_table"], format!("{DATABASE}.findings"));
    let kms_key_arn = out["kms_key_arn"].as_str().unwrap();

    // The CloudTrail table: TABLE_DDL's columns and formats, projection as the DDL's TBLPROPERTIES.
    let table = &boto3(
        endpoint,
        "glue",
        "get_table",
        &format!("dict(DatabaseName={DATABASE:?}, Name='cloudtrail')"),
    )["Table"];
    assert_eq!(columns(table), ddl_columns());
    let sd = &table["StorageDescriptor"];
    let location = format!("s3://{bucket}/AWSLogs/");
    assert_eq!(sd["Location"], location);
    assert_eq!(
        sd["InputFormat"],
        "com.amazon.emr.cloudtrail.CloudTrailInputFormat"
    );
    assert_eq!(
        sd["OutputFormat"],
        "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    );
    assert_eq!(
        sd["SerdeInfo"]["SerializationLibrary"],
        "org.apache.hive.hcatalog.data.JsonSerDe"
    );
    let partitions: Vec<&str> = table["PartitionKeys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["Name"].as_str().unwrap())
        .collect();
    assert_eq!(partitions, ["account", "region", "day"]);
    let p = &table["Parameters"];
    for (k, v) in [
        ("projection.enabled", "true"),
        ("projection.account.type", "enum"),
        ("projection.account.values", account),
        ("projection.region.type", "enum"),
        ("projection.region.values", "us-east-1"),
        ("projection.day.type", "date"),
        ("projection.day.format", "yyyy/MM/dd"),
        ("projection.day.range", "2020/01/01,NOW"),
        ("projection.day.interval", "1"),
        ("projection.day.interval.unit", "DAYS"),
    ] {
        assert_eq!(p[k], v, "{k}");
    }
    // TABLE_DDL's template with its {location} filled in.
    let ddl_template = compile::sql::TABLE_DDL
        .split("'storage.location.template' = '")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert_eq!(
        p["storage.location.template"],
        ddl_template.replace("{location}", &location)
    );

    // The findings table over the archive prefix, one partition per day.
    let findings = &boto3(
        endpoint,
        "glue",
        "get_table",
        &format!("dict(DatabaseName={DATABASE:?}, Name='findings')"),
    )["Table"];
    let archive = format!("s3://{bucket}/trailwarden-findings/");
    assert_eq!(findings["StorageDescriptor"]["Location"], archive);
    assert_eq!(
        findings["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"],
        "org.openx.data.jsonserde.JsonSerDe"
    );
    let names: Vec<String> = columns(findings).into_iter().map(|(n, _)| n).collect();
    for n in [
        "finding_id",
        "rule_id",
        "severity",
        "principal",
        "event_time",
        "account_id",
        "region",
        "log_key",
        "status",
        "request_id",
    ] {
        assert!(names.iter().any(|c| c == n), "{n} in {names:?}");
    }
    let fp = &findings["Parameters"];
    assert_eq!(fp["projection.day.format"], "yyyy-MM-dd");
    assert_eq!(fp["projection.day.range"], "2020-01-01,NOW");
    assert_eq!(
        fp["storage.location.template"],
        format!("{archive}day=${{day}}/")
    );

    // The workgroup: enforced, results SSE-KMS with the stack key under athena-results/, the 1 TiB cutoff.
    let wg = &boto3(
        endpoint,
        "athena",
        "get_work_group",
        "dict(WorkGroup='tw-e2e-hunting')",
    )["WorkGroup"];
    let c = &wg["Configuration"];
    assert_eq!(c["EnforceWorkGroupConfiguration"], true, "{wg}");
    assert_eq!(c["BytesScannedCutoffPerQuery"], 1_099_511_627_776u64);
    let rc = &c["ResultConfiguration"];
    assert_eq!(
        rc["OutputLocation"],
        format!("s3://{bucket}/athena-results/")
    );
    assert_eq!(rc["EncryptionConfiguration"]["EncryptionOption"], "SSE_KMS");
    assert_eq!(rc["EncryptionConfiguration"]["KmsKey"], kms_key_arn);
    assert_eq!(out["athena_workgroup_name"], "tw-e2e-hunting");

    // Every hunt of infra/athena-hunts.json is a saved query in the workgroup, over the database.
    let hunts: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(test_support::repo_root().join("infra/athena-hunts.json"))
            .unwrap(),
    )
    .unwrap();
    let ids = out["athena_named_query_ids"].as_object().unwrap();
    assert_eq!(ids.len(), hunts.len());
    for h in &hunts {
        let name = h["name"].as_str().unwrap();
        let q = &boto3(
            endpoint,
            "athena",
            "get_named_query",
            &format!("dict(NamedQueryId={:?})", ids[name].as_str().unwrap()),
        )["NamedQuery"];
        assert_eq!(q["Name"], format!("tw-e2e-hunt-{name}"));
        assert_eq!(q["Database"], DATABASE);
        assert_eq!(q["WorkGroup"], "tw-e2e-hunting");
        assert_eq!(q["QueryString"], h["sql"]);
    }

    // The lifecycle expires athena-results/ (and only that prefix) after a week; the log rule stays on AWSLogs/.
    let rules = &boto3(
        endpoint,
        "s3",
        "get_bucket_lifecycle_configuration",
        &format!("dict(Bucket={bucket:?})"),
    )["Rules"];
    let results_rule = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ID"] == "athena-results")
        .unwrap_or_else(|| panic!("{rules}"));
    assert_eq!(results_rule["Filter"]["Prefix"], "athena-results/");
    assert_eq!(results_rule["Expiration"]["Days"], 7);

    // The function: the archive's environment and exactly one grant for it.
    assert_eq!(
        env.get("ARCHIVE_BUCKET").map(String::as_str),
        Some(bucket),
        "{env:?}"
    );
    assert_eq!(
        env.get("ARCHIVE_PREFIX").map(String::as_str),
        Some("trailwarden-findings/")
    );
    assert_eq!(
        env.get("ARCHIVE_KMS_KEY_ID").map(String::as_str),
        Some(kms_key_arn)
    );
    let rendered = state_resource(
        &state["values"]["root_module"],
        "module.trailwarden.data.aws_iam_policy_document.archive[0]",
    );
    let doc: Value = serde_json::from_str(rendered["values"]["json"].as_str().unwrap()).unwrap();
    let statements = doc["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 1, "{doc}");
    assert_eq!(statements[0]["Action"], "s3:PutObject");
    assert_eq!(
        statements[0]["Resource"],
        format!("arn:aws:s3:::{bucket}/trailwarden-findings/*")
    );
    let put = &boto3(
        endpoint,
        "iam",
        "get_role_policy",
        "dict(RoleName='tw-e2e-alerter-role', PolicyName='tw-e2e-alerter-findings-archive')",
    );
    let put_doc = match &put["PolicyDocument"] {
        Value::String(s) => serde_json::from_str(s).unwrap(),
        v => v.clone(),
    };
    assert_eq!(put_doc["Statement"], doc["Statement"]);

    // moto has no DeleteNamedQuery: the saved queries leave the state before the destroy (see the header).
    tf.run(&[
        "state",
        "rm",
        "-no-color",
        "module.trailwarden.aws_athena_named_query.hunt",
    ])
    .await;
}
