//! Property tests: the reader and key decoding never panic, whatever the input, and the reader hands out
//! exactly the elements of any well-formed file; the record parser (`Dom`) agrees with `serde_json`, and where
//! it is lenient (lone surrogates, bytes that are not UTF-8) with a lossy oracle; the cheap field scan of
//! unparseable records never panics and finds what a full parse finds.

use cloudtrail::reader::DECODED_BUFFER_BYTES;
use cloudtrail::{
    classify_key, decode_s3_key, recover_fields, Dom, LogReader, ReaderOptions, RecordError,
};
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
            ..Default::default()
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
            let parsed = dom.parse(rec.bytes).map(|n| n.to_value()).map_err(|e| RecordError::from(e).to_string());
            copied.push((rec.index, rec.offset, rec.bytes.to_vec(), parsed));
        }
        let copied_total = r.bytes_read();
        let mut in_place = Vec::new();
        let mut r = LogReader::new(&bytes[..], ReaderOptions::default()).unwrap();
        while let Some(rec) = r.next_parsed(&mut dom).unwrap() {
            prop_assert_eq!(rec.recovered.is_some(), rec.parsed.is_err());
            let parsed = rec.parsed.map(|n| n.to_value()).map_err(|e| e.to_string());
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
        // Bytes that are not UTF-8 read as U+FFFD (the DOM is lenient there, serde_json is not).
        let theirs = serde_json::from_str::<Value>(&String::from_utf8_lossy(&bytes));
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
        let theirs = serde_json::from_str::<Value>(&String::from_utf8_lossy(&bytes));
        prop_assert!(ours == theirs.is_ok() || theirs.is_err_and(|e| e.to_string().contains("number out of range")));
    }
}

/// A piece of a hostile string: its JSON text (bytes, not necessarily UTF-8) and what it must decode to.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    /// A leading surrogate escape with no trailing one after it (an `x` follows).
    LoneHigh(u32),
    LoneLow(u32),
    /// A character outside the BMP, as a valid surrogate-pair escape.
    Pair(char),
    /// A byte that is never valid UTF-8 on its own: a continuation byte, or 0xF8..=0xFF.
    Bad(u8),
}

impl Piece {
    fn json(&self, out: &mut Vec<u8>) {
        match self {
            Piece::Text(s) => {
                let quoted = serde_json::to_string(s).unwrap();
                out.extend_from_slice(&quoted.as_bytes()[1..quoted.len() - 1]);
            }
            Piece::LoneHigh(h) => out.extend_from_slice(format!("\\u{h:04x}x").as_bytes()),
            Piece::LoneLow(l) => out.extend_from_slice(format!("\\u{l:04X}").as_bytes()),
            Piece::Pair(c) => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units).iter() {
                    out.extend_from_slice(format!("\\u{u:04x}").as_bytes());
                }
            }
            Piece::Bad(b) => out.push(*b),
        }
    }

    /// The lossy oracle: what JavaScript's `JSON.parse` gives, with each lone surrogate and each byte that
    /// is not UTF-8 as U+FFFD.
    fn decoded(&self, out: &mut String) {
        match self {
            Piece::Text(s) => out.push_str(s),
            Piece::LoneHigh(_) => out.push_str("\u{fffd}x"),
            Piece::LoneLow(_) | Piece::Bad(_) => out.push('\u{fffd}'),
            Piece::Pair(c) => out.push(*c),
        }
    }
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => "[\\PC\"\\\\/é日]{0,6}".prop_map(Piece::Text),
        1 => (0xD800u32..0xDC00).prop_map(Piece::LoneHigh),
        1 => (0xDC00u32..0xE000).prop_map(Piece::LoneLow),
        1 => (0x10000u32..0x110000).prop_map(|c| Piece::Pair(char::from_u32(c).unwrap())),
        1 => prop_oneof![0x80u8..0xC0, 0xF8u8..=0xFF].prop_map(Piece::Bad),
    ]
}

/// A hostile string: its JSON text with quotes, and its lossy decoding.
fn hostile_string() -> impl Strategy<Value = (Vec<u8>, String)> {
    prop::collection::vec(piece(), 0..8).prop_map(|pieces| {
        let mut json = vec![b'"'];
        let mut decoded = String::new();
        for p in &pieces {
            p.json(&mut json);
            p.decoded(&mut decoded);
        }
        json.push(b'"');
        (json, decoded)
    })
}

/// A record whose attacker-controlled fields are hostile strings, and the `serde_json::Value` it must read as.
fn hostile_record() -> impl Strategy<Value = (Vec<u8>, Value)> {
    (
        hostile_string(),
        hostile_string(),
        hostile_string(),
        hostile_string(),
        hostile_string(),
    )
        .prop_map(|(name, agent, key, value, element)| {
            let mut text = br#"{"eventName":"#.to_vec();
            text.extend_from_slice(&name.0);
            text.extend_from_slice(br#","userAgent":"#);
            text.extend_from_slice(&agent.0);
            text.push(b',');
            text.extend_from_slice(&key.0);
            text.push(b':');
            text.extend_from_slice(&value.0);
            text.extend_from_slice(br#","requestParameters":{"bucketName":["#);
            text.extend_from_slice(&element.0);
            text.extend_from_slice(br#"]},"eventID":"e"}"#);
            let mut map = serde_json::Map::new();
            map.insert("eventName".into(), Value::from(name.1));
            map.insert("userAgent".into(), Value::from(agent.1));
            map.insert(key.1, Value::from(value.1));
            map.insert(
                "requestParameters".into(),
                json!({"bucketName": [element.1]}),
            );
            map.insert("eventID".into(), Value::from("e"));
            (text, Value::Object(map))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn dom_reads_lone_surrogates_and_bad_bytes_as_the_lossy_oracle((text, want) in hostile_record()) {
        let mut dom = Dom::new();
        let root = dom.parse(&text).map_err(|e| TestCaseError::fail(format!("{e}: {}", String::from_utf8_lossy(&text))))?;
        prop_assert_eq!(root.to_value(), want.clone());
        // The cheap scan of the same text finds the same top-level strings.
        let found = recover_fields(&text);
        prop_assert_eq!(found.event_name.as_deref(), want["eventName"].as_str());
        prop_assert_eq!(found.event_id.as_deref(), Some("e"));
    }

    #[test]
    fn the_reader_hands_out_hostile_records_parsed(
        records in prop::collection::vec(hostile_record(), 1..6),
        gzip in any::<bool>(),
        pad in 0usize..DECODED_BUFFER_BYTES,
    ) {
        // Padding moves the records across the end of the decoded-text buffer (in place and copying paths).
        let mut text = format!(r#"{{"pad":"{}","Records":["#, "x".repeat(pad)).into_bytes();
        for (i, (record, _)) in records.iter().enumerate() {
            if i > 0 {
                text.push(b',');
            }
            text.extend_from_slice(record);
        }
        text.extend_from_slice(b"]}");
        let bytes = if gzip { gz(&text) } else { text };
        let mut r = LogReader::new(&bytes[..], ReaderOptions::default()).unwrap();
        let mut dom = Dom::new();
        let mut got = Vec::new();
        while let Some(rec) = r.next_parsed(&mut dom).unwrap() {
            prop_assert!(rec.recovered.is_none());
            got.push(rec.parsed.map(|n| n.to_value()).map_err(|e| e.to_string()));
        }
        let want: Vec<Result<Value, String>> = records.into_iter().map(|(_, v)| Ok(v)).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn recover_fields_never_panics_and_finds_what_a_parse_finds(
        value in json_value(),
        name in "[\\PC\"\\\\é]{0,20}",
        arn in "[\\PC\"\\\\é]{0,20}",
        junk in prop::collection::vec(any::<u8>(), 0..600),
        cut in any::<prop::sample::Index>(),
    ) {
        let _ = recover_fields(&junk);
        let record = json!({
            "eventName": name, "before": value.clone(), "userIdentity": {"x": value.clone(), "arn": arn},
            "eventSource": "s", "after": value,
        });
        let text = serde_json::to_vec(&record).unwrap();
        let found = recover_fields(&text);
        prop_assert_eq!(found.event_name.as_deref(), Some(name.as_str()));
        prop_assert_eq!(found.user_arn.as_deref(), Some(arn.as_str()));
        prop_assert_eq!(found.event_source.as_deref(), Some("s"));
        prop_assert_eq!(found.event_id, None);
        // Any prefix (a record cut or broken later) gives a subset of these, never something else.
        let cut = recover_fields(&text[..cut.index(text.len() + 1)]);
        prop_assert!(cut.event_name.is_none() || cut.event_name.as_deref() == Some(name.as_str()));
        prop_assert!(cut.user_arn.is_none() || cut.user_arn.as_deref() == Some(arn.as_str()));
        prop_assert!(cut.event_source.is_none() || cut.event_source.as_deref() == Some("s"));
    }
}
