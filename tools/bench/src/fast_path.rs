//! The fast path's own added latency (`make bench`, "Fast path"): one CloudTrail record from EventBridge,
//! delivered as an SQS batch of one message, from the moment the handler receives it (`handle_event`) to SNS
//! accepting its alerts, warm, against a local moto_server (SNS, and DynamoDB for the dedup table).
//!
//! Each event is a distinct root console sign-in (its own `eventID`, so its own finding ids: the dedup table
//! never holds one back), handled with the dedup table on and off, alternately, so that moto's growing state
//! weighs on both alike. Then the dedup table's calls alone (`BatchGetItem` of the findings' ids, and
//! `BatchWriteItem` of one id and of one event's ids, each mark with its KMS `GenerateMac`) through the
//! function's own adapter. The dedup marks' HMAC key (`DEDUP_MAC_KEY_ID`) is created on moto too.
//!
//! The figures are the function's work plus moto's over loopback, not AWS's network: they bound what the
//! function adds, the round trips to SNS and DynamoDB in a region cost what AWS says they cost.

use alerter::{
    build_deps, handle_event, kms_client, Config, Dedup, DynamoDbMarks, KmsMac, MacDedup, Response,
};
use anyhow::{bail, ensure, Context as _};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use lambda_runtime::{Context, LambdaEvent};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::Write as _;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The dedup table's name on moto (the schema is the contract's: hash key `finding_id` (S)).
pub const TABLE: &str = "trailwarden-bench-dedup";
/// The day the rules are compiled for (as the other measurements).
const TODAY: &str = crate::measure::TODAY;

#[derive(Debug, Clone)]
pub struct Opts {
    /// Measured events per mode (dedup on, dedup off), each a distinct record.
    pub events: usize,
    /// Events per mode handled first and not counted (connections opened, caches warm).
    pub warmup: usize,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            events: 500,
            warmup: 50,
        }
    }
}

/// Latency percentiles of one measurement, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub mean_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
}

impl Latency {
    /// Nearest-rank percentiles of `samples` (which must not be empty).
    pub fn of(samples: &[Duration]) -> Latency {
        let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let rank = |p: f64| {
            let i = ((p / 100.0) * ms.len() as f64).ceil() as usize;
            ms[i.clamp(1, ms.len()) - 1]
        };
        Latency {
            samples: ms.len(),
            p50_ms: rank(50.0),
            p99_ms: rank(99.0),
            mean_ms: ms.iter().sum::<f64>() / ms.len() as f64,
            min_ms: ms[0],
            max_ms: ms[ms.len() - 1],
        }
    }
}

/// What `trailwarden-bench fast-path` reports (also written as JSON).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub events: usize,
    pub warmup: usize,
    /// Alerts one event publishes (findings of the default rules on a root console sign-in).
    pub findings_per_event: usize,
    /// handle_event, SQS batch of one message, receipt to SNS accepting the alerts: dedup table off.
    pub dedup_off: Latency,
    /// The same with the dedup table (BatchGetItem before publishing, BatchWriteItem after SNS accepted).
    pub dedup_on: Latency,
    /// BatchGetItem of one event's finding ids alone (the adapter's `seen`).
    pub dedup_read: Latency,
    /// BatchWriteItem of one event's finding ids alone (the adapter's `mark`).
    pub dedup_write: Latency,
    /// BatchWriteItem of a single finding id alone.
    pub dedup_write_one: Latency,
    /// dedup_on.p50 - dedup_off.p50.
    pub dedup_added_p50_ms: f64,
    /// dedup_added_p50_ms / findings_per_event.
    pub dedup_added_per_finding_p50_ms: f64,
    /// dedup_read.p50 + dedup_write.p50: the table's two calls of one event, alone.
    pub dedup_calls_p50_ms: f64,
}

/// A root console sign-in (the sample log file's), made distinct by `n`.
pub fn root_sign_in(n: usize) -> Value {
    json!({
        "eventVersion": "1.09", "eventTime": "2024-01-15T12:01:00Z", "awsRegion": "us-east-1",
        "eventID": format!("b0000000-0000-4000-8000-{n:012}"), "requestID": format!("bench-{n}"),
        "readOnly": false, "eventType": "AwsConsoleSignIn", "managementEvent": true,
        "recipientAccountId": "111122223333", "eventCategory": "Management",
        "sourceIPAddress": "198.51.100.23", "userAgent": "Mozilla/5.0 (X11; Linux x86_64)",
        "userIdentity": {"type": "Root", "principalId": "111122223333",
                         "arn": "arn:aws:iam::111122223333:root", "accountId": "111122223333"},
        "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "requestParameters": null,
        "responseElements": {"ConsoleLogin": "Success"},
        "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home",
                                "MobileVersion": "No", "MFAUsed": "No"}
    })
}

/// The SQS event an event source mapping hands the function for one EventBridge event carrying `record`
/// (the body is the whole EventBridge event, as EventBridge delivers it to SQS).
pub fn sqs_batch_of_one(record: &Value, n: usize) -> Value {
    let event = json!({
        "version": "0", "id": format!("e0000000-0000-4000-8000-{n:012}"),
        "detail-type": "AWS Console Sign In via CloudTrail", "source": "aws.signin",
        "account": "111122223333", "time": record["eventTime"], "region": "us-east-1",
        "resources": [], "detail": record,
    });
    json!({"Records": [{
        "messageId": format!("m0000000-0000-4000-8000-{n:012}"),
        "receiptHandle": format!("bench-{n}"),
        "body": event.to_string(),
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1705320062000"},
        "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:111122223333:trailwarden-fast-path",
        "awsRegion": "us-east-1"
    }]})
}

/// Starts moto_server (stopped by PID when done, also on failure) and measures.
pub fn run(opts: &Opts) -> anyhow::Result<Report> {
    let moto = test_support::MotoServer::start().context("starting moto_server (make tools)")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(&moto.endpoint(), opts))
}

/// Stdout sent to /dev/null while alive (the handler prints its EMF metric lines there, one per invocation),
/// restored when dropped.
struct QuietStdout {
    saved: OwnedFd,
}

impl QuietStdout {
    fn new() -> anyhow::Result<QuietStdout> {
        std::io::stdout().flush()?;
        let saved = nix::unistd::dup(std::io::stdout())?;
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
        nix::unistd::dup2_stdout(&null)?;
        Ok(QuietStdout { saved })
    }
}

impl Drop for QuietStdout {
    fn drop(&mut self) {
        let _ = std::io::stdout().flush();
        let _ = nix::unistd::dup2_stdout(&self.saved);
    }
}

/// The measurement against the emulator at `endpoint` (its resources are created here).
pub async fn measure(endpoint: &str, opts: &Opts) -> anyhow::Result<Report> {
    ensure!(opts.events > 0, "--events must be at least 1");
    let sdk = test_support::sdk_config(endpoint).await;
    let topic_arn = alerter::sns_client(&sdk)
        .create_topic()
        .name("trailwarden-bench-alerts")
        .send()
        .await?
        .topic_arn
        .context("CreateTopic returned no ARN")?;
    let dynamodb = trailwarden_aws::dynamodb_client(&sdk);
    create_table(&dynamodb).await?;
    let mac_key = kms_client(&sdk)
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Hmac256)
        .key_usage(aws_sdk_kms::types::KeyUsageType::GenerateVerifyMac)
        .send()
        .await?
        .key_metadata
        .and_then(|k| k.arn)
        .context("CreateKey returned no ARN")?;

    // The production dependencies (build_deps), with and without the dedup table.
    let on = build_deps(
        Config {
            dedup_table: Some(TABLE.to_owned()),
            dedup_mac_key_id: Some(mac_key.clone()),
            ..Config::new(topic_arn.clone())
        },
        &sdk,
        TODAY,
    )
    .await?
    .deps;
    ensure!(on.dedup.is_some(), "DEDUP_TABLE set but no dedup table");
    let off = build_deps(Config::new(topic_arn.clone()), &sdk, TODAY)
        .await?
        .deps;
    ensure!(off.dedup.is_none());

    let findings_per_event = on
        .engine
        .matching(cloudtrail::Parsed::new(root_sign_in(0).to_string().as_bytes())?.root())
        .filter(|(rule, _)| rule.threshold().is_none())
        .count();
    ensure!(
        findings_per_event > 0,
        "the default rules find nothing in a root sign-in"
    );

    let quiet = QuietStdout::new()?;
    let mut times_on = Vec::with_capacity(opts.events);
    let mut times_off = Vec::with_capacity(opts.events);
    let mut n = 0;
    for i in 0..opts.warmup + opts.events {
        for dedup in [true, false] {
            n += 1;
            let batch = sqs_batch_of_one(&root_sign_in(n), n);
            let event = LambdaEvent::new(batch, Context::default());
            let started = Instant::now();
            let response = if dedup {
                handle_event(event, &on).await
            } else {
                handle_event(event, &off).await
            };
            let took = started.elapsed();
            let response = response.map_err(|e| anyhow::anyhow!("event {n}: {e}"))?;
            check(&response, findings_per_event, n)?;
            if i >= opts.warmup {
                if dedup {
                    times_on.push(took);
                } else {
                    times_off.push(took);
                }
            }
        }
    }
    drop(quiet);

    // The dedup table's calls alone, through the function's adapter (fresh ids each time).
    let table = MacDedup::new(
        Arc::new(DynamoDbMarks::new(dynamodb, TABLE)),
        Arc::new(KmsMac::new(kms_client(&sdk), mac_key)),
        Config::new("").dedup_ttl,
    );
    let mut read = Vec::with_capacity(opts.events);
    let mut write = Vec::with_capacity(opts.events);
    let mut write_one = Vec::with_capacity(opts.events);
    for i in 0..opts.warmup + opts.events {
        let ids: Vec<String> = (0..findings_per_event)
            .map(|k| format!("bench-{i}-{k}"))
            .collect();
        let started = Instant::now();
        let seen = table.seen(&ids).await?;
        let t_read = started.elapsed();
        ensure!(
            seen.published.is_empty() && seen.unauthenticated.is_empty(),
            "fresh ids were found in the table"
        );
        let started = Instant::now();
        table.mark(&ids).await?;
        let t_write = started.elapsed();
        let one = [format!("bench-one-{i}")];
        let started = Instant::now();
        table.mark(&one).await?;
        let t_one = started.elapsed();
        if i >= opts.warmup {
            read.push(t_read);
            write.push(t_write);
            write_one.push(t_one);
        }
    }
    let last = [format!("bench-{}-0", opts.warmup + opts.events - 1)];
    ensure!(
        table.seen(&last).await?.published.len() == 1,
        "a marked id was not found in the table"
    );

    let dedup_on = Latency::of(&times_on);
    let dedup_off = Latency::of(&times_off);
    let added = dedup_on.p50_ms - dedup_off.p50_ms;
    Ok(Report {
        events: opts.events,
        warmup: opts.warmup,
        findings_per_event,
        dedup_added_p50_ms: added,
        dedup_added_per_finding_p50_ms: added / findings_per_event as f64,
        dedup_calls_p50_ms: Latency::of(&read).p50_ms + Latency::of(&write).p50_ms,
        dedup_on,
        dedup_off,
        dedup_read: Latency::of(&read),
        dedup_write: Latency::of(&write),
        dedup_write_one: Latency::of(&write_one),
    })
}

/// Every event must have been evaluated and every alert accepted: a measurement of a failing path is no figure.
fn check(response: &Response, findings: usize, n: usize) -> anyhow::Result<()> {
    let Response::Batch {
        failed,
        report: summary,
    } = response
    else {
        bail!("event {n}: an SQS batch answered without batchItemFailures");
    };
    ensure!(failed.is_empty(), "event {n}: batchItemFailures {failed:?}");
    ensure!(
        summary.eventbridge_records == 1
            && summary.published == findings as u64
            && summary.deduplicated == 0
            && summary.dedup_unavailable == 0
            && summary.dedup_mark_unauthenticated == 0,
        "event {n}: expected {findings} alerts published, got {summary:?}"
    );
    Ok(())
}

async fn create_table(dynamodb: &aws_sdk_dynamodb::Client) -> anyhow::Result<()> {
    dynamodb
        .create_table()
        .table_name(TABLE)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(alerter::adapters::dedup::KEY)
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(alerter::adapters::dedup::KEY)
                .key_type(KeyType::Hash)
                .build()?,
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await?;
    Ok(())
}

/// The report's Markdown section (what `make bench` prints).
pub fn markdown(r: &Report) -> String {
    let row = |name: &str, l: &Latency| {
        format!(
            "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |\n",
            l.p50_ms, l.p99_ms, l.mean_ms, l.min_ms, l.max_ms
        )
    };
    let mut s = String::new();
    s.push_str("## Fast path\n\n");
    s.push_str(&format!(
        "The function's own added latency for one EventBridge event (an SQS batch of one message, a distinct root \
         console sign-in each, {} alert(s) per event): handle_event from receipt to SNS accepting the alerts, warm \
         ({} events per mode after {} not counted), against a local moto_server over loopback (the function's \
         work and moto's, not AWS's network). Milliseconds.\n\n",
        r.findings_per_event, r.events, r.warmup
    ));
    s.push_str("| measurement | p50 | p99 | mean | min | max |\n|---|---:|---:|---:|---:|---:|\n");
    s.push_str(&row("event, dedup off", &r.dedup_off));
    s.push_str(&row("event, dedup on", &r.dedup_on));
    s.push_str(&row(
        &format!("BatchGetItem alone ({} ids)", r.findings_per_event),
        &r.dedup_read,
    ));
    s.push_str(&row(
        &format!(
            "BatchWriteItem alone ({} ids, each with its GenerateMac)",
            r.findings_per_event
        ),
        &r.dedup_write,
    ));
    s.push_str(&row(
        "BatchWriteItem alone (1 id, with its GenerateMac)",
        &r.dedup_write_one,
    ));
    s.push_str(&format!(
        "\nThe dedup table adds {:.2} ms per event at p50 ({:.2} ms per finding). Its two calls alone (BatchGetItem \
         before publishing, BatchWriteItem after) take {:.2} ms at p50; the rest is that with the table on the \
         function hands each alert to SNS in its own Publish call (concurrently, so that exactly the accepted ones \
         are marked) instead of one PublishBatch.\n",
        r.dedup_added_p50_ms, r.dedup_added_per_finding_p50_ms, r.dedup_calls_p50_ms
    ));
    s
}
