//! The streaming reader against good files, every kind of bad input, and the real corpus in `../shared`.

use cloudtrail::{Dom, LogReader, ReadError, ReaderOptions, Record};
use flate2::write::GzEncoder;
use flate2::Compression;
use std::io::{self, Read, Write};

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Reads everything: the raw texts of the records, or the first file-level error.
fn read_all(bytes: &[u8], options: ReaderOptions) -> Result<Vec<String>, ReadError> {
    let mut r = LogReader::new(bytes, options)?;
    let mut out = Vec::new();
    while let Some(rec) = r.next_record()? {
        out.push(String::from_utf8_lossy(rec.bytes).into_owned());
    }
    Ok(out)
}

const TWO: &str = r#"{"Records":[{"eventName":"A","x":"}]\"{["},
  {"eventName":"B","n":[1,{"k":[]}]}]}"#;

#[test]
fn plain_and_gzip_give_the_same_records_verbatim() {
    let plain = read_all(TWO.as_bytes(), Default::default()).unwrap();
    assert_eq!(
        plain,
        [
            r#"{"eventName":"A","x":"}]\"{["}"#,
            r#"{"eventName":"B","n":[1,{"k":[]}]}"#
        ]
    );
    assert_eq!(
        read_all(&gz(TWO.as_bytes()), Default::default()).unwrap(),
        plain
    );
}

#[test]
fn multi_member_gzip_is_read_to_the_end() {
    let (a, b) = TWO.split_at(40);
    let mut bytes = gz(a.as_bytes());
    bytes.extend(gz(b.as_bytes()));
    assert_eq!(read_all(&bytes, Default::default()).unwrap().len(), 2);
}

#[test]
fn other_top_level_keys_and_empty_records_are_fine() {
    let text = r#" {"meta":{"a":[1,2,"]"]},"Records":[],"n":3} "#;
    assert!(read_all(text.as_bytes(), Default::default())
        .unwrap()
        .is_empty());
    let bom = "\u{feff}{\"Records\":[{\"a\":1}]}";
    assert_eq!(
        read_all(bom.as_bytes(), Default::default()).unwrap().len(),
        1
    );
}

#[test]
fn record_positions_are_reported() {
    let mut r = LogReader::new(TWO.as_bytes(), Default::default()).unwrap();
    let first = r.next_record().unwrap().unwrap();
    assert_eq!((first.index, first.offset), (0, 12));
    let second = r.next_record().unwrap().unwrap();
    assert_eq!(second.index, 1);
    assert!(r.next_record().unwrap().is_none());
    assert!(r.next_record().unwrap().is_none(), "stays finished");
}

#[test]
fn a_malformed_record_does_not_hide_the_rest() {
    // The element is not a valid record; the reader hands it out and carries on. Callers count it.
    let text = r#"{"Records":[{"eventName":"A"},{"eventName": tru},17,{"eventName":"C"}]}"#;
    let recs = read_all(text.as_bytes(), Default::default()).unwrap();
    assert_eq!(recs.len(), 4);
    assert!(serde_json::from_str::<Record>(&recs[1]).is_err());
    assert!(serde_json::from_str::<Record>(&recs[2]).is_err());
    assert_eq!(
        serde_json::from_str::<Record>(&recs[3])
            .unwrap()
            .event_name
            .as_deref(),
        Some("C")
    );
}

#[test]
fn empty_object_is_a_named_error() {
    assert!(matches!(
        read_all(b"", Default::default()),
        Err(ReadError::Empty)
    ));
}

#[test]
fn not_gzip_nor_json_is_a_named_error() {
    let err = read_all(b"PK\x03\x04 a zip file", Default::default()).unwrap_err();
    assert!(matches!(err, ReadError::UnrecognizedFormat { .. }), "{err}");
    assert!(err.to_string().contains("50 4b 03 04"), "{err}");
}

#[test]
fn gzip_of_something_that_is_not_json_is_a_named_error() {
    let err = read_all(&gz(b"hello, world"), Default::default()).unwrap_err();
    assert!(matches!(err, ReadError::Json { offset: 0, .. }), "{err}");
}

#[test]
fn truncated_gzip_is_a_named_error() {
    let full = gz(TWO.as_bytes());
    for cut in [full.len() - 4, full.len() / 2, 12] {
        let err = read_all(&full[..cut], Default::default()).unwrap_err();
        assert!(
            matches!(err, ReadError::Decompress { .. }),
            "cut at {cut}: {err:?}"
        );
    }
}

#[test]
fn corrupt_gzip_is_a_named_error() {
    let mut bytes = gz(TWO.as_bytes());
    let n = bytes.len();
    for b in &mut bytes[12..n - 8] {
        *b ^= 0x5a;
    }
    let err = read_all(&bytes, Default::default()).unwrap_err();
    assert!(matches!(err, ReadError::Decompress { .. }), "{err:?}");
}

#[test]
fn truncated_plain_json_is_a_named_error() {
    for cut in [5, 14, 30, TWO.len() - 1] {
        let err = read_all(&TWO.as_bytes()[..cut], Default::default()).unwrap_err();
        assert!(
            matches!(err, ReadError::Truncated { .. }),
            "cut at {cut}: {err:?}"
        );
    }
}

#[test]
fn json_without_records_is_a_named_error() {
    // The shape of a CloudTrail digest file.
    let digest =
        r#"{"awsAccountId":"111122223333","digestStartTime":"2024-01-01T00:00:00Z","logFiles":[]}"#;
    let err = read_all(&gz(digest.as_bytes()), Default::default()).unwrap_err();
    assert!(matches!(err, ReadError::MissingRecords), "{err:?}");
    assert!(matches!(
        read_all(br#"{"Records":{"a":1}}"#, Default::default()),
        Err(ReadError::Json { .. })
    ));
    assert!(matches!(
        read_all(b"[1,2]", Default::default()),
        Err(ReadError::UnrecognizedFormat { .. })
    ));
}

#[test]
fn structural_errors_are_named() {
    for bad in [
        r#"{"Records":[{"a":1} {"b":2}]}"#,
        r#"{"Records":[{"a":1},]}"#,
        r#"{"Records":[]} trailing"#,
        r#"{"Records" [] }"#,
        r#"{Records:[]}"#,
    ] {
        let err = read_all(bad.as_bytes(), Default::default()).unwrap_err();
        assert!(matches!(err, ReadError::Json { .. }), "{bad}: {err:?}");
    }
}

#[test]
fn decompression_cap_is_a_named_error() {
    let big = format!(r#"{{"Records":[{{"pad":"{}"}}]}}"#, "x".repeat(1 << 20));
    let options = ReaderOptions {
        max_uncompressed_bytes: Some(64 * 1024),
        ..Default::default()
    };
    let err = read_all(&gz(big.as_bytes()), options).unwrap_err();
    assert!(
        matches!(err, ReadError::TooLarge { limit: 65536 }),
        "{err:?}"
    );
    assert_eq!(
        read_all(&gz(big.as_bytes()), Default::default())
            .unwrap()
            .len(),
        1
    );
}

/// Reads with `next_parsed` (the pipeline's path): each record's id, or the file-level error.
fn parse_all(bytes: &[u8], options: ReaderOptions) -> (Vec<String>, Option<ReadError>) {
    let mut r = LogReader::new(bytes, options).unwrap();
    let mut dom = Dom::new();
    let mut ids = Vec::new();
    loop {
        match r.next_parsed(&mut dom) {
            Ok(Some(rec)) => {
                let root = rec.parsed.expect("every record is valid here");
                ids.push(
                    root.get("id")
                        .and_then(|n| n.as_str())
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
            Ok(None) => return (ids, None),
            Err(e) => return (ids, Some(e)),
        }
    }
}

#[test]
fn in_place_parsing_keeps_the_cap_and_the_truncation_errors() {
    let records: Vec<String> = (0..5000)
        .map(|i| format!(r#"{{"id":"r{i}","pad":"{}"}}"#, "y".repeat(200)))
        .collect();
    let text = format!(r#"{{"Records":[{}]}}"#, records.join(","));
    let compressed = gz(text.as_bytes());
    // Whole: every record, in order.
    let (ids, err) = parse_all(&compressed, Default::default());
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ids.len(), 5000);
    assert_eq!(ids[4999], "r4999");
    // The decompression cap stops the file with its named error; what came before was complete.
    let capped = ReaderOptions {
        max_uncompressed_bytes: Some(256 * 1024),
        ..Default::default()
    };
    let (ids, err) = parse_all(&compressed, capped);
    assert!(
        matches!(err, Some(ReadError::TooLarge { limit: 262144 })),
        "{err:?}"
    );
    assert!(!ids.is_empty() && ids.len() < 5000);
    assert!(ids.iter().enumerate().all(|(i, id)| *id == format!("r{i}")));
    // Cut in the middle (plain and gzip): a file-level error, never a silent end or a "malformed record".
    let (_, err) = parse_all(&text.as_bytes()[..text.len() / 2], Default::default());
    assert!(matches!(err, Some(ReadError::Truncated { .. })), "{err:?}");
    let (_, err) = parse_all(&compressed[..compressed.len() / 2], Default::default());
    assert!(matches!(err, Some(ReadError::Decompress { .. })), "{err:?}");
}

/// A reader that fails after some bytes, like a dropped S3 connection.
struct Flaky<'a>(&'a [u8]);
impl Read for Flaky<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset",
            ));
        }
        let n = buf.len().min(self.0.len()).min(7);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn source_errors_are_io_errors_not_gzip_errors() {
    let bytes = gz(TWO.as_bytes());
    let mut r = LogReader::new(Flaky(&bytes[..bytes.len() / 2]), Default::default()).unwrap();
    let err = loop {
        match r.next_record() {
            Ok(Some(_)) => continue,
            Ok(None) => panic!("must fail"),
            Err(e) => break e,
        }
    };
    match err {
        ReadError::Io(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_real_corpus_file_reads_and_every_record_parses() {
    let Some(files) = test_support::corpus_files() else {
        return;
    };
    assert_eq!(files.len(), 37, "the shared corpus has 37 log files");
    let mut total = 0;
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let mut r = LogReader::new(&bytes[..], Default::default()).unwrap();
        let mut n = 0;
        while let Some(rec) = r
            .next_record()
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()))
        {
            let parsed: Record = serde_json::from_slice(rec.bytes)
                .unwrap_or_else(|e| panic!("{} record {}: {e}", f.display(), rec.index));
            assert!(parsed.event_name.is_some(), "{}", f.display());
            n += 1;
        }
        assert!(n > 0, "{}", f.display());
        total += n;
    }
    assert!(total > 100, "{total}");
}
