//! Property tests: the reader and key decoding never panic, whatever the input, and the reader hands out
//! exactly the elements of any well-formed file; the record parser (`Dom`) agrees with `serde_json`.

use cloudtrail::reader::DECODED_BUFFER_BYTES;
use cloudtrail::{classify_key, decode_s3_key, Dom, LogReader, ReaderOptions};
use flate2::write::GzEncoder;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::io::Write;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Reads until the end or the first error, counting elements; must never panic.
fn drain(bytes: &[u8], limit: Option<u64>) -> (usize, bool) {
    let Ok(mut r) = LogReader::new(
        bytes,
        ReaderOptions {
            max_uncompressed_bytes: limit,
        },
    ) else {
        return (0, false);
    };
    let mut n = 0;
    loop {
        match r.next_record() {
            Ok(Some(_)) => n += 1,
            Ok(None) => return (n, true),
            Err(_) => return (n, false),
        }
    }
}

/// Arbitrary JSON values, nested a few levels, with awkward strings (quotes, brackets, escapes, non-ASCII).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Decimal numbers as JSON text (serde_json's float parsing is not bit-exact without `float_roundtrip`).
        (-1000i32..1000, 0u8..100).prop_map(|(i, f)| {
            serde_json::from_str::<Value>(&format!("{i}.{f:02}")).unwrap_or(Value::Null)
        }),
        "[\\PC{}\\[\\]\"\\\\,:é日]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z\\]\\[{}\"]{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        drain(&bytes, Some(1 << 20));
        drain(&gz(&bytes), Some(1 << 20));
    }

    #[test]
    fn arbitrary_text_after_a_records_prefix_never_panics(tail in "\\PC{0,300}") {
        let text = format!("{{\"Records\":[{tail}");
        drain(text.as_bytes(), None);
        drain(&gz(text.as_bytes()), None);
    }

    #[test]
    fn every_element_of_a_well_formed_file_comes_out_verbatim(
        records in prop::collection::vec(json_value(), 0..12),
        other in json_value(),
        pretty in any::<bool>(),
    ) {
        let file = json!({"before": other, "Records": records, "after": 1});
        let text = if pretty { serde_json::to_string_pretty(&file).unwrap() } else { file.to_string() };
        for bytes in [text.as_bytes().to_vec(), gz(text.as_bytes())] {
            let mut r = LogReader::new(&bytes[..], ReaderOptions::default()).unwrap();
            let mut got = Vec::new();
            while let Some(rec) = r.next_record().unwrap() {
                got.push(serde_json::from_slice::<Value>(rec.bytes).unwrap());
            }
            prop_assert_eq!(&got, &records);
        }
    }

    #[test]
    fn parsing_in_place_gives_the_records_and_errors_of_copy_then_parse(
        elements in prop::collection::vec(
            prop_oneof![
                3 => json_value().prop_map(|v| v.to_string()),
                1 => prop::sample::select(vec![
                    r#"{"a":tx}"#, r#"{"a" 1}"#, r#"{"b":[1,2,]}"#, "7", r#"{"n":01}"#, r#"{"s":"\q"}"#,
                    r#"{"u":"\ud800"}"#, "[]", "-12.5e3", "true",
                ]).prop_map(str::to_owned),
            ],
            0..40,
        ),
        // Padding before the array moves the records across the end of the reader's decoded-text buffer.
        pad in DECODED_BUFFER_BYTES - 536..DECODED_BUFFER_BYTES,
        gzip in any::<bool>(),
    ) {
        let text = format!(r#"{{"before":"{}","Records":[{}]}}"#, "x".repeat(pad), elements.join(" ,\n"));
        let bytes = if gzip { gz(text.as_bytes()) } else { text.into_bytes() };
        let mut copied = Vec::new();
        let mut r = LogReader::new(&bytes[..], ReaderOptions::default()).unwrap();
        let mut dom = Dom::new();
        while let Some(rec) = r.next_record().unwrap() {
            let parsed = dom.parse(rec.bytes).map(|n| n.to_value()).map_err(|e| e.reason);
            copied.push((rec.index, rec.offset, rec.bytes.to_vec(), parsed));
        }
        let copied_total = r.bytes_read();
        let mut in_place = Vec::new();
        let mut r = LogReader::new(&bytes[..], ReaderOptions::default()).unwrap();
        while let Some(rec) = r.next_parsed(&mut dom).unwrap() {
            let parsed = rec.parsed.map(|n| n.to_value()).map_err(|e| e.reason);
            in_place.push((rec.raw.index, rec.raw.offset, rec.raw.bytes.to_vec(), parsed));
        }
        prop_assert_eq!(r.bytes_read(), copied_total);
        prop_assert_eq!(in_place.len(), elements.len());
        prop_assert_eq!(in_place, copied);
    }

    #[test]
    fn truncated_files_are_errors_not_silent_successes(
        records in prop::collection::vec(json_value(), 1..8),
        cut in 0.0f64..1.0,
    ) {
        let text = json!({"Records": records}).to_string();
        let at = ((text.len() as f64) * cut) as usize;
        prop_assume!(at < text.len() - 1);
        let (_, complete) = drain(&text.as_bytes()[..at], None);
        prop_assert!(!complete, "a cut at {} of {} bytes read as complete", at, text.len());
        let compressed = gz(text.as_bytes());
        let at = ((compressed.len() as f64) * cut) as usize;
        let (_, complete) = drain(&compressed[..at.min(compressed.len() - 1)], None);
        prop_assert!(!complete);
    }

    #[test]
    fn key_decoding_and_classification_never_panic(raw in "\\PC{0,200}") {
        let _ = decode_s3_key(&raw);
        let _ = classify_key(&raw);
    }

    #[test]
    fn decoding_inverts_s3_event_encoding(key in "[a-zA-Z0-9 +:/_.=é-]{0,80}") {
        // How S3 writes keys into event notifications: form encoding, spaces as `+`.
        let encoded: String = percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%20", "+");
        prop_assert_eq!(decode_s3_key(&encoded).unwrap(), key);
    }

    #[test]
    fn dom_reads_any_json_as_serde_json_does(value in json_value(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&value).unwrap()
        } else {
            serde_json::to_string(&value).unwrap()
        };
        let mut dom = Dom::new();
        let root = dom.parse(text.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
        prop_assert_eq!(root.to_value(), value.clone());
        if let Value::Object(map) = &value {
            for (k, v) in map {
                prop_assert_eq!(root.get(k).map(|n| n.to_value()), Some(v.clone()));
            }
            let absent = root.get("\u{0}not a key").is_none();
            prop_assert!(absent);
        }
    }

    #[test]
    fn dom_root_lookups_find_every_member_and_nothing_else(
        members in prop::collection::btree_map("[a-zA-Z\"\\\\é]{0,20}", any::<i32>(), 0..40),
        probes in prop::collection::vec("[a-zA-Z\"é]{0,20}", 0..20),
        duplicate in any::<prop::sample::Index>(),
    ) {
        // Large roots use the hash index, small ones the walk; both must agree with the map. A repeated key
        // (appended at the end) must win.
        let mut text = serde_json::to_string(&members).unwrap();
        let dup = members.keys().nth(duplicate.index(members.len().max(1))).cloned();
        if let Some(key) = &dup {
            text.pop();
            text.push_str(&format!(",{}:\"dup\"}}", serde_json::to_string(key).unwrap()));
        }
        let mut dom = Dom::new();
        let root = dom.parse(text.as_bytes()).unwrap();
        for (k, v) in &members {
            let got = root.get(k).map(|n| n.to_value());
            if Some(k) == dup.as_ref() {
                prop_assert_eq!(got, Some(Value::from("dup")));
            } else {
                prop_assert_eq!(got, Some(Value::from(*v)));
            }
        }
        for p in &probes {
            prop_assert_eq!(root.get(p).is_some(), members.contains_key(p));
        }
    }

    #[test]
    fn dom_accepts_exactly_what_serde_json_accepts(
        value in json_value(),
        cut in any::<prop::sample::Index>(),
        junk in prop::collection::vec(any::<u8>(), 0..4),
        mode in 0u8..3,
    ) {
        // Damaged JSON: truncated, with bytes inserted, or with bytes replaced.
        let mut bytes = serde_json::to_vec(&value).unwrap();
        let at = cut.index(bytes.len() + 1);
        match mode {
            0 => bytes.truncate(at),
            1 => { bytes.splice(at..at, junk.iter().copied()); }
            _ => {
                let end = (at + junk.len()).min(bytes.len());
                bytes.splice(at..end, junk.iter().copied());
            }
        }
        let mut dom = Dom::new();
        let ours = dom.parse(&bytes).map(|n| n.to_value());
        let theirs = serde_json::from_slice::<Value>(&bytes);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            // serde_json refuses numbers beyond f64 (1e400); the DOM keeps number text as CloudWatch sees it.
            (Ok(_), Err(e)) => prop_assert!(e.to_string().contains("number out of range"), "{}", e),
            (Err(e), Ok(_)) => prop_assert!(false, "DOM refused valid JSON: {e}: {:?}", String::from_utf8_lossy(&bytes)),
        }
    }

    #[test]
    fn dom_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut dom = Dom::new();
        let ours = dom.parse(&bytes).is_ok();
        let theirs = serde_json::from_slice::<Value>(&bytes);
        prop_assert!(ours == theirs.is_ok() || theirs.is_err_and(|e| e.to_string().contains("number out of range")));
    }
}
