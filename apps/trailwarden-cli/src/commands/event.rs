//! `trailwarden event s3 --bucket B --key K`: an S3 ObjectCreated:Put notification, shaped like
//! `events/s3-put.json`, for `cargo lambda invoke --data-ascii` (replay any real log file through the local
//! function).

use crate::cli::EventS3Args;
use crate::window::Bound;
use anyhow::Context;
use cloudtrail::encode_s3_key;
use serde::Serialize;
use std::io::{self, Write};
use std::process::ExitCode;

pub fn s3(args: EventS3Args) -> anyhow::Result<ExitCode> {
    let time = match args.time {
        Some(Bound::Instant(t)) => t,
        Some(Bound::Day(d)) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
        None => chrono::Utc::now(),
    };
    let event = notification(&args, &time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
    let mut out = io::stdout().lock();
    let written = serde_json::to_writer_pretty(&mut out, &event)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing the event to stdout failed"),
    }
}

#[derive(Serialize)]
struct Notification {
    #[serde(rename = "Records")]
    records: [EventRecord; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventRecord {
    event_version: &'static str,
    event_source: &'static str,
    aws_region: String,
    event_time: String,
    event_name: &'static str,
    user_identity: Principal,
    request_parameters: RequestParameters,
    response_elements: ResponseElements,
    s3: S3Entity,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Principal {
    principal_id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestParameters {
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: &'static str,
}

#[derive(Serialize)]
struct ResponseElements {
    #[serde(rename = "x-amz-request-id")]
    request_id: String,
    #[serde(rename = "x-amz-id-2")]
    id_2: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct S3Entity {
    s3_schema_version: &'static str,
    configuration_id: &'static str,
    bucket: Bucket,
    object: Object,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bucket {
    name: String,
    owner_identity: Principal,
    arn: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object {
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    size: Option<u64>,
    e_tag: &'static str,
    sequencer: String,
}

fn notification(args: &EventS3Args, event_time: &str) -> Notification {
    // Stable, made-up identifiers derived from the key, so the same command prints the same event.
    let digest = args.key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    Notification {
        records: [EventRecord {
            event_version: "2.1",
            event_source: "aws:s3",
            aws_region: args.region.clone(),
            event_time: event_time.to_owned(),
            event_name: "ObjectCreated:Put",
            user_identity: Principal {
                principal_id: "AWS:AROAEXAMPLECLOUDTRAIL:regionalDeliverySession",
            },
            request_parameters: RequestParameters {
                source_ip_address: "203.0.113.10",
            },
            response_elements: ResponseElements {
                request_id: format!("{:016X}", digest),
                id_2: "trailwarden/replay",
            },
            s3: S3Entity {
                s3_schema_version: "1.0",
                configuration_id: "trailwarden",
                bucket: Bucket {
                    name: args.bucket.clone(),
                    owner_identity: Principal {
                        principal_id: "A3NL1KOZZKExample",
                    },
                    arn: format!("arn:aws:s3:::{}", args.bucket),
                },
                object: Object {
                    key: encode_s3_key(&args.key),
                    size: args.size,
                    e_tag: "00000000000000000000000000000000",
                    sequencer: format!("{:016X}", digest),
                },
            },
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn keys_are_encoded_as_s3_does_and_decode_back() {
        assert_eq!(encode_s3_key("my logs+x/a:b"), "my+logs%2Bx/a%3Ab");
        assert_eq!(
            encode_s3_key("audit logs+2024:prod/AWSLogs/1/x.json.gz"),
            "audit+logs%2B2024%3Aprod/AWSLogs/1/x.json.gz"
        );
        for key in [
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/f.json.gz",
            "a b  c/d+e%f&g=h?i#j/é/🙂/~*-_.",
            " leading and trailing ",
            "",
        ] {
            assert_eq!(
                cloudtrail::decode_s3_key(&encode_s3_key(key)).unwrap(),
                key,
                "{key:?}"
            );
        }
    }

    #[test]
    fn has_the_shape_of_the_sample_event() {
        let args = EventS3Args {
            bucket: "trailwarden-demo-logs".into(),
            key: "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/111122223333_CloudTrail_us-east-1_20240115T1210Z_SamPLe0123456789.json.gz".into(),
            size: Some(1148),
            region: "us-east-1".into(),
            time: None,
        };
        let got = serde_json::to_value(notification(&args, "2024-01-15T12:10:05.123Z")).unwrap();
        let sample: Value =
            serde_json::from_str(include_str!("../../../../events/s3-put.json")).unwrap();
        /// The paths of every leaf, to compare shapes.
        fn paths(v: &Value, at: String, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => m
                    .iter()
                    .for_each(|(k, v)| paths(v, format!("{at}/{k}"), out)),
                Value::Array(a) => a.iter().for_each(|v| paths(v, format!("{at}/[]"), out)),
                _ => out.push(at),
            }
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        paths(&got, String::new(), &mut a);
        paths(&sample, String::new(), &mut b);
        a.sort();
        b.sort();
        assert_eq!(a, b);
        let r = &got["Records"][0];
        assert_eq!(
            r["s3"]["object"]["key"],
            sample["Records"][0]["s3"]["object"]["key"]
        );
        assert_eq!(r["s3"]["bucket"]["name"], "trailwarden-demo-logs");
        assert_eq!(r["s3"]["object"]["size"], 1148);
        assert_eq!(r["eventName"], "ObjectCreated:Put");
        let no_size = EventS3Args { size: None, ..args };
        let v = serde_json::to_value(notification(&no_size, "t")).unwrap();
        assert!(v["Records"][0]["s3"]["object"].get("size").is_none());
    }
}
