//! Hostile log files at the reader's level, written as an attacker who controls some field of a record would:
//! each case is followed by a `StopLogging` record that must come out parsed, and every record that cannot be
//! evaluated must come out as a record error with what could be recovered, never be skipped in silence.

use cloudtrail::reader::DECODED_BUFFER_BYTES;
use cloudtrail::{
    Dom, LogReader, ReadError, ReaderOptions, RecordError, Recovered, DEFAULT_MAX_RECORD_BYTES,
};
use flate2::write::GzEncoder;
use std::io::{self, Read, Write};

const STOP_LOGGING: &str = r#"{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory"},"eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","requestParameters":{"name":"main"},"eventID":"stop-1"}"#;

/// What the reader made of one record.
#[derive(Debug)]
enum Got {
    Parsed(serde_json::Value),
    Failed {
        reason: &'static str,
        error: String,
        recovered: Recovered,
        prefix: usize,
    },
}

impl Got {
    fn event_name(&self) -> Option<String> {
        match self {
            Got::Parsed(v) => v["eventName"].as_str().map(str::to_owned),
            Got::Failed { .. } => None,
        }
    }
}

/// Reads a whole file with `next_parsed`: every record, and the file-level error if any. Also returns the
/// largest [`LogReader::buffered_capacity`] seen.
fn read(input: impl Read + Send, options: ReaderOptions) -> (Vec<Got>, Option<ReadError>, usize) {
    let mut r = LogReader::new(input, options).unwrap();
    let mut dom = Dom::new();
    let mut out = Vec::new();
    let mut peak = r.buffered_capacity();
    loop {
        let next = r.next_parsed(&mut dom);
        let got = match next {
            Ok(Some(rec)) => match rec.parsed {
                Ok(root) => {
                    assert!(rec.recovered.is_none());
                    Got::Parsed(root.to_value())
                }
                Err(e) => Got::Failed {
                    reason: e.reason(),
                    error: e.to_string(),
                    recovered: rec
                        .recovered
                        .expect("a failed record has its recovered fields"),
                    prefix: rec.raw.bytes.len(),
                },
            },
            Ok(None) => return (out, None, peak),
            Err(e) => return (out, Some(e), peak),
        };
        out.push(got);
        peak = peak.max(r.buffered_capacity());
    }
}

fn file(records: &[&[u8]]) -> Vec<u8> {
    let mut text = br#"{"Records":["#.to_vec();
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        text.extend_from_slice(r);
    }
    text.extend_from_slice(b"]}");
    text
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Reads `records` then a `StopLogging`, plain and gzipped; checks the `StopLogging` came out parsed.
fn then_stop_logging(records: &[&[u8]]) -> Vec<Got> {
    let mut all = records.to_vec();
    all.push(STOP_LOGGING.as_bytes());
    let text = file(&all);
    let (plain, err, _) = read(&text[..], ReaderOptions::default());
    assert!(err.is_none(), "{err:?}");
    let (zipped, err, _) = read(&gz(&text)[..], ReaderOptions::default());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(format!("{plain:?}"), format!("{zipped:?}"));
    assert_eq!(plain.len(), all.len(), "one result per record: {plain:?}");
    assert_eq!(
        plain.last().and_then(Got::event_name).as_deref(),
        Some("StopLogging")
    );
    plain
}

#[test]
fn lone_surrogates_in_attacker_fields_are_read_as_replacement_characters() {
    let record = br#"{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","userAgent":"aws-cli\ud800/2","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/sess\udc00ion","sessionContext":{"sessionIssuer":{"userName":"\udbff"}}},"requestParameters":{"bucketName":"b\ud83d","key\ud800":"\ud800\u0041"},"eventID":"s-1"}"#;
    let got = then_stop_logging(&[record]);
    let Got::Parsed(v) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(v["eventName"], "StopLogging");
    assert_eq!(v["userAgent"], "aws-cli\u{fffd}/2");
    assert_eq!(
        v["userIdentity"]["arn"],
        "arn:aws:sts::1:assumed-role/r/sess\u{fffd}ion"
    );
    assert_eq!(
        v["userIdentity"]["sessionContext"]["sessionIssuer"]["userName"],
        "\u{fffd}"
    );
    assert_eq!(v["requestParameters"]["bucketName"], "b\u{fffd}");
    assert_eq!(v["requestParameters"]["key\u{fffd}"], "\u{fffd}A");
}

#[test]
fn bytes_that_are_not_utf8_are_read_as_replacement_characters() {
    let record = b"{\"eventName\":\"StopLogging\",\"userAgent\":\"curl\xff\xfe/8\xc3\",\"requestParameters\":{\"bucketName\":\"b\x80\\n\"},\"eventID\":\"s-2\"}";
    let got = then_stop_logging(&[record]);
    let Got::Parsed(v) = &got[0] else {
        panic!("{got:?}")
    };
    assert_eq!(v["eventName"], "StopLogging");
    assert_eq!(v["userAgent"], "curl\u{fffd}\u{fffd}/8\u{fffd}");
    assert_eq!(v["requestParameters"]["bucketName"], "b\u{fffd}\n");
}

#[test]
fn nesting_over_the_limit_is_a_record_error_with_the_recovered_fields() {
    let deep = format!(
        r#"{{"eventName":"PutBucketPolicy","userIdentity":{{"arn":"arn:aws:iam::1:user/m"}},"requestParameters":{}1{},"eventSource":"s3.amazonaws.com","eventID":"d-1"}}"#,
        "[".repeat(1000),
        "]".repeat(1000)
    );
    let got = then_stop_logging(&[deep.as_bytes()]);
    match &got[0] {
        Got::Failed {
            reason, recovered, ..
        } => {
            assert_eq!(*reason, "too_deep");
            assert_eq!(
                recovered,
                &Recovered {
                    event_name: Some("PutBucketPolicy".into()),
                    event_source: Some("s3.amazonaws.com".into()),
                    event_id: Some("d-1".into()),
                    user_arn: Some("arn:aws:iam::1:user/m".into()),
                }
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn broken_structure_is_a_syntax_error_with_the_recovered_fields() {
    let got = then_stop_logging(&[br#"{"eventName":"DeleteTrail","eventID":"x-1","a":tru}"#]);
    match &got[0] {
        Got::Failed {
            reason,
            recovered,
            error,
            ..
        } => {
            assert_eq!(*reason, "syntax", "{error}");
            assert!(error.starts_with("not valid JSON: "), "{error}");
            assert_eq!(recovered.event_name.as_deref(), Some("DeleteTrail"));
            assert_eq!(recovered.event_id.as_deref(), Some("x-1"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_object_members_come_out_as_values_for_the_caller_to_check() {
    let got = then_stop_logging(&[b"17", br#""StopLogging""#, b"[1,2]", b"null", b"{}"]);
    let values: Vec<String> = got
        .iter()
        .map(|g| match g {
            Got::Parsed(v) => v.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        values[..5],
        ["17", "\"StopLogging\"", "[1,2]", "null", "{}"]
    );
}

#[test]
fn a_record_cut_mid_string_at_the_end_of_the_file_is_a_file_error_after_the_records_before_it() {
    let text = format!(r#"{{"Records":[{STOP_LOGGING},{{"eventName":"CreateUser","userAgent":"ab"#);
    for bytes in [text.as_bytes().to_vec(), gz(text.as_bytes())] {
        let (got, err, _) = read(&bytes[..], ReaderOptions::default());
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].event_name().as_deref(), Some("StopLogging"));
        assert!(
            matches!(
                err,
                Some(ReadError::Truncated { .. } | ReadError::Decompress { .. })
            ),
            "{err:?}"
        );
    }
}

#[test]
fn a_hundred_thousand_keys_sharing_a_prefix() {
    let mut record = String::from(r#"{"eventName":"StopLogging""#);
    for i in 0..100_000 {
        record.push_str(&format!(r#","sharedprefix-sharedprefix-{i:06}":{i}"#));
    }
    record.push('}');
    // Over the default cap (3.5 MB): an oversized record with its fields, and the next one is read.
    let got = then_stop_logging(&[record.as_bytes()]);
    assert!(
        matches!(&got[0], Got::Failed { reason: "oversized", recovered, .. } if recovered.event_name.as_deref() == Some("StopLogging")),
        "{got:?}"
    );
    // Under a larger cap it is evaluated like any record (the index stays linear: see dom.rs's tests).
    let options = ReaderOptions {
        max_record_bytes: Some(8 << 20),
        ..Default::default()
    };
    let (got, err, _) = read(&file(&[record.as_bytes()])[..], options);
    assert!(err.is_none());
    let Got::Parsed(v) = &got[0] else { panic!() };
    assert_eq!(v["sharedprefix-sharedprefix-099999"], 99999);
}

#[test]
fn records_over_a_small_cap_are_skipped_on_either_path() {
    // With a cap below the decoded-text buffer, an oversized record can lie whole in the buffer (in place)
    // or cross its end (copying path); both are reported the same way.
    let big = format!(
        r#"{{"eventName":"Big","pad":"{}","eventID":"after"}}"#,
        "z".repeat(5000)
    );
    let small = r#"{"eventName":"Small"}"#;
    let options = ReaderOptions {
        max_record_bytes: Some(1000),
        ..Default::default()
    };
    for pad in [0, DECODED_BUFFER_BYTES - 3000, DECODED_BUFFER_BYTES - 30] {
        let text = format!(
            r#"{{"pad":"{}","Records":[{big},{small},{big}]}}"#,
            "x".repeat(pad)
        );
        let (got, err, _) = read(text.as_bytes(), options);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got.len(), 3);
        for g in [&got[0], &got[2]] {
            match g {
                Got::Failed {
                    reason,
                    recovered,
                    error,
                    prefix,
                } => {
                    assert_eq!(*reason, "oversized");
                    assert_eq!(
                        error,
                        &format!(
                            "{} bytes, over the per-record limit of 1000 bytes",
                            big.len()
                        )
                    );
                    assert_eq!(recovered.event_name.as_deref(), Some("Big"));
                    assert_eq!(recovered.event_id.as_deref(), Some("after"));
                    assert!(*prefix <= 1000, "{prefix}");
                }
                other => panic!("pad {pad}: {other:?}"),
            }
        }
        assert_eq!(got[1].event_name().as_deref(), Some("Small"));
    }
    // `next_record` marks it too.
    let text = format!(r#"{{"Records":[{big},{small}]}}"#);
    let mut r = LogReader::new(text.as_bytes(), options).unwrap();
    let first = r.next_record().unwrap().unwrap();
    assert_eq!(first.oversized, Some(big.len() as u64));
    assert!(big.as_bytes().starts_with(first.bytes) && first.bytes.len() <= 1000);
    let second = r.next_record().unwrap().unwrap();
    assert_eq!((second.oversized, second.bytes), (None, small.as_bytes()));
}

/// `{"Records":[{"eventName":"X","requestParameters":{"a":"` + `size` bytes of `a` + `"}},"eventID":"big"},`
/// + a `StopLogging` record + `]}`, produced as it is read: never in memory.
struct HugeRecordFile {
    head: Vec<u8>,
    tail: Vec<u8>,
    size: u64,
    at: u64,
}

impl HugeRecordFile {
    fn new(size: u64) -> Self {
        HugeRecordFile {
            head: br#"{"Records":[{"eventName":"X","userIdentity":{"arn":"arn:aws:iam::1:user/m"},"requestParameters":{"a":""#.to_vec(),
            tail: format!(r#""}},"eventID":"big"}},{STOP_LOGGING}]}}"#).into_bytes(),
            size,
            at: 0,
        }
    }
}

impl Read for HugeRecordFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (head, size) = (self.head.len() as u64, self.size);
        let mut n = 0;
        while n < buf.len() {
            let at = self.at;
            let (from, len): (&[u8], u64) = if at < head {
                (&self.head[at as usize..], head - at)
            } else if at < head + size {
                (&[], head + size - at)
            } else if let Some(rest) = self.tail.get((at - head - size) as usize..) {
                (rest, rest.len() as u64)
            } else {
                break;
            };
            if len == 0 {
                break;
            }
            let take = (len.min((buf.len() - n) as u64)) as usize;
            if from.is_empty() {
                buf[n..n + take].fill(b'a');
            } else {
                buf[n..n + take].copy_from_slice(&from[..take]);
            }
            n += take;
            self.at += take as u64;
        }
        Ok(n)
    }
}

#[test]
fn a_300_mb_record_is_streamed_past_in_bounded_memory_and_the_next_record_is_read() {
    let size = 300 << 20;
    let (got, err, peak) = read(HugeRecordFile::new(size), ReaderOptions::default());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 2, "{got:?}");
    match &got[0] {
        Got::Failed {
            reason,
            recovered,
            prefix,
            ..
        } => {
            assert_eq!(*reason, "oversized");
            // Fields before and after the huge member.
            assert_eq!(
                recovered,
                &Recovered {
                    event_name: Some("X".into()),
                    event_source: None,
                    event_id: Some("big".into()),
                    user_arn: Some("arn:aws:iam::1:user/m".into()),
                }
            );
            assert!(*prefix <= 4096);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(got[1].event_name().as_deref(), Some("StopLogging"));
    // The reader's buffers never held more than the decoded-text buffer, the gzip input buffer (64 KiB, unused
    // here) and one record up to the cap.
    let bound = DECODED_BUFFER_BYTES + 64 * 1024 + DEFAULT_MAX_RECORD_BYTES;
    assert!(peak <= bound, "peak {peak} > {bound}");
    // The error names the size.
    let Got::Failed { error, .. } = &got[0] else {
        unreachable!()
    };
    let whole = HugeRecordFile::new(size);
    let record_len =
        (whole.head.len() - r#"{"Records":["#.len() + r#""},"eventID":"big"}"#.len()) as u64 + size;
    assert_eq!(
        error,
        &format!(
            "{record_len} bytes, over the per-record limit of {DEFAULT_MAX_RECORD_BYTES} bytes"
        )
    );
}

#[test]
fn record_error_reasons_are_stable_names() {
    let cases = [
        (
            RecordError::Syntax(cloudtrail::DomError {
                offset: 1,
                reason: "expected a value",
            }),
            "syntax",
        ),
        (RecordError::TooDeep { limit: 128 }, "too_deep"),
        (RecordError::Oversized { bytes: 2, limit: 1 }, "oversized"),
    ];
    for (e, reason) in cases {
        assert_eq!(e.reason(), reason, "{e}");
    }
}
