//! `scan --engine athena` and `hunt … --engine athena` against moto_server's Athena (see
//! `tests/support/src/moto.rs`): moto answers SUCCEEDED for any query and hands out the results seeded through
//! its own API (`POST /moto-api/static/athena/query-results`) to the queries in the order they start. The
//! states moto cannot give (FAILED, the bytes-scanned limit, a timeout) and pagination are tested with a fake
//! at the port level (`src/athena.rs`).
#![cfg(feature = "athena")]

mod common;

use common::BIN;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use test_support::MotoServer;

const WORKGROUP: &str = "tw-hunting";

struct Athena {
    moto: MotoServer,
    dir: tempfile::TempDir,
}

impl Athena {
    fn start() -> Athena {
        let moto = MotoServer::start().expect("moto_server");
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sdk = rt.block_on(test_support::sdk_config(&moto.endpoint()));
        let client = trailwarden_aws::athena_client(&sdk);
        rt.block_on(client.create_work_group().name(WORKGROUP).send())
            .unwrap();
        Athena {
            moto,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Seeds the results of the next queries (one entry per query, in the order they start).
    fn seed(&self, results: Value) {
        let body = json!({ "results": results }).to_string();
        let port = self.moto.endpoint().rsplit(':').next().unwrap().to_owned();
        let mut s = TcpStream::connect(("127.0.0.1", port.parse::<u16>().unwrap())).unwrap();
        write!(
            s,
            "POST /moto-api/static/athena/query-results HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: \
             application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        s.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.0 201") || response.starts_with("HTTP/1.1 201"),
            "{response}"
        );
    }

    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let mut cmd = Command::new(BIN);
        for var in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"] {
            cmd.env_remove(var);
        }
        cmd.env("AWS_ENDPOINT_URL", self.moto.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", self.dir.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true");
        let out = cmd.args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }
}

/// A result set as Athena returns it: the header row first, then the rows (`null` is a datum without a value).
fn result(columns: &[(&str, &str)], rows: &[Vec<Option<&str>>]) -> Value {
    let datum = |v: Option<&str>| match v {
        Some(v) => json!({ "VarCharValue": v }),
        None => json!({}),
    };
    let mut all =
        vec![json!({ "Data": columns.iter().map(|(n, _)| datum(Some(n))).collect::<Vec<_>>() })];
    for row in rows {
        all.push(json!({ "Data": row.iter().map(|v| datum(*v)).collect::<Vec<_>>() }));
    }
    json!({
        "rows": all,
        "column_info": columns.iter().map(|(n, t)| json!({
            "CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": n, "Label": n, "Type": t,
            "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": true
        })).collect::<Vec<_>>(),
    })
}

const RULE_COLUMNS: [&str; 18] = [
    "file",
    "rule_id",
    "title",
    "severity",
    "eventid",
    "event_id",
    "event_name",
    "event_source",
    "event_time",
    "account_id",
    "region",
    "principal",
    "principal_type",
    "principal_account_id",
    "access_key_id",
    "source_ip",
    "user_agent",
    "error_code",
];

#[test]
fn scan_on_athena_prints_the_findings_with_their_local_ids_and_the_cost() {
    let athena = Athena::start();
    let columns: Vec<(&str, &str)> = RULE_COLUMNS.iter().map(|c| (*c, "varchar")).collect();
    let key = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/f.json.gz";
    let file = format!("s3://trail/{key}");
    let root = |id: &'static str| -> Vec<Option<&str>> {
        RULE_COLUMNS
            .iter()
            .map(|c| match *c {
                "file" => Some(file.as_str()),
                "rule_id" => Some("cis-4.3-root-account-usage"),
                "title" => Some("Root account usage"),
                "severity" => Some("high"),
                "eventid" | "event_id" => Some(id),
                "event_name" => Some("ConsoleLogin"),
                "principal" => Some("arn:aws:iam::111122223333:root"),
                "principal_type" => Some("Root"),
                "source_ip" => Some("198.51.100.7"),
                "error_code" => None,
                _ => Some("x"),
            })
            .collect()
    };
    // Rule order: cis-4.1 (no rows), cis-4.3 (two rows); the threshold rule has no query.
    athena.seed(json!([
        result(&columns, &[]),
        result(&columns, &[root("ev-1"), root("ev-2")]),
    ]));
    let (code, stdout, stderr) = athena.run(&[
        "scan",
        "--engine",
        "athena",
        "--workgroup",
        WORKGROUP,
        "--profile",
        "all",
        "--rules",
        "cis-4.1-unauthorized-api-calls,cis-4.3-root-account-usage,s3-batch-deletion-burst",
        "--since",
        "2024-01-15",
        "--format",
        "jsonl",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    for (line, id) in lines.iter().zip(["ev-1", "ev-2"]) {
        assert_eq!(line["rule_id"], "cis-4.3-root-account-usage");
        assert_eq!(line["event_id"], id);
        assert_eq!(line["file"], file.as_str());
        assert_eq!(line["severity"], "high");
        assert_eq!(line["error_code"], Value::Null);
        // The id the local scan and the Lambda's alert give the same finding.
        assert_eq!(
            line["finding_id"],
            rules::finding_id(Some(id), "cis-4.3-root-account-usage", "")
        );
        assert!(!line["controls"].as_array().unwrap().is_empty());
    }
    assert!(
        stderr.contains("warning: s3-batch-deletion-burst: not run on Athena: threshold rule"),
        "{stderr}"
    );
    assert!(
        stderr.contains("athena: 2 findings from 2 rule queries; 1 rules not run on Athena"),
        "{stderr}"
    );
    // moto reports 0 bytes scanned: each query is billed its 10 MB minimum.
    assert!(
        stderr.contains(
            "athena: 0 B scanned (0 bytes) by 2 queries; cost $0.0001 at list price, us-east-1 ($5 per TB scanned"
        ),
        "{stderr}"
    );
    // Not a terminal: one plain line per query started and ended.
    assert!(
        stderr.contains("athena: cis-4.3-root-account-usage started (query "),
        "{stderr}"
    );
    assert!(
        stderr.contains("athena: cis-4.3-root-account-usage succeeded (0 B scanned)"),
        "{stderr}"
    );

    // The same in a table, with the file's short name.
    athena.seed(json!([
        result(&columns, &[]),
        result(&columns, &[root("ev-1")])
    ]));
    let (code, stdout, stderr) = athena.run(&[
        "scan",
        "--engine",
        "athena",
        "--workgroup",
        WORKGROUP,
        "--rules",
        "cis-4.1-unauthorized-api-calls,cis-4.3-root-account-usage",
        "--format",
        "table",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("cis-4.3-root-account-usage") && stdout.contains("f.json.gz"),
        "{stdout}"
    );
}

#[test]
fn hunt_on_athena_prints_the_rows_typed_as_the_local_hunt() {
    let athena = Athena::start();
    let columns = [
        ("region", "varchar"),
        ("calls", "bigint"),
        ("errors", "bigint"),
        ("identities", "bigint"),
        ("first_seen", "varchar"),
        ("last_seen", "varchar"),
        ("allowed", "boolean"),
    ];
    athena.seed(json!([result(
        &columns,
        &[vec![
            Some("ap-south-1"),
            Some("3"),
            Some("1"),
            Some("2"),
            Some("2024-01-15T00:00:00Z"),
            Some("2024-01-15T01:00:00Z"),
            Some("false")
        ]]
    )]));
    let (code, stdout, stderr) = athena.run(&[
        "hunt",
        "regions",
        "--allowed-regions",
        "us-east-1",
        "--engine",
        "athena",
        "--workgroup",
        WORKGROUP,
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        rows,
        json!([{"region": "ap-south-1", "calls": 3, "errors": 1, "identities": 2,
                "first_seen": "2024-01-15T00:00:00Z", "last_seen": "2024-01-15T01:00:00Z", "allowed": false}])
    );
    // The fields in the local hunt's order.
    assert!(stdout.find("\"region\"") < stdout.find("\"allowed\""));
    assert!(stderr.contains("athena: 1 row from query "), "{stderr}");
    assert!(
        stderr.contains("athena: 0 B scanned (0 bytes) by 1 query; cost $0.0000 at list price"),
        "{stderr}"
    );
}

#[test]
fn a_missing_workgroup_is_an_error_naming_it() {
    let athena = Athena::start();
    let (code, stdout, stderr) = athena.run(&[
        "hunt",
        "signins",
        "--engine",
        "athena",
        "--workgroup",
        "nope",
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("error: hunt signins: athena StartQueryExecution")
            && stderr.contains("WorkGroup does not exist"),
        "{stderr}"
    );
}

#[test]
fn athena_options_and_paths_do_not_mix() {
    let athena = Athena::start();
    let (code, _, stderr) = athena.run(&["scan", "--engine", "athena", "events/"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("not PATH arguments"), "{stderr}");
    let (code, _, stderr) = athena.run(&["scan", "--workgroup", "w", "events/"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--workgroup is an option of --engine athena"),
        "{stderr}"
    );
}
