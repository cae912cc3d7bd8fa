//! End to end of the deployment: `terraform apply` of infra/examples/complete against a local moto_server, then
//! the resources it created are read back with the AWS SDK, the handler runs in-process against the created
//! bucket and topic, and `terraform destroy` removes the stack.
//!
//! The example and the module are copied into a temporary directory, each with an override from tests/infra/
//! (provider endpoints → moto and module source → the copy; the bucket policy moto can evaluate), so nothing is
//! written into the repository. Where `terraform` is not on PATH the test prints a SKIP line and returns (under
//! `CI=true` it fails).
//!
//! moto 5.2 gaps this test works around (each is also noted where it matters):
//! - `StartLogging` by trail ARN answers HTTP 500: the example is applied with `enable_logging = false`.
//! - a trail deleted by ARN stays: moto is reset after the destroy (and by a guard when the test fails).
//! - moto does not run a Lambda on S3 notifications (that needs docker): the handler is called in-process with
//!   the event S3 would send, configured from the deployed function's environment.
//! - moto applies a bucket policy's Deny statements to object requests but evaluates none of their conditions,
//!   so the TLS-only statement (Deny s3:* where aws:SecureTransport is false) and the log path's object-level
//!   denies would deny every PutObject/GetObject/DeleteObject: the module copy puts the policy without them, and
//!   the tests check them in the document the module renders (module_moto_override.tf.tmpl, log_path.rs).
//! - moto drops the function's `kms_key_arn` and `logging_config` on read, so a plan after the apply is not
//!   clean: no plan is asserted, and those two settings are not checked here (`terraform validate` and checkov
//!   in infra/scripts/check.sh cover the configuration).

// Progress lines of terraform runs and cleanup failures go to the test log on stderr.
#![allow(clippy::print_stderr)]

use alerter::{
    handle_event, read_rules_file, s3_client, sns_client, sns_sink, Config, Deps, RulesLocation,
    S3Source,
};
use aws_sdk_s3::types::{FilterRuleName, ObjectOwnership, ServerSideEncryption};
use aws_sdk_sqs::types::QueueAttributeName;
use lambda_runtime::{Context, LambdaEvent};
use rules::Engine;
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use test_support::{drain_queue, repo_root, sdk_config, subscribed_queue, MotoServer};

#[path = "infra_apply/athena.rs"]
mod athena;
#[path = "infra_apply/fast_path.rs"]
mod fast_path;
#[path = "infra_apply/hardening.rs"]
mod hardening;
#[path = "infra_apply/log_path.rs"]
pub(crate) mod log_path;
#[path = "infra_apply/watchers.rs"]
mod watchers;

/// The example's override: provider endpoints → `@ENDPOINT@`, module source → `@MODULE_SOURCE@`.
const EXAMPLE_OVERRIDE: &str = include_str!("../infra/example_moto_override.tf.tmpl");
/// The module copy's override: the bucket policy without the TLS-only statement moto cannot evaluate.
const MODULE_OVERRIDE: &str = include_str!("../infra/module_moto_override.tf.tmpl");

const NAME_PREFIX: &str = "tw-e2e";
const ALERT_EMAIL: &str = "security-alerts@example.com";
const ALERT_SMS: &str = "+14155550100";
const SMS_MIN_SEVERITY: &str = "high";
/// The severities of infra/variables.tf's `sms_min_severity`, lowest first.
const SEVERITIES: [&str; 4] = ["low", "medium", "high", "critical"];

const SAMPLE_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz";
const ROOT_EVENT: &str = "00000000-0000-4000-8000-000000000001";
const DENIED_EVENTS: [&str; 2] = [
    "00000000-0000-4000-8000-000000000002",
    "00000000-0000-4000-8000-000000000003",
];

/// Upper bound for one terraform command, so a wedged provider cannot hang the test run (not a timing
/// assertion: apply takes about a minute and a half against moto).
const TERRAFORM_LIMIT: Duration = Duration::from_secs(15 * 60);

/// An executable called `name` in a `PATH` directory.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The parent of a `registry.terraform.io` directory within three levels of `/` (what infra/scripts/check.sh
/// finds with `find / -maxdepth 3 -type d -name registry.terraform.io`): a provider filesystem mirror.
fn provider_mirror() -> Option<PathBuf> {
    fn walk(dir: &Path, depth: usize) -> Option<PathBuf> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        entries.sort();
        if entries
            .iter()
            .any(|p| p.file_name().is_some_and(|n| n == "registry.terraform.io"))
        {
            return Some(dir.to_path_buf());
        }
        if depth == 1 {
            return None;
        }
        entries
            .iter()
            .filter(|p| {
                !["/proc", "/sys", "/dev"]
                    .iter()
                    .any(|s| p.as_path() == Path::new(s))
            })
            .find_map(|p| walk(p, depth - 1))
    }
    walk(Path::new("/"), 3)
}

/// A zip holding one executable `bootstrap` (stored, not compressed), written without a zip library.
///
/// It is a placeholder: moto never runs the function, and the debug build of the real binary is far too large
/// (hundreds of MB) to push through terraform and moto for nothing. Real deployments use the zip of
/// `cargo lambda build --release --output-format zip` (README "Deploy to AWS").
fn write_placeholder_zip(path: &Path) -> Vec<u8> {
    let data: &[u8] =
        b"#!/bin/sh\n# trailwarden e2e placeholder: moto does not run Lambda code.\nexit 1\n";
    let name: &[u8] = b"bootstrap";
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let (crc, size) = (crc.sum(), data.len() as u32);
    let (time, date) = (0u16, ((2024 - 1980) << 9 | 1 << 5 | 1) as u16);

    let mut zip = Vec::new();
    let put16 = |z: &mut Vec<u8>, v: u16| z.extend_from_slice(&v.to_le_bytes());
    let put32 = |z: &mut Vec<u8>, v: u32| z.extend_from_slice(&v.to_le_bytes());
    // Local file header + data.
    put32(&mut zip, 0x0403_4b50);
    for v in [20, 0, 0, time, date] {
        put16(&mut zip, v);
    }
    for v in [crc, size, size] {
        put32(&mut zip, v);
    }
    put16(&mut zip, name.len() as u16);
    put16(&mut zip, 0);
    zip.extend_from_slice(name);
    zip.extend_from_slice(data);
    // Central directory: made by Unix (3), version 2.0, mode 0100755 in the external attributes.
    let central = zip.len() as u32;
    put32(&mut zip, 0x0201_4b50);
    for v in [0x0314, 20, 0, 0, time, date] {
        put16(&mut zip, v);
    }
    for v in [crc, size, size] {
        put32(&mut zip, v);
    }
    for v in [name.len() as u16, 0, 0, 0, 0] {
        put16(&mut zip, v);
    }
    put32(&mut zip, 0o100_755 << 16);
    put32(&mut zip, 0);
    zip.extend_from_slice(name);
    // End of central directory.
    let central_size = zip.len() as u32 - central;
    put32(&mut zip, 0x0605_4b50);
    for v in [0, 0, 1, 1] {
        put16(&mut zip, v);
    }
    put32(&mut zip, central_size);
    put32(&mut zip, central);
    put16(&mut zip, 0);

    std::fs::write(path, &zip).unwrap();
    zip
}

/// Copies the files of a Terraform configuration directory (`*.tf`, the example's trailwarden.toml, the committed
/// `.terraform.lock.hcl` …), not its subdirectories, nor the local state, variables or `.terraform` of someone's own
/// run in it.
fn copy_configuration(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let local = (name.starts_with('.') && name != LOCK_FILE)
            || name.contains(".tfstate")
            || name.ends_with(".tfvars")
            || name.ends_with(".tfvars.json")
            || name.ends_with("_override.tf")
            || name == "override.tf";
        if path.is_file() && !local {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// The provider lock file Terraform writes and the repository commits (requirements/README.md).
const LOCK_FILE: &str = ".terraform.lock.hcl";

/// `terraform` in one working directory, with the provider mirror when this machine has one.
struct Terraform {
    exe: PathBuf,
    dir: PathBuf,
    cli_config: Option<PathBuf>,
}

impl Terraform {
    /// Terraform in `dir`; where this machine has a provider mirror, a CLI configuration using it is written into
    /// `work` (a directory the test owns, outside `dir`).
    fn new(exe: PathBuf, dir: PathBuf, work: &Path) -> Self {
        let cli_config = provider_mirror().map(|mirror| {
            let path = work.join("terraformrc");
            std::fs::write(
                &path,
                format!(
                    "provider_installation {{\n  filesystem_mirror {{\n    path    = {:?}\n    include = [\"registry.terraform.io/*/*\"]\n  }}\n}}\n",
                    mirror.to_str().unwrap()
                ),
            )
            .unwrap();
            eprintln!("terraform providers from the filesystem mirror {}", mirror.display());
            path
        });
        Terraform {
            exe,
            dir,
            cli_config,
        }
    }

    /// `terraform init` with the providers the repository locks: a root configuration the test wrote gets the
    /// example's committed lock file, and `-lockfile=readonly` makes any other provider version an error.
    async fn init(&self) {
        let lock = self.dir.join(LOCK_FILE);
        if !lock.exists() {
            std::fs::copy(
                repo_root().join("infra/examples/complete").join(LOCK_FILE),
                &lock,
            )
            .unwrap();
        }
        self.run(&["init", "-input=false", "-lockfile=readonly", "-no-color"])
            .await;
    }

    /// Runs `terraform <args>` and returns its stdout, or a message with the tail of its output.
    async fn try_run(&self, args: &[&str]) -> Result<String, String> {
        let mut cmd = tokio::process::Command::new(&self.exe);
        cmd.args(args)
            .current_dir(&self.dir)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        if let Some(config) = &self.cli_config {
            cmd.env("TF_CLI_CONFIG_FILE", config);
        }
        let started = Instant::now();
        let out = tokio::time::timeout(TERRAFORM_LIMIT, cmd.output())
            .await
            .map_err(|_| format!("terraform {args:?} still running after {TERRAFORM_LIMIT:?}"))?
            .map_err(|e| format!("running {}: {e}", self.exe.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        eprintln!(
            "terraform {} ({:.0?}): {}",
            args.first().unwrap_or(&""),
            started.elapsed(),
            if out.status.success() { "ok" } else { "FAILED" }
        );
        if out.status.success() {
            return Ok(stdout);
        }
        let all = format!("{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        // From the first error on (progress lines before it say little), at most 80 lines.
        let lines: Vec<&str> = all.lines().collect();
        let from = lines
            .iter()
            .position(|l| l.starts_with("Error: "))
            .map_or(lines.len().saturating_sub(60), |i| i.saturating_sub(2));
        let tail = lines[from..lines.len().min(from + 80)].join("\n");
        Err(format!(
            "terraform {args:?} failed ({}):\n{tail}",
            out.status
        ))
    }

    async fn run(&self, args: &[&str]) -> String {
        self.try_run(args).await.unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Resets moto when dropped, also when an assertion fails: moto keeps trails deleted by ARN, and a failed
/// apply or destroy leaves resources behind. (The server itself is killed by [`MotoServer`]'s drop, and the
/// Terraform state lives in a temporary directory.)
struct ResetOnDrop<'a>(&'a MotoServer);

impl Drop for ResetOnDrop<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.0.reset() {
            eprintln!("moto reset failed: {e}");
        }
    }
}

/// A policy field that holds one string or a list of strings, as a set.
fn strings(v: &Value) -> BTreeSet<String> {
    match v {
        Value::String(s) => BTreeSet::from([s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .unwrap_or_else(|| panic!("not a string: {x}"))
                    .to_owned()
            })
            .collect(),
        other => panic!("neither a string nor a list of strings: {other}"),
    }
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The statement `sid` of a policy document.
fn statement<'a>(policy: &'a Value, sid: &str) -> &'a Value {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("statement {sid} missing: {policy}"))
}

/// The resource at `address` in a module of `terraform show -json`'s `values` (searched through child modules).
fn state_resource<'a>(module: &'a Value, address: &str) -> &'a Value {
    fn find<'a>(module: &'a Value, address: &str) -> Option<&'a Value> {
        let here = module["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["address"] == address);
        here.or_else(|| {
            module["child_modules"]
                .as_array()
                .into_iter()
                .flatten()
                .find_map(|m| find(m, address))
        })
    }
    find(module, address).unwrap_or_else(|| panic!("{address} not in the Terraform state"))
}

/// `terraform output -json` as name → value.
fn outputs(json_text: &str) -> HashMap<String, Value> {
    let all: HashMap<String, Value> = serde_json::from_str(json_text).unwrap();
    all.into_iter()
        .map(|(k, v)| (k, v["value"].clone()))
        .collect()
}

fn output<'a>(outputs: &'a HashMap<String, Value>, name: &str) -> &'a str {
    outputs
        .get(name)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("output {name} missing or not a string: {outputs:?}"))
}

/// The SNS filter policy `sms_min_severity` implies: every severity at or above it.
fn sms_filter_policy(min: &str) -> Value {
    let from = SEVERITIES.iter().position(|s| *s == min).unwrap();
    json!({ "severity": SEVERITIES[from..] })
}

/// (event id, rule id) of each alert envelope.
fn alert_ids(envelopes: &[Value]) -> BTreeSet<(String, String)> {
    envelopes
        .iter()
        .map(|env| {
            let body: Value = serde_json::from_str(env["Message"].as_str().unwrap()).unwrap();
            (
                body["event_id"].as_str().unwrap().to_owned(),
                body["rule_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The S3 notification for one object, as S3 would send it for the deployed bucket notification.
fn s3_event(bucket: &str, key: &str, size: usize, configuration_id: &str) -> LambdaEvent<Value> {
    let mut e = test_support::s3_put_event(key);
    let s3 = &mut e["Records"][0]["s3"];
    s3["configurationId"] = Value::from(configuration_id);
    s3["bucket"]["name"] = Value::from(bucket);
    s3["bucket"]["arn"] = Value::from(format!("arn:aws:s3:::{bucket}"));
    s3["object"]["size"] = Value::from(size);
    LambdaEvent::new(e, Context::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn example_applies_on_moto_and_its_stack_delivers_alerts() {
    let Some(terraform_exe) = find_on_path("terraform") else {
        test_support::skip("terraform not found on PATH (infra e2e test: terraform apply of infra/examples/complete against moto_server)");
        return;
    };

    // Declared in this order so that they drop in reverse: reset moto, remove the directory, stop moto.
    let moto = MotoServer::start().expect("moto_server");
    let work = tempfile::tempdir().unwrap();
    let _reset = ResetOnDrop(&moto);
    let endpoint = moto.endpoint();

    // The module and the example, copied, each with its moto override; then the variables.
    let example = repo_root().join("infra/examples/complete");
    let module = work.path().join("module");
    copy_configuration(&repo_root().join("infra"), &module);
    std::fs::write(module.join("moto_override.tf"), MODULE_OVERRIDE).unwrap();
    let dir = work.path().join("complete");
    copy_configuration(&example, &dir);
    let example_override = EXAMPLE_OVERRIDE
        .replace("@ENDPOINT@", &endpoint)
        .replace("@MODULE_SOURCE@", module.to_str().unwrap());
    assert!(!example_override.contains('@'), "unfilled placeholder");
    std::fs::write(dir.join("moto_override.tf"), example_override).unwrap();

    let zip_path = work.path().join("bootstrap.zip");
    let zip = write_placeholder_zip(&zip_path);
    let vars = json!({
        "name_prefix": NAME_PREFIX,
        "lambda_zip_path": zip_path,
        "lambda_architecture": "arm64",
        "alert_emails": [ALERT_EMAIL],
        "alert_sms_numbers": [ALERT_SMS],
        "sms_min_severity": SMS_MIN_SEVERITY,
        "enable_logging": false,
        "bucket_force_destroy": true,
        "enable_insights": true,
        "enable_athena": true,
        "enable_findings_archive": true,
    });
    std::fs::write(
        dir.join("terraform.tfvars.json"),
        serde_json::to_vec_pretty(&vars).unwrap(),
    )
    .unwrap();

    let tf = Terraform::new(terraform_exe, dir, work.path());

    // 1. Apply.
    tf.init().await;
    let applied = tf
        .run(&["apply", "-input=false", "-no-color", "-auto-approve"])
        .await;
    let out = outputs(&tf.run(&["output", "-json", "-no-color"]).await);
    let account = "123456789012"; // moto's default account
    let trail_arn = output(&out, "trail_arn");
    let bucket = output(&out, "bucket_name");
    let topic_arn = output(&out, "topic_arn");
    let function_name = output(&out, "function_name");
    let dlq_url = output(&out, "dlq_url");
    let kms_key_arn = output(&out, "kms_key_arn");
    assert_eq!(
        trail_arn,
        format!("arn:aws:cloudtrail:us-east-1:{account}:trail/{NAME_PREFIX}-trail")
    );
    assert_eq!(
        bucket,
        format!("{NAME_PREFIX}-cloudtrail-{account}-us-east-1")
    );
    assert_eq!(function_name, format!("{NAME_PREFIX}-alerter"));
    assert!(
        kms_key_arn.starts_with(&format!("arn:aws:kms:us-east-1:{account}:key/")),
        "{kms_key_arn}"
    );

    // 2. The resources, read back from moto.
    let sdk = sdk_config(&endpoint).await;
    let cloudtrail = aws_sdk_cloudtrail::Client::new(&sdk);
    let s3 = s3_client(&sdk);
    let sns = sns_client(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let lambda = aws_sdk_lambda::Client::new(&sdk);

    // Trail: multi-region, global service events, log file validation, SSE-KMS with the stack's key.
    let trail = cloudtrail
        .get_trail()
        .name(trail_arn)
        .send()
        .await
        .unwrap()
        .trail
        .unwrap();
    assert_eq!(trail.s3_bucket_name.as_deref(), Some(bucket));
    assert_eq!(trail.is_multi_region_trail, Some(true));
    assert_eq!(trail.include_global_service_events, Some(true));
    assert_eq!(trail.log_file_validation_enabled, Some(true));
    assert_eq!(trail.kms_key_id.as_deref(), Some(kms_key_arn));
    assert_eq!(trail.is_organization_trail, Some(false));
    // enable_logging = false (moto cannot StartLogging by ARN), so the trail is created but not logging.
    let status = cloudtrail
        .get_trail_status()
        .name(trail_arn)
        .send()
        .await
        .unwrap();
    assert_eq!(status.is_logging, Some(false));

    // Bucket: SSE-KMS with the key (and S3 Bucket Keys), versioning, public access block, owner-enforced.
    let sse = s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .server_side_encryption_configuration
        .unwrap();
    let [rule] = sse.rules() else {
        panic!("one encryption rule: {sse:?}")
    };
    let default = rule.apply_server_side_encryption_by_default().unwrap();
    assert_eq!(default.sse_algorithm(), &ServerSideEncryption::AwsKms);
    assert_eq!(default.kms_master_key_id(), Some(kms_key_arn));
    assert_eq!(rule.bucket_key_enabled(), Some(true));
    // Versioning is checked below, by the version id of an upload: moto answers GetBucketVersioning with the
    // root element GetBucketVersioningResponse instead of VersioningConfiguration, which the Rust SDK rejects.
    let pab = s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .public_access_block_configuration
        .unwrap();
    assert_eq!(
        (
            pab.block_public_acls,
            pab.ignore_public_acls,
            pab.block_public_policy,
            pab.restrict_public_buckets
        ),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let ownership = s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
        .unwrap()
        .ownership_controls
        .unwrap();
    assert_eq!(
        ownership.rules()[0].object_ownership(),
        &ObjectOwnership::BucketOwnerEnforced
    );
    // Bucket policy: TLS only, CloudTrail's statements bound to this trail's ARN. The TLS-only statement is read
    // from the document the module rendered (Terraform state): the test's copy of the module leaves it out of the
    // policy it puts, because moto would deny every object request with it (module_moto_override.tf.tmpl).
    let state: Value =
        serde_json::from_str(&tf.run(&["show", "-json", "-no-color"]).await).unwrap();
    watchers::assert_deployed(&sdk, &out, &state).await;
    hardening::assert_deployed(&sdk, &out, &state, &applied).await;
    let rendered = state_resource(
        &state["values"]["root_module"],
        "module.trailwarden.data.aws_iam_policy_document.bucket[0]",
    );
    let rendered: Value =
        serde_json::from_str(rendered["values"]["json"].as_str().unwrap()).unwrap();
    let stored: Value = serde_json::from_str(
        &s3.get_bucket_policy()
            .bucket(bucket)
            .send()
            .await
            .unwrap()
            .policy
            .unwrap(),
    )
    .unwrap();
    let sid = |policy: &Value, sid: &str| -> Value {
        policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("bucket policy statement {sid}: {policy}"))
            .clone()
    };
    assert_eq!(
        sid(&rendered, "DenyInsecureTransport"),
        json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}/*"), format!("arn:aws:s3:::{bucket}")],
            "Condition": { "Bool": { "aws:SecureTransport": "false" } },
        })
    );
    // (log_path.rs asserts the other object-level denies the copy leaves out, and the one it puts.)
    let without_tls: Vec<&Value> = rendered["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !log_path::RENDERED_ONLY.iter().any(|sid| s["Sid"] == *sid))
        .collect();
    assert_eq!(
        stored["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        without_tls,
        "moto holds the rendered policy minus the statements it cannot evaluate"
    );
    for s in ["CloudTrailAclCheck", "CloudTrailWrite"] {
        let statement = sid(&stored, s);
        assert_eq!(
            statement["Principal"]["Service"],
            "cloudtrail.amazonaws.com"
        );
        assert_eq!(
            statement["Condition"]["StringEquals"]["aws:SourceArn"],
            trail_arn
        );
    }
    assert_eq!(
        sid(&stored, "CloudTrailWrite")["Resource"],
        format!("arn:aws:s3:::{bucket}/AWSLogs/{account}/*")
    );
    assert_eq!(
        sid(&stored, "CloudTrailWrite")["Condition"]["StringEquals"]["s3:x-amz-acl"],
        "bucket-owner-full-control"
    );

    // The notification: every new AWSLogs/…/*.json.gz object invokes the function.
    let function_arn = format!("arn:aws:lambda:us-east-1:{account}:function:{function_name}");
    let notification = s3
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    let [target] = notification.lambda_function_configurations() else {
        panic!("one Lambda notification: {notification:?}")
    };
    assert_eq!(target.lambda_function_arn(), function_arn);
    assert_eq!(target.events().len(), 1);
    assert_eq!(target.events()[0].as_str(), "s3:ObjectCreated:*");
    let filter: BTreeSet<(String, String)> = target
        .filter()
        .and_then(|f| f.key())
        .map(|k| k.filter_rules())
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r.name()
                    .map(FilterRuleName::as_str)
                    .unwrap_or("")
                    .to_lowercase(),
                r.value().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        filter,
        BTreeSet::from([
            ("prefix".to_owned(), "AWSLogs/".to_owned()),
            ("suffix".to_owned(), ".json.gz".to_owned()),
        ])
    );
    assert!(notification.queue_configurations().is_empty());
    assert!(notification.topic_configurations().is_empty());
    let notification_id = target.id().unwrap_or("trailwarden").to_owned();

    // Topic: encrypted with the key; one email and one SMS subscription, the SMS one filtered on `severity`.
    let topic_attrs = sns
        .get_topic_attributes()
        .topic_arn(topic_arn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(
        topic_attrs.get("KmsMasterKeyId").map(String::as_str),
        Some(kms_key_arn)
    );
    let subs = sns
        .list_subscriptions_by_topic()
        .topic_arn(topic_arn)
        .send()
        .await
        .unwrap()
        .subscriptions
        .unwrap_or_default();
    let by_protocol: BTreeSet<(String, String)> = subs
        .iter()
        .map(|s| {
            (
                s.protocol.clone().unwrap_or_default(),
                s.endpoint.clone().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        by_protocol,
        BTreeSet::from([
            ("email".to_owned(), ALERT_EMAIL.to_owned()),
            ("sms".to_owned(), ALERT_SMS.to_owned()),
        ])
    );
    // (moto confirms email subscriptions at once; in AWS they stay pending until the recipient confirms.)
    let attrs_of = |protocol: &str| {
        let arn = subs
            .iter()
            .find(|s| s.protocol.as_deref() == Some(protocol))
            .and_then(|s| s.subscription_arn.clone())
            .unwrap();
        let sns = sns.clone();
        async move {
            sns.get_subscription_attributes()
                .subscription_arn(arn)
                .send()
                .await
                .unwrap()
                .attributes
                .unwrap_or_default()
        }
    };
    let email_attrs = attrs_of("email").await;
    assert_eq!(
        email_attrs.get("FilterPolicy"),
        None,
        "email gets every alert and alarm"
    );
    let sms_attrs = attrs_of("sms").await;
    assert_eq!(
        sms_attrs.get("FilterPolicyScope").map(String::as_str),
        Some("MessageAttributes")
    );
    let sms_policy = sms_attrs
        .get("FilterPolicy")
        .expect("SMS filter policy")
        .clone();
    assert_eq!(
        serde_json::from_str::<Value>(&sms_policy).unwrap(),
        sms_filter_policy(SMS_MIN_SEVERITY),
        "SMS subscribers get {SMS_MIN_SEVERITY} and above"
    );
    assert_eq!(
        sms_filter_policy(SMS_MIN_SEVERITY),
        json!({ "severity": ["high", "critical"] })
    );

    // Function: provided.al2023 `bootstrap`, the zip given, TOPIC_ARN = the topic, reserved concurrency, retries
    // and the on-failure queue. (kms_key_arn and logging_config are not returned by moto: see the header.)
    let f = lambda
        .get_function_configuration()
        .function_name(function_name)
        .send()
        .await
        .unwrap();
    assert_eq!(f.function_arn(), Some(function_arn.as_str()));
    assert_eq!(f.runtime().map(|r| r.as_str()), Some("provided.al2023"));
    assert_eq!(f.handler(), Some("bootstrap"));
    assert_eq!(
        f.architectures()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["arm64"]
    );
    assert_eq!(f.code_size(), zip.len() as i64);
    assert_eq!(f.memory_size(), Some(128));
    assert_eq!(
        f.role(),
        Some(format!("arn:aws:iam::{account}:role/{function_name}-role").as_str())
    );
    let env = f
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        env.get("TOPIC_ARN").map(String::as_str),
        Some(topic_arn),
        "{env:?}"
    );
    // The module's default: emails carry the record (variable email_include_record).
    assert_eq!(
        env.get("EMAIL_INCLUDE_RECORD").map(String::as_str),
        Some("true"),
        "{env:?}"
    );
    log_path::assert_log_path(&sdk, &state, &out, &env).await;
    athena::assert_deployed(&tf, &endpoint, &out, &state, &env).await;
    fast_path::assert_deployed(&sdk, &out, &state, &env).await;
    let concurrency = lambda
        .get_function_concurrency()
        .function_name(function_name)
        .send()
        .await
        .unwrap();
    assert_eq!(concurrency.reserved_concurrent_executions(), Some(10));
    // Only S3, from this bucket in this account, may invoke the function.
    let fn_policy: Value = serde_json::from_str(
        lambda
            .get_policy()
            .function_name(function_name)
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let [grant] = fn_policy["Statement"].as_array().unwrap().as_slice() else {
        panic!("one invoke permission: {fn_policy}")
    };
    assert_eq!(grant["Principal"]["Service"], "s3.amazonaws.com");
    assert_eq!(grant["Action"], "lambda:InvokeFunction");
    assert_eq!(
        grant["Condition"]["ArnLike"]["AWS:SourceArn"],
        format!("arn:aws:s3:::{bucket}")
    );
    assert_eq!(
        grant["Condition"]["StringEquals"]["AWS:SourceAccount"],
        account
    );

    // The on-failure queue: exists, encrypted with the key, and is the function's failure destination.
    let dlq = sqs
        .get_queue_attributes()
        .queue_url(dlq_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(
        dlq.get(&QueueAttributeName::KmsMasterKeyId)
            .map(String::as_str),
        Some(kms_key_arn)
    );
    let dlq_arn = dlq[&QueueAttributeName::QueueArn].clone();
    assert_eq!(
        dlq_arn,
        format!("arn:aws:sqs:us-east-1:{account}:{function_name}-dlq")
    );
    let invoke = lambda
        .get_function_event_invoke_config()
        .function_name(function_name)
        .send()
        .await
        .unwrap();
    assert_eq!(invoke.maximum_retry_attempts(), Some(2));
    assert_eq!(
        invoke
            .destination_config()
            .and_then(|d| d.on_failure())
            .and_then(|o| o.destination()),
        Some(dlq_arn.as_str())
    );

    // 3. The handler against the created bucket and topic, configured as the deployed function is.
    let inbox = subscribed_queue(&sns, &sqs, topic_arn, "e2e-inbox", None).await;
    // A stand-in for the SMS subscriber: same filter policy, but a queue moto lets us read.
    let sms_inbox =
        subscribed_queue(&sns, &sqs, topic_arn, "e2e-sms-inbox", Some(&sms_policy)).await;

    let body = std::fs::read(repo_root().join("events").join(SAMPLE_KEY)).unwrap();
    let size = body.len();
    let put = s3
        .put_object()
        .bucket(bucket)
        .key(SAMPLE_KEY)
        .body(body.into())
        .send()
        .await
        .unwrap();
    // A versioned bucket gives every object version an id ("null" or none when versioning is off).
    assert!(
        put.version_id().is_some_and(|v| v != "null"),
        "the log bucket is versioned: {put:?}"
    );
    // Bucket default encryption applies to objects put without encryption headers.
    assert_eq!(
        put.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );

    // The function's configuration, read as it reads it at cold start: the deployed environment, and the rules
    // file the example ships, stored by Terraform in the bucket.
    let config = Config::from_lookup(|name| env.get(name).cloned()).expect("deployed environment");
    assert_eq!(config.topic_arn, topic_arn);
    assert_eq!(
        config.rules_file,
        Some(RulesLocation::S3 {
            bucket: bucket.to_owned(),
            key: "trailwarden/rules.toml".to_owned()
        })
    );
    let rules_text = read_rules_file(config.rules_file.as_ref().unwrap(), &s3)
        .await
        .expect("the function can read its rules file");
    assert!(
        rules_text.starts_with(&std::fs::read_to_string(example.join("trailwarden.toml")).unwrap()),
        "the example's rules, then the [pipeline] table (log_path.rs)"
    );
    let (_, alert_settings) = config
        .rules(Some(&rules_text), &rules::today_utc())
        .expect("the deployed rules file compiles");
    // The alerts are then checked with the two rules the sample file exercises, as in s3_to_sns.rs: the
    // deployment is under test here, not the catalog or the profile. Storm control is the deployed file's.
    let sink = sns_sink(sns.clone(), config.topic_arn.clone());
    let deps = Deps::new(
        S3Source::new(s3.clone()),
        sink,
        Engine::with_ids(&[
            "cis-4.1-unauthorized-api-calls",
            "cis-4.3-root-account-usage",
        ])
        .unwrap(),
        config,
    )
    .with_alerts(alert_settings);
    let summary = handle_event(s3_event(bucket, SAMPLE_KEY, size, &notification_id), &deps)
        .await
        .unwrap()
        .into_report();
    assert_eq!(
        (summary.objects, summary.findings, summary.published),
        (1, 3, 3)
    );

    let alerts = drain_queue(&sqs, &inbox).await;
    assert_eq!(alerts.len(), 3, "one message per finding: {alerts:#?}");
    let want: BTreeSet<(String, String)> = [
        (ROOT_EVENT, "cis-4.3-root-account-usage"),
        (DENIED_EVENTS[0], "cis-4.1-unauthorized-api-calls"),
        (DENIED_EVENTS[1], "cis-4.1-unauthorized-api-calls"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_owned(), b.to_owned()))
    .collect();
    assert_eq!(alert_ids(&alerts), want);
    for a in &alerts {
        assert_eq!(a["TopicArn"], topic_arn);
        let body: Value = serde_json::from_str(a["Message"].as_str().unwrap()).unwrap();
        assert_eq!(body["bucket"], bucket);
        assert_eq!(body["key"], SAMPLE_KEY);
    }

    // The SMS filter passes exactly the alerts at or above sms_min_severity: the root login (high), not the
    // denied calls (medium).
    let allowed = &sms_filter_policy(SMS_MIN_SEVERITY)["severity"];
    let expect_sms: BTreeSet<(String, String)> = alerts
        .iter()
        .filter(|a| {
            allowed
                .as_array()
                .unwrap()
                .contains(&a["MessageAttributes"]["severity"]["Value"])
        })
        .map(|a| alert_ids(std::slice::from_ref(a)).pop_first().unwrap())
        .collect();
    assert_eq!(
        expect_sms,
        BTreeSet::from([(
            ROOT_EVENT.to_owned(),
            "cis-4.3-root-account-usage".to_owned()
        )])
    );
    assert_eq!(alert_ids(&drain_queue(&sqs, &sms_inbox).await), expect_sms);

    // 4. Destroy, then check what it removed and reset moto.
    tf.run(&["destroy", "-input=false", "-no-color", "-auto-approve"])
        .await;
    watchers::assert_destroyed(&sdk, &out).await;
    let buckets = s3.list_buckets().send().await.unwrap();
    assert!(
        buckets.buckets().iter().all(|b| b.name() != Some(bucket)),
        "the log bucket is gone (bucket_force_destroy = true)"
    );
    let topics = sns.list_topics().send().await.unwrap();
    assert!(topics
        .topics()
        .iter()
        .all(|t| t.topic_arn() != Some(topic_arn)));
    assert!(lambda
        .get_function()
        .function_name(function_name)
        .send()
        .await
        .is_err());
    assert!(sqs
        .get_queue_url()
        .queue_name(format!("{function_name}-dlq"))
        .send()
        .await
        .is_err());
    // moto keeps the trail (DeleteTrail by ARN is ignored): the reset removes it.
    moto.reset().expect("moto reset");
    let trails = cloudtrail.describe_trails().send().await.unwrap();
    assert!(trails.trail_list().is_empty(), "{trails:?}");
}
