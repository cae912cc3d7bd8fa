//! The fast path's patterns (`compile::eventbridge::generate`) never drop an event a rule matches.
//!
//! A small implementation of EventBridge matching (after aws/event-ruler, `rulesForJSONEvent`: the semantics
//! the generated patterns use: exact strings, numbers, booleans and null, `prefix`, `suffix`, `anything-but`
//! (values, prefix, suffix), `exists`, `numeric`, `equals-ignore-case`, `$or`; an array matches when one of its
//! elements does, an object pattern must hold within one array element; a field that is missing, or holds only
//! objects or an empty array, has no value: only `exists: false` matches it) is checked by its own unit tests,
//! then used to prove that every record of `../shared/corpus`, `events/AWSLogs` and the rule fixtures that some
//! enabled rule matches (profile all with a full deployment context, the default profile, cis), wrapped as the
//! EventBridge event CloudTrail sends, matches one of the generated patterns. Records CloudTrail does not send as
//! one of the four CloudTrail detail types (Insights, VPC endpoint events) are left out and counted.
//!
//! The corpus part SKIPs when `../shared` is absent (a failure under `CI=true`).

use compile::eventbridge::{detail_type, generate, Patterns};
use rules::{Context, Engine, Profile};
use serde_json::{json, Map, Value};
use std::io::Read;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------------------------------
// EventBridge matching
// ---------------------------------------------------------------------------------------------------------

/// Whether an EventBridge event matches a pattern.
fn eb_matches(pattern: &Value, event: &Value) -> bool {
    let pattern = pattern.as_object().expect("a pattern is an object");
    object_matches(pattern, Some(event))
}

/// An object pattern against the value at its place: every key must hold; in an array, within one element.
fn object_matches(pattern: &Map<String, Value>, event: Option<&Value>) -> bool {
    if let Some(Value::Array(items)) = event {
        return items.iter().any(|e| object_matches(pattern, Some(e)));
    }
    pattern.iter().all(|(key, want)| {
        if key == "$or" {
            let alternatives = want.as_array().expect("$or takes a list");
            assert!(alternatives.len() >= 2, "$or needs two alternatives");
            return alternatives.iter().any(|alt| {
                object_matches(
                    alt.as_object().expect("$or alternatives are objects"),
                    event,
                )
            });
        }
        let child = event.and_then(|e| e.get(key));
        match want {
            Value::Object(nested) => object_matches(nested, child),
            Value::Array(matchers) => {
                let mut leaves = Vec::new();
                collect_leaves(child, &mut leaves);
                matchers.iter().any(|m| leaf_matches(m, &leaves))
            }
            other => panic!("a pattern's leaf must be a list, not {other}"),
        }
    })
}

/// The values (strings, numbers, booleans, null) at a place, arrays flattened; objects are not values.
fn collect_leaves<'a>(value: Option<&'a Value>, out: &mut Vec<&'a Value>) {
    match value {
        None | Some(Value::Object(_)) => {}
        Some(Value::Array(items)) => {
            for item in items {
                collect_leaves(Some(item), out);
            }
        }
        Some(leaf) => out.push(leaf),
    }
}

fn same_value(want: &Value, leaf: &Value) -> bool {
    match (want, leaf) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => want == leaf,
    }
}

/// One matcher of a field's list against the field's values.
fn leaf_matches(matcher: &Value, leaves: &[&Value]) -> bool {
    let Value::Object(op) = matcher else {
        return leaves.iter().any(|l| same_value(matcher, l));
    };
    assert_eq!(op.len(), 1, "one operator per matcher: {matcher}");
    let (name, arg) = op.iter().next().unwrap();
    let string = |l: &&Value| l.as_str().map(str::to_owned);
    match name.as_str() {
        "exists" => match arg {
            Value::Bool(true) => !leaves.is_empty(),
            Value::Bool(false) => leaves.is_empty(),
            _ => panic!("exists takes a boolean"),
        },
        "prefix" => {
            let p = arg.as_str().expect("prefix takes a string");
            leaves.iter().filter_map(string).any(|s| s.starts_with(p))
        }
        "suffix" => {
            let p = arg.as_str().expect("suffix takes a string");
            leaves.iter().filter_map(string).any(|s| s.ends_with(p))
        }
        "equals-ignore-case" => {
            let p = arg
                .as_str()
                .expect("equals-ignore-case takes a string")
                .to_lowercase();
            leaves
                .iter()
                .filter_map(string)
                .any(|s| s.to_lowercase() == p)
        }
        "numeric" => {
            let terms = arg.as_array().expect("numeric takes a list");
            leaves.iter().filter_map(|l| l.as_f64()).any(|n| {
                terms.chunks(2).all(|pair| {
                    let bound = pair[1].as_f64().expect("numeric bound");
                    match pair[0].as_str().expect("numeric operator") {
                        "=" => n == bound,
                        "<" => n < bound,
                        "<=" => n <= bound,
                        ">" => n > bound,
                        ">=" => n >= bound,
                        other => panic!("numeric operator {other}"),
                    }
                })
            })
        }
        "anything-but" => leaves.iter().any(|leaf| match arg {
            Value::Array(values) => !values.iter().any(|v| same_value(v, leaf)),
            Value::Object(inner) => {
                assert_eq!(inner.len(), 1);
                let (kind, pieces) = inner.iter().next().unwrap();
                let pieces: Vec<&str> = match pieces {
                    Value::String(s) => vec![s],
                    Value::Array(a) => a.iter().map(|v| v.as_str().unwrap()).collect(),
                    other => panic!("anything-but {kind} takes strings, not {other}"),
                };
                // A value that is not a string never starts or ends with the pieces.
                let Some(s) = leaf.as_str() else { return true };
                match kind.as_str() {
                    "prefix" => !pieces.iter().any(|p| s.starts_with(p)),
                    "suffix" => !pieces.iter().any(|p| s.ends_with(p)),
                    other => panic!("anything-but {other} is not implemented here"),
                }
            }
            single => !same_value(single, leaf),
        }),
        other => panic!("operator {other} is not implemented here"),
    }
}

#[test]
fn matcher_exact_values_of_each_type() {
    let ev = json!({"detail": {"s": "a", "n": 5, "f": 5.0, "b": true, "z": null}});
    assert!(eb_matches(&json!({"detail": {"s": ["x", "a"]}}), &ev));
    assert!(!eb_matches(&json!({"detail": {"s": ["A"]}}), &ev));
    assert!(eb_matches(&json!({"detail": {"n": [5]}}), &ev));
    assert!(eb_matches(&json!({"detail": {"f": [5]}}), &ev));
    assert!(
        !eb_matches(&json!({"detail": {"n": ["5"]}}), &ev),
        "a string is not a number"
    );
    assert!(eb_matches(&json!({"detail": {"b": [true]}}), &ev));
    assert!(!eb_matches(&json!({"detail": {"b": [false]}}), &ev));
    assert!(eb_matches(&json!({"detail": {"z": [null]}}), &ev));
    assert!(
        !eb_matches(&json!({"detail": {"missing": [null]}}), &ev),
        "null is not absence"
    );
    // Every field must hold.
    assert!(!eb_matches(&json!({"detail": {"s": ["a"], "n": [6]}}), &ev));
    assert!(eb_matches(
        &json!({"detail-type": ["T"]}),
        &json!({"detail-type": "T"})
    ));
}

#[test]
fn matcher_prefix_suffix_and_ignore_case() {
    let ev = json!({"detail": {"errorCode": "Client.UnauthorizedOperation", "n": 123}});
    assert!(eb_matches(
        &json!({"detail": {"errorCode": [{"prefix": "Client."}]}}),
        &ev
    ));
    assert!(eb_matches(
        &json!({"detail": {"errorCode": [{"suffix": "UnauthorizedOperation"}]}}),
        &ev
    ));
    assert!(!eb_matches(
        &json!({"detail": {"errorCode": [{"prefix": "AccessDenied"}]}}),
        &ev
    ));
    assert!(
        !eb_matches(&json!({"detail": {"n": [{"prefix": "12"}]}}), &ev),
        "prefix only sees strings"
    );
    assert!(eb_matches(
        &json!({"detail": {"errorCode": [{"equals-ignore-case": "client.unauthorizedoperation"}]}}),
        &ev
    ));
}

#[test]
fn matcher_prefix_on_the_events_source() {
    let p = json!({"source": [{"prefix": "aws."}], "detail-type": ["T"]});
    assert!(eb_matches(
        &p,
        &json!({"source": "aws.signin", "detail-type": "T"})
    ));
    for forged in ["custom.app", "aws", "AWS.signin", "xaws.signin", ""] {
        assert!(
            !eb_matches(&p, &json!({"source": forged, "detail-type": "T"})),
            "{forged:?}"
        );
    }
    assert!(
        !eb_matches(&p, &json!({"detail-type": "T"})),
        "no source at all"
    );
}

#[test]
fn matcher_anything_but() {
    let p = json!({"detail": {"s": [{"anything-but": ["x", "y"]}]}});
    assert!(eb_matches(&p, &json!({"detail": {"s": "z"}})));
    assert!(!eb_matches(&p, &json!({"detail": {"s": "x"}})));
    assert!(
        !eb_matches(&p, &json!({"detail": {}})),
        "a missing field is not 'anything but'"
    );
    // Other types are not the strings listed (event-ruler compares the JSON text).
    assert!(eb_matches(&p, &json!({"detail": {"s": 5}})));
    assert!(eb_matches(&p, &json!({"detail": {"s": null}})));
    // An array matches when one element does.
    assert!(eb_matches(&p, &json!({"detail": {"s": ["x", "q"]}})));
    assert!(!eb_matches(&p, &json!({"detail": {"s": ["x", "y"]}})));
    let prefix = json!({"detail": {"s": [{"anything-but": {"prefix": "ab"}}]}});
    assert!(eb_matches(&prefix, &json!({"detail": {"s": "xab"}})));
    assert!(!eb_matches(&prefix, &json!({"detail": {"s": "abc"}})));
    let numbers = json!({"detail": {"n": [{"anything-but": [100, 200]}]}});
    assert!(!eb_matches(&numbers, &json!({"detail": {"n": 100}})));
    assert!(eb_matches(&numbers, &json!({"detail": {"n": "100"}})));
    assert!(eb_matches(
        &json!({"detail": {"s": [{"anything-but": "x"}]}}),
        &json!({"detail": {"s": "y"}})
    ));
}

#[test]
fn matcher_exists_is_about_values() {
    let yes = json!({"detail": {"f": [{"exists": true}]}});
    let no = json!({"detail": {"f": [{"exists": false}]}});
    for (event, has_value) in [
        (json!({"detail": {"f": "x"}}), true),
        (json!({"detail": {"f": null}}), true),
        (json!({"detail": {"f": 0}}), true),
        (json!({"detail": {"f": ["x"]}}), true),
        (json!({"detail": {}}), false),
        (json!({}), false),
        // Exists only works on leaf nodes: an object or an empty array is no value.
        (json!({"detail": {"f": {"g": 1}}}), false),
        (json!({"detail": {"f": []}}), false),
    ] {
        assert_eq!(eb_matches(&yes, &event), has_value, "{event}");
        assert_eq!(eb_matches(&no, &event), !has_value, "{event}");
    }
}

#[test]
fn matcher_nested_arrays_and_or() {
    let ev =
        json!({"detail": {"resources": [{"type": "A", "arn": "1"}, {"type": "B", "arn": "2"}]}});
    assert!(eb_matches(
        &json!({"detail": {"resources": {"type": ["B"]}}}),
        &ev
    ));
    assert!(eb_matches(
        &json!({"detail": {"resources": {"type": ["B"], "arn": ["2"]}}}),
        &ev
    ));
    // Two fields must hold in the same element (rulesForJSONEvent).
    assert!(!eb_matches(
        &json!({"detail": {"resources": {"type": ["A"], "arn": ["2"]}}}),
        &ev
    ));
    let or =
        json!({"detail-type": ["T"], "detail": {"$or": [{"a": ["1"]}, {"b": [{"prefix": "x"}]}]}});
    assert!(eb_matches(
        &or,
        &json!({"detail-type": "T", "detail": {"a": "1"}})
    ));
    assert!(eb_matches(
        &or,
        &json!({"detail-type": "T", "detail": {"b": "xy"}})
    ));
    assert!(!eb_matches(
        &or,
        &json!({"detail-type": "T", "detail": {"a": "2", "b": "y"}})
    ));
    assert!(!eb_matches(
        &or,
        &json!({"detail-type": "U", "detail": {"a": "1"}})
    ));
    let numeric = json!({"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}});
    assert!(eb_matches(&numeric, &json!({"detail": {"n": 5}})));
    assert!(!eb_matches(&numeric, &json!({"detail": {"n": 6}})));
    assert!(!eb_matches(&numeric, &json!({"detail": {"n": "5"}})));
}

// ---------------------------------------------------------------------------------------------------------
// The records
// ---------------------------------------------------------------------------------------------------------

/// The EventBridge event CloudTrail sends for a record; `None` for an event type it does not send as one.
fn wrap(record: &Value) -> Option<Value> {
    let dt = detail_type(record.get("eventType")?.as_str()?)?;
    let service = record["eventSource"]
        .as_str()
        .and_then(|s| s.split('.').next())
        .unwrap_or("unknown");
    Some(json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": dt,
        "source": format!("aws.{service}"),
        "account": record["recipientAccountId"],
        "time": record["eventTime"],
        "region": record["awsRegion"],
        "resources": [],
        "detail": record,
    }))
}

fn records_of(text: &[u8], origin: &Path) -> Vec<Value> {
    let v: Value =
        serde_json::from_slice(text).unwrap_or_else(|e| panic!("{}: {e}", origin.display()));
    match v.get("Records") {
        Some(Value::Array(records)) => records.clone(),
        _ => vec![v],
    }
}

fn read(path: &Path) -> Vec<Value> {
    let bytes = std::fs::read(path).unwrap();
    if path.to_string_lossy().ends_with(".gz") {
        let mut text = Vec::new();
        flate2::read::MultiGzDecoder::new(&bytes[..])
            .read_to_end(&mut text)
            .unwrap();
        records_of(&text, path)
    } else {
        records_of(&bytes, path)
    }
}

fn files_under(dir: &Path, suffix: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, suffix, out);
        } else if path.to_string_lossy().ends_with(suffix) {
            out.push(path);
        }
    }
}

/// This crate's repository (from this crate's own manifest directory).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `events/AWSLogs` and every rule fixture (match and nomatch), with the file each record came from.
fn repo_records() -> Vec<(PathBuf, Value)> {
    let mut files = Vec::new();
    files_under(&repo_root().join("events/AWSLogs"), ".json.gz", &mut files);
    let before = files.len();
    assert!(before > 0, "events/AWSLogs has log files");
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests/fixtures"),
        ".json",
        &mut files,
    );
    assert!(files.len() > before + 100, "the rule fixtures are found");
    files.sort();
    files
        .into_iter()
        .flat_map(|f| read(&f).into_iter().map(move |r| (f.clone(), r)))
        .collect()
}

/// The deployment context of the rules crate's fixtures (tests/registry.rs): trusted partner, watched key,
/// allowed regions, this deployment's resources.
fn full_context() -> Context {
    Context {
        trusted_accounts: ["444455556666".to_owned()].into(),
        watched_access_keys: ["AKIAWATCHEDEXAMPLE01".to_owned()].into(),
        allowed_regions: ["us-east-1".to_owned(), "eu-west-1".to_owned()].into(),
        own_resources: rules::OwnResources::from_arns([
            "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1",
            "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1/trailwarden/rules.toml",
            "arn:aws:lambda:us-east-1:111122223333:function:tw-alerter",
            "arn:aws:iam::111122223333:role/tw-alerter-role",
            "arn:aws:sns:us-east-1:111122223333:tw-alerts",
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "arn:aws:cloudtrail:us-east-1:111122223333:trail/tw-trail",
        ])
        .unwrap(),
    }
}

/// The engines the proof runs: profile all in a full context, the default profile as deployed without a rules
/// file (empty context), and cis.
fn engines() -> Vec<(&'static str, Engine)> {
    vec![
        (
            "all+context",
            Engine::profile(Profile::All)
                .unwrap()
                .with_context(full_context()),
        ),
        (
            "recommended",
            Engine::profile(Profile::Recommended).unwrap(),
        ),
        ("cis", Engine::profile(Profile::Cis).unwrap()),
    ]
}

struct Tally {
    matched: usize,
    not_sent: usize,
    not_selected: usize,
}

/// Asserts that every record a rule of `engine` matches is selected by `patterns`; counts.
fn check(name: &str, engine: &Engine, patterns: &Patterns, records: &[(PathBuf, Value)]) -> Tally {
    for p in &patterns.patterns {
        assert!(
            p.to_string().chars().count() <= compile::eventbridge::MAX_PATTERN_CHARS,
            "{name}: {p}"
        );
    }
    let mut tally = Tally {
        matched: 0,
        not_sent: 0,
        not_selected: 0,
    };
    for (file, record) in records {
        let parsed = cloudtrail::Parsed::from_value(record);
        let hits: Vec<&str> = engine
            .matching(parsed.root())
            .map(|(r, _)| r.id())
            .collect();
        let Some(event) = wrap(record) else {
            tally.not_sent += 1;
            continue;
        };
        let selected = patterns.patterns.iter().any(|p| eb_matches(p, &event));
        if hits.is_empty() {
            tally.not_selected += usize::from(!selected);
            continue;
        }
        tally.matched += 1;
        assert!(
            selected,
            "{name}: {} matches {hits:?} but no generated pattern selects it:\n{}",
            file.display(),
            serde_json::to_string(record).unwrap()
        );
    }
    tally
}

#[test]
fn no_record_a_rule_matches_in_the_repository_is_dropped() {
    /// Fewest records some rule matches, per engine (cis, the smallest, matches about 195).
    const MIN_MATCHED: usize = 150;
    let records = repo_records();
    for (name, engine) in engines() {
        let patterns = generate(&engine);
        let t = check(name, &engine, &patterns, &records);
        assert!(
            t.matched >= MIN_MATCHED,
            "{name}: only {} matching records checked",
            t.matched
        );
        assert!(
            t.not_selected > 0,
            "{name}: the patterns selected every record"
        );
    }
}

#[test]
fn no_record_a_rule_matches_in_the_corpus_is_dropped() {
    let Some(corpus) = test_support::require(repo_root().join("../shared/corpus")) else {
        return;
    };
    let mut files = Vec::new();
    files_under(&corpus, ".json.gz", &mut files);
    files.sort();
    let records: Vec<(PathBuf, Value)> = files
        .iter()
        .flat_map(|f| read(f).into_iter().map(move |r| (f.clone(), r)))
        .collect();
    assert!(records.len() > 300, "{} corpus records", records.len());
    /// Fewest records some rule matches, per engine (cis, the smallest, matches about 57).
    const MIN_MATCHED: usize = 40;
    for (name, engine) in engines() {
        let patterns = generate(&engine);
        let t = check(name, &engine, &patterns, &records);
        assert!(
            t.matched >= MIN_MATCHED,
            "{name}: only {} matching records checked",
            t.matched
        );
        assert!(
            t.not_selected > 0,
            "{name}: the patterns selected every corpus record"
        );
    }
}

/// Every generated pattern pins the source to AWS's: a record some rule matches, sent by someone else's
/// `PutEvents` with a CloudTrail `detail-type` (source `custom.app`), is selected by none, while the same event
/// from `aws.*` is.
#[test]
fn only_events_from_aws_sources_are_selected() {
    let records = repo_records();
    for (name, engine) in engines() {
        let patterns = generate(&engine);
        assert!(!patterns.patterns.is_empty(), "{name}");
        for p in &patterns.patterns {
            assert_eq!(p["source"], json!([{"prefix": "aws."}]), "{name}: {p}");
        }
        let mut forged = 0;
        for (file, record) in &records {
            if engine
                .matching(cloudtrail::Parsed::from_value(record).root())
                .next()
                .is_none()
            {
                continue;
            }
            let Some(mut event) = wrap(record) else {
                continue;
            };
            assert!(patterns.patterns.iter().any(|p| eb_matches(p, &event)));
            event["source"] = json!("custom.app");
            assert!(
                !patterns.patterns.iter().any(|p| eb_matches(p, &event)),
                "{name}: {} selected from source custom.app",
                file.display()
            );
            forged += 1;
        }
        assert!(forged > 100, "{name}: {forged} forged events checked");
    }
}

/// The patterns are not trivially "everything": ordinary read-only calls of the account's own principals are
/// left out where no rule needs them.
#[test]
fn patterns_leave_out_what_no_rule_needs() {
    let get_caller_identity = json!({
        "eventVersion": "1.08", "eventTime": "2024-01-15T12:00:00Z", "eventSource": "sts.amazonaws.com",
        "eventName": "GetCallerIdentity", "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.15.0", "eventType": "AwsApiCall", "readOnly": true, "managementEvent": true,
        "recipientAccountId": "111122223333", "eventID": "x", "requestParameters": null,
        "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": "111122223333",
                         "arn": "arn:aws:iam::111122223333:user/alice", "userName": "alice"},
    });
    let event = wrap(&get_caller_identity).unwrap();
    let cis = generate(&Engine::profile(Profile::Cis).unwrap());
    assert!(
        !cis.patterns.iter().any(|p| eb_matches(p, &event)),
        "{:#?}",
        cis.patterns
    );
    // The default profile's external-access rule cannot compare the two account ids, so it selects this call
    // (and says so); made by a service on the principal's behalf, it is left out.
    let default = generate(&Engine::profile(Profile::Recommended).unwrap());
    assert!(default.patterns.iter().any(|p| eb_matches(p, &event)));
    assert!(default
        .widened_by
        .iter()
        .any(|w| w.rule_id == "external-principal-access"));
    let mut by_service = get_caller_identity.clone();
    by_service["userIdentity"]["invokedBy"] = json!("cloudformation.amazonaws.com");
    let event = wrap(&by_service).unwrap();
    assert!(!default.patterns.iter().any(|p| eb_matches(p, &event)));
    // A denied call is selected (CIS 4.1), whatever it was.
    let mut denied = get_caller_identity.clone();
    denied["errorCode"] = json!("AccessDenied");
    assert!(cis
        .patterns
        .iter()
        .any(|p| eb_matches(p, &wrap(&denied).unwrap())));
}
