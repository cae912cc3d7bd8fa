//! Property tests: the filter-pattern parser and evaluator and the scan pipeline never panic, whatever the
//! pattern or record, and the rule index (eventName and other exact fields) never changes an answer.

use proptest::prelude::*;
use rules::{Engine, Pattern, Profile};
use serde_json::{json, Value};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Decimal numbers as JSON text (serde_json's float parsing is not bit-exact without `float_roundtrip`).
        (-1000i32..1000, 0u8..100).prop_map(|(i, f)| {
            serde_json::from_str::<Value>(&format!("{i}.{f:02}")).unwrap_or(Value::Null)
        }),
        "[a-zA-Z0-9*\"\\\\ .:é-]{0,10}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map("[a-c]{1,2}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Records shaped like CloudTrail's, with fields of any type where rules look.
fn record() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "ConsoleLogin", "ListBuckets", "StopLogging", "CreateAccessKey", "ModifySnapshotAttribute",
            "PutEventSelectors", "AuthorizeSecurityGroupIngress", "LeaveOrganization", "X",
        ]),
        prop::option::of(prop::sample::select(vec!["AccessDenied", "Client.UnauthorizedOperation", "Throttling"])),
        prop::sample::select(vec!["Root", "IAMUser", "AssumedRole", "AWSService"]),
        json_value(),
        json_value(),
        prop::option::of("[0-9]{12}"),
    )
        .prop_map(|(name, error, identity, params, extra, account)| {
            let mut r = json!({
                "eventName": name,
                "eventType": "AwsApiCall",
                "eventTime": "2026-01-01T00:00:00Z",
                "sourceIPAddress": "198.51.100.1",
                "recipientAccountId": "111122223333",
                "userIdentity": {"type": identity, "accountId": account, "arn": "arn:aws:iam::111122223333:user/a"},
                "requestParameters": params,
                "additionalEventData": extra,
            });
            if let Some(e) = error {
                r["errorCode"] = Value::from(e);
            }
            r
        })
}

/// Fields the generated rules and records share, nested and indexed ones included.
const FIELDS: &[&str] = &[
    "eventName",
    "sourceIPAddress",
    "userIdentity.type",
    "a.b",
    "r[0].arn",
    "f5",
    "f6",
    "f7",
    "f8",
    "f9",
];

/// One term over [`FIELDS`]: exact (indexable) or not.
fn term() -> impl Strategy<Value = String> {
    (
        0..FIELDS.len(),
        0..8usize,
        prop::sample::select(vec!["x", "y", "5", "xy"]),
    )
        .prop_map(|(f, op, v)| {
            let f = FIELDS[f];
            match op {
                0..=2 => format!("$.{f} = \"{v}\""),
                3 => format!("$.{f} = {v}*"),
                4 => format!("$.{f} != \"{v}\""),
                5 => format!("$.{f} = {v}"),
                6 => format!("$.{f} = *{v}"),
                _ => format!("$.{f} NOT EXISTS"),
            }
        })
}

/// A pattern of one to three terms joined by `&&` / `||`, with optional grouping.
fn pattern_over_fields() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(term(), 1..4),
        prop::collection::vec(any::<bool>(), 3),
        any::<bool>(),
    )
        .prop_map(|(terms, ands, group)| {
            let mut p = terms[0].clone();
            for (i, t) in terms.iter().enumerate().skip(1) {
                let op = if ands[i] { "&&" } else { "||" };
                p = if group {
                    format!("({p}) {op} {t}")
                } else {
                    format!("{p} {op} {t}")
                };
            }
            format!("{{ {p} }}")
        })
}

/// A value at one of [`FIELDS`]: absent, one of the rules' values, a number, or another type.
fn field_value() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        prop::sample::select(vec!["x", "y", "5", "z", "xy", "yx", "xyz", "5x"])
            .prop_map(|v| Some(Value::from(v))),
        Just(Some(json!(5))),
        Just(Some(json!(5.0))),
        Just(Some(Value::Null)),
        Just(Some(json!(true))),
        Just(Some(json!({"x": "x"}))),
    ]
}

fn set_field(record: &mut Value, field: &str, value: Value) {
    match field {
        "userIdentity.type" => record["userIdentity"] = json!({"type": value}),
        "a.b" => record["a"] = json!({"b": value}),
        "r[0].arn" => record["r"] = json!([{"arn": value}]),
        _ => record[field] = value,
    }
}

/// The ids of the rules that match the record through the engine's index, and by trying every rule.
fn indexed_and_exhaustive(engine: &Engine, record: &Value) -> (Vec<String>, Vec<String>) {
    let parsed = cloudtrail::Parsed::from_value(record);
    let root = parsed.root();
    let indexed = engine
        .matching(root)
        .map(|(r, _)| r.id().to_owned())
        .collect();
    let exhaustive = engine
        .rules()
        .iter()
        .filter(|r| r.matches(root, engine.context()))
        .map(|r| r.id().to_owned())
        .collect();
    (indexed, exhaustive)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parser_never_panics_on_arbitrary_text(src in "\\PC{0,120}") {
        let _ = Pattern::parse(&src);
    }

    #[test]
    fn parser_never_panics_on_pattern_like_text(
        src in "[{}()$.a-c0-9 =!<>&|*\"\\\\ISNULTREFAXO]{0,80}",
        doc in json_value(),
    ) {
        if let Ok(p) = Pattern::parse(&src) {
            let _ = p.matches(&doc);
            let _ = p.explain(&doc);
            // The pipeline's borrowed DOM and serde_json::Value answer the same.
            let parsed = cloudtrail::Parsed::from_value(&doc);
            prop_assert_eq!(p.matches(&parsed.root()), p.matches(&doc), "{} on {}", src, doc);
            let _ = p.required_values("$.eventName");
        }
    }

    #[test]
    fn the_field_index_changes_nothing_for_any_rule_set(
        patterns in prop::collection::vec(pattern_over_fields(), 1..14),
        values in prop::collection::vec(field_value(), FIELDS.len()),
    ) {
        let mut cfg = String::from("profile = \"cis\"\n");
        let mut ids = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            cfg += &format!("[[custom_rules]]\nid = \"r{i}\"\ntitle = \"t\"\nseverity = \"low\"\npattern = '{p}'\n");
            ids.push(format!("r{i}"));
        }
        let config = rules::RulesConfig::parse(&cfg, "p.toml").unwrap();
        let engine = Engine::from_config(&config, "2026-11-23").unwrap().retain_ids(&ids).unwrap();
        let mut record = json!({});
        for (field, value) in FIELDS.iter().zip(values) {
            if let Some(v) = value {
                set_field(&mut record, field, v);
            }
        }
        let (indexed, exhaustive) = indexed_and_exhaustive(&engine, &record);
        prop_assert_eq!(indexed, exhaustive, "{:?} on {}", patterns, record);
    }

    #[test]
    fn every_rule_is_total_and_the_index_changes_nothing(rec in record()) {
        let engine = Engine::profile(Profile::All).unwrap();
        let (indexed, exhaustive) = indexed_and_exhaustive(&engine, &rec);
        prop_assert_eq!(indexed, exhaustive);
    }
}
