//! Property tests: the filter-pattern parser and evaluator and the scan pipeline never panic, whatever the
//! pattern or record, and the eventName index never changes an answer.

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
    fn every_rule_is_total_and_the_index_changes_nothing(rec in record()) {
        let engine = Engine::profile(Profile::All).unwrap();
        let parsed = cloudtrail::Parsed::from_value(&rec);
        let rec = parsed.root();
        let indexed: Vec<&str> = engine.matching(rec).map(|(r, _)| r.id()).collect();
        let exhaustive: Vec<&str> = engine
            .rules()
            .iter()
            .filter(|r| r.matches(rec, engine.context()))
            .map(|r| r.id())
            .collect();
        prop_assert_eq!(indexed, exhaustive);
    }
}
