//! `s3://bucket/prefix` inputs against a local S3 (moto_server, see `tests/support/src/moto.rs`): the same
//! small `AWSLogs/` tree is uploaded and written to disk, and every command must say the same about both, with
//! keys skipped as the Lambda skips them.
#![cfg(feature = "s3")]

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use test_support::MotoServer;

const BUCKET: &str = "trail";
const ACCOUNT_DIR: &str = "AWSLogs/111122223333";

/// The tree: (key, bytes). Two log files (the sample on 01/15 in us-east-1, the cross-account fixture on
/// 01/16 in eu-west-1), a broken log file dated 2023, a digest, AWS Config's check file, a text file.
fn tree() -> Vec<(String, Vec<u8>)> {
    let a = ACCOUNT_DIR;
    vec![
        (SAMPLE_KEY.to_owned(), std::fs::read(sample()).unwrap()),
        (
            format!("{a}/CloudTrail/eu-west-1/2024/01/16/111122223333_CloudTrail_eu-west-1_20240116T0910Z_Cross0123456789.json"),
            std::fs::read(CROSS).unwrap(),
        ),
        (
            format!("{a}/CloudTrail/us-east-1/2023/12/01/111122223333_CloudTrail_us-east-1_20231201T0000Z_Broken012345678.json.gz"),
            b"not a log file".to_vec(),
        ),
        (
            format!("{a}/CloudTrail-Digest/us-east-1/2024/01/15/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240115T130000Z.json.gz"),
            br#"{"digestStartTime":"2024-01-15T12:00:00Z","logFiles":[]}"#.to_vec(),
        ),
        (format!("{a}/Config/ConfigWritabilityCheckFile"), b"check".to_vec()),
        (format!("{a}/CloudTrail/us-east-1/2024/01/15/notes.txt"), b"notes".to_vec()),
    ]
}

struct Local {
    s3: MotoServer,
    dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    client: aws_sdk_s3::Client,
}

impl Local {
    fn start() -> Local {
        let s3 = MotoServer::start().expect("moto_server");
        let rt = tokio::runtime::Runtime::new().unwrap();
        let sdk = rt.block_on(test_support::sdk_config(&s3.endpoint()));
        // The CLI's own client set-up: path-style under the endpoint override.
        let client = trailwarden_aws::s3_client(&sdk);
        rt.block_on(client.create_bucket().bucket(BUCKET).send())
            .unwrap();
        Local {
            s3,
            dir: tempfile::tempdir().unwrap(),
            rt,
            client,
        }
    }

    /// Uploads objects, many at once.
    fn put(&self, objects: &[(String, Vec<u8>)]) {
        self.rt.block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for (key, bytes) in objects.iter().cloned() {
                let client = self.client.clone();
                tasks.spawn(async move {
                    client
                        .put_object()
                        .bucket(BUCKET)
                        .key(key)
                        .body(bytes.into())
                        .send()
                        .await
                        .unwrap();
                });
            }
            while let Some(done) = tasks.join_next().await {
                done.unwrap();
            }
        });
    }

    /// The tree in S3 and under `<tmp>/logs`.
    fn with_tree(self) -> Local {
        let objects = tree();
        self.put(&objects);
        for (key, bytes) in &objects {
            let path = self.local().join(key);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        self
    }

    fn local(&self) -> PathBuf {
        self.dir.path().join("logs")
    }

    /// trailwarden pointed at moto: credentials from the environment, no user AWS config.
    fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        for var in [
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL_S3",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("AWS_ENDPOINT_URL", self.s3.endpoint())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", self.dir.path().join("aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.path().join("aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true");
        cmd
    }

    fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Run {
        output(self.command().args(args))
    }
}

fn output(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("run trailwarden");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Findings without their `file`, and the files relative to the tree's root.
fn split_files(findings: Vec<Value>, root: &str) -> (Vec<Value>, Vec<String>) {
    let mut files = Vec::new();
    let findings = findings
        .into_iter()
        .map(|mut f| {
            let file = f.as_object_mut().unwrap().remove("file").unwrap();
            let file = file.as_str().unwrap();
            files.push(
                file.strip_prefix(root)
                    .unwrap_or_else(|| panic!("{file} not under {root}"))
                    .to_owned(),
            );
            f
        })
        .collect();
    (findings, files)
}

fn skipped_line(run: &Run) -> &str {
    run.stderr
        .lines()
        .find(|l| l.trim_start().starts_with("skipped files:"))
        .unwrap()
        .trim()
}

#[test]
fn an_s3_prefix_reads_like_the_same_tree_on_disk() {
    let env = Local::start().with_tree();
    let local = env.local();
    let local_root = format!("{}/", local.display());
    let s3_root = format!("s3://{BUCKET}/");

    // scan: the broken file fails in both (status 2); every other counter and every finding is the same.
    let on_disk = run([
        "scan".as_ref(),
        "--rules".as_ref(),
        PINNED.as_ref(),
        local.as_os_str(),
    ])
    .expect(2);
    let in_s3 = env.run(&["scan", "--rules", PINNED, &s3_root]).expect(2);
    let (disk_findings, disk_files) = split_files(on_disk.lines(), &local_root);
    let (s3_findings, s3_files) = split_files(in_s3.lines(), &s3_root);
    assert_eq!(s3_findings, disk_findings);
    assert_eq!(s3_files, disk_files);
    assert_eq!(s3_findings.len(), 5, "3 in the sample, 2 in the fixture");
    for counter in [
        "files scanned",
        "records",
        "findings",
        "cis-4.1-unauthorized-api-calls",
        "failed files",
        "skipped files",
    ] {
        assert_eq!(
            in_s3.counter(counter),
            on_disk.counter(counter),
            "{counter}"
        );
    }
    assert_eq!(in_s3.counter("files scanned"), 2);
    assert_eq!(in_s3.counter("records"), 15);
    assert_eq!(in_s3.counter("failed files"), 1);
    // The same files are skipped; S3 keys get the Lambda's reasons.
    assert_eq!(
        skipped_line(&on_disk),
        "skipped files:     3 (digest: 1, other_extension: 2)"
    );
    assert_eq!(
        skipped_line(&in_s3),
        "skipped files:     3 (digest: 1, not_cloudtrail: 2)"
    );
    let broken = format!("error: s3://{BUCKET}/{ACCOUNT_DIR}/CloudTrail/us-east-1/2023/12/01/");
    assert!(in_s3.stderr.contains(&broken), "{}", in_s3.stderr);
    assert!(
        in_s3.stderr.contains("not a CloudTrail log file"),
        "{}",
        in_s3.stderr
    );

    // --since: the 2023 day is not read (status 0); records of 01/15 are outside the window.
    let r = env
        .run(&["scan", "--rules", PINNED, "--since", "2024-01-16", &s3_root])
        .expect(0);
    assert_eq!(
        r.counter("files scanned"),
        2,
        "01/15 is read (a day of margin), 2023 is not"
    );
    assert_eq!(r.counter("outside window"), 8);
    let findings = r.lines();
    assert_eq!(findings.len(), 2);
    assert!(findings.iter().all(|f| f["event_name"] == "GetObject"));
    let r = env
        .run(&[
            "scan",
            "--rules",
            PINNED,
            "--until",
            "2024-01-13",
            "--format",
            "json",
            &s3_root,
        ])
        .expect(2);
    assert_eq!(r.stdout, "[]\n");
    assert_eq!(
        r.counter("files scanned"),
        0,
        "only the 2023 file is listed, and it fails"
    );

    // --fail-on-findings over S3.
    env.run(&[
        "scan",
        "--fail-on-findings",
        "--rules",
        PINNED,
        "--since",
        "2024-01-01",
        &s3_root,
    ])
    .expect(1);

    // An object named exactly; a prefix in the middle of a key.
    let r = env
        .run(&[
            "scan",
            "--rules",
            PINNED,
            &format!("s3://{BUCKET}/{SAMPLE_KEY}"),
        ])
        .expect(0);
    assert_eq!(r.lines().len(), 3);
    let r = env
        .run(&[
            "scan",
            "--rules",
            PINNED,
            &format!("s3://{BUCKET}/{ACCOUNT_DIR}/CloudTrail/eu"),
        ])
        .expect(0);
    assert_eq!(r.counter("files scanned"), 1);
    assert_eq!(r.lines().len(), 2);

    // hunt: the same rows from S3 as from disk.
    for query in [
        vec!["regions"],
        vec!["identities"],
        vec!["signins"],
        vec!["policy-changes"],
        vec!["sg-changes"],
        vec!["access-key", "AKIAEXAMPLEKEY000001"],
        vec!["cross-account"],
    ] {
        let mut args = vec!["hunt"];
        args.extend(&query);
        args.extend(["--format", "json", "--since", "2024-01-01"]);
        let from_disk = {
            let mut a: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_ref()).collect();
            a.push(local.as_os_str());
            run(a).expect(0)
        };
        let mut s3_args = args.clone();
        s3_args.push(&s3_root);
        let from_s3 = env.run(&s3_args).expect(0);
        assert_eq!(from_s3.json(), from_disk.json(), "{query:?}");
        assert!(!from_s3.json().as_array().unwrap().is_empty(), "{query:?}");
    }
    let rows = env
        .run(&[
            "hunt",
            "access-key",
            "AKIAEXAMPLEKEY000001",
            "--format",
            "json",
            "--since",
            "2024-01-01",
            &s3_root,
        ])
        .expect(0)
        .json();
    assert_eq!(rows.as_array().unwrap().len(), 5);

    // rules explain and rules test read S3 too.
    let r = env
        .run(&[
            "rules",
            "explain",
            "--event-id",
            "00000000-0000-4000-8000-000000000002",
            "--since",
            "2024-01-01",
            &s3_root,
        ])
        .expect(0);
    assert!(
        r.stdout
            .contains(&format!("file:      s3://{BUCKET}/{SAMPLE_KEY}, record 1")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("cis-4.1-unauthorized-api-calls [medium]: MATCHED: alert"),
        "{}",
        r.stdout
    );
    let r = env
        .run(&[
            "rules",
            "test",
            "{ $.errorCode = \"AccessDenied*\" }",
            "--since",
            "2024-01-01",
            &s3_root,
        ])
        .expect(0);
    assert_eq!(r.lines().len(), 5);
    assert!(
        r.stderr.contains("matched 5 of 15 records in 2 files"),
        "{}",
        r.stderr
    );

    // A bucket that does not exist: reported, status 2, the other inputs still read.
    let r = env
        .run(&[
            "scan",
            "--rules",
            PINNED,
            "s3://no-such-bucket/AWSLogs/",
            &format!("s3://{BUCKET}/{SAMPLE_KEY}"),
        ])
        .expect(2);
    assert!(
        r.stderr
            .contains("error: s3://no-such-bucket/AWSLogs/: NoSuchBucket"),
        "{}",
        r.stderr
    );
    assert_eq!(r.lines().len(), 3);
    // A key that does not exist: nothing is listed.
    let r = env
        .run(&["scan", &format!("s3://{BUCKET}/AWSLogs/none.json.gz")])
        .expect(0);
    assert!(r.stderr.contains("warning: no log files"), "{}", r.stderr);
}

#[test]
fn aws_profile_selects_the_credentials() {
    let env = Local::start().with_tree();
    let dir = env.dir.path();
    std::fs::write(
        dir.join("aws-config"),
        "[profile replay]\nregion = us-east-1\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("aws-credentials"),
        "[replay]\naws_access_key_id = replaykey\naws_secret_access_key = replaysecret\n",
    )
    .unwrap();
    let s3_root = format!("s3://{BUCKET}/{SAMPLE_KEY}");
    let mut cmd = env.command();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_REGION");
    let r = output(cmd.args([
        "scan",
        "--rules",
        PINNED,
        "--aws-profile",
        "replay",
        &s3_root,
    ]))
    .expect(0);
    assert_eq!(r.lines().len(), 3);
    // No credentials at all: one clear error, status 2.
    let mut cmd = env.command();
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY");
    let r = output(cmd.args(["scan", "--aws-profile", "missing", &s3_root])).expect(2);
    assert!(
        r.stderr.starts_with(
            "error: cannot load AWS credentials for the s3:// paths (--aws-profile missing): "
        ),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
}

#[test]
fn listings_are_paged() {
    let env = Local::start();
    // More than one page (ListObjectsV2 returns at most 1000 keys), one record each.
    let objects: Vec<(String, Vec<u8>)> = (0..1005)
        .map(|i| {
            let key = format!(
                "paged/{ACCOUNT_DIR}/CloudTrail/us-east-1/2024/01/20/111122223333_CloudTrail_us-east-1_20240120T0000Z_{i:04}.json"
            );
            let body = format!(
                r#"{{"Records":[{{"eventID":"e{i}","eventTime":"2024-01-20T00:00:00Z","eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"192.0.2.1","awsRegion":"us-east-1"}}]}}"#
            );
            (key, body.into_bytes())
        })
        .collect();
    env.put(&objects);
    let r = env
        .run(&["scan", "--rules", PINNED, &format!("s3://{BUCKET}/paged/")])
        .expect(0);
    assert_eq!(r.counter("files scanned"), 1005);
    let ids: Vec<String> = r
        .lines()
        .iter()
        .map(|f| f["event_id"].as_str().unwrap().to_owned())
        .collect();
    let want: Vec<String> = (0..1005).map(|i| format!("e{i}")).collect();
    assert_eq!(ids, want, "every object once, in key order");
    let regions = env
        .run(&[
            "hunt",
            "regions",
            "--format",
            "json",
            &format!("s3://{BUCKET}/paged/"),
        ])
        .expect(0);
    assert_eq!(regions.json()[0]["calls"], 1005);
    assert!(
        regions
            .stderr
            .contains("1 row from 1005 records in 1005 files"),
        "{}",
        regions.stderr
    );
}
