//! The public API besides `matches`: `source`, `required_values`, `explain`, other documents.

use super::{cis, json, pattern};
use crate::{Document, Lookup, Number, PathStep, Pattern, TermOutcome};

#[test]
fn pattern_is_clone_debug_send_sync() {
    fn assert_traits<T: Clone + std::fmt::Debug + Send + Sync + 'static>() {}
    assert_traits::<Pattern>();
}

#[test]
fn source_display_and_from_str_keep_the_text() {
    let src = "  {$.a = 1}  ";
    let p: Pattern = src.parse().unwrap();
    assert_eq!(p.source(), src);
    assert_eq!(p.to_string(), src);
}

#[test]
fn required_values_for_indexing() {
    let names = |src: &str| {
        pattern(src)
            .required_values("$.eventName")
            .map(|v| v.join(","))
    };
    // A single equality.
    assert_eq!(
        names(r#"{ $.eventName = "ConsoleLogin" }"#),
        Some("ConsoleLogin".into())
    );
    // An `||` of equalities: their union, sorted and deduplicated.
    assert_eq!(
        names(
            "{($.eventName=StopLogging) || ($.eventName=CreateTrail) || ($.eventName=StopLogging)}"
        ),
        Some("CreateTrail,StopLogging".into())
    );
    // `&&` with an unrelated term keeps the constraint.
    assert_eq!(
        names(r#"{($.eventName="ConsoleLogin") && ($.additionalEventData.MFAUsed !="Yes")}"#),
        Some("ConsoleLogin".into())
    );
    // `&&` of two constraints: the intersection (empty = can never match).
    assert_eq!(
        names("{ ($.eventName = A || $.eventName = B) && ($.eventName = B || $.eventName = C) }"),
        Some("B".into())
    );
    assert_eq!(
        pattern("{ $.eventName = A && $.eventName = B }").required_values("$.eventName"),
        Some(vec![])
    );
    // An `||` branch without an eventName term: unconstrained.
    assert_eq!(
        names(r#"{ $.eventName = "ConsoleLogin" || $.errorCode = "AccessDenied*" }"#),
        None
    );
    // Wildcards, numbers, `!=`, NOT EXISTS do not constrain to a finite set.
    assert_eq!(names("{ $.eventName = Put* }"), None);
    assert_eq!(names("{ $.eventName = 200 }"), None);
    assert_eq!(names("{ $.eventName != HeadBucket }"), None);
    assert_eq!(names("{ $.eventName NOT EXISTS }"), None);
    // Another selector is not eventName; a malformed selector constrains nothing.
    assert_eq!(names("{ $.eventSource = kms.amazonaws.com }"), None);
    assert_eq!(
        pattern("{ $.eventName = A }").required_values("eventName"),
        None
    );
    assert_eq!(
        pattern("{ $.a[0].b = A }").required_values("$.a[0].b"),
        Some(vec!["A"])
    );
    // The CIS catalog: 4.7 is eventName-constrained under its eventSource guard; 4.1 is not.
    assert_eq!(
        names("{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}"),
        Some("DisableKey,ScheduleKeyDeletion".into())
    );
    assert_eq!(
        names(r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#),
        None
    );
}

#[test]
fn required_fields_lists_each_constrained_field_once_in_order() {
    let fields = |src: &str| {
        pattern(src)
            .required_fields()
            .into_iter()
            .map(|(path, values)| {
                let path: Vec<String> = path
                    .iter()
                    .map(|step| match step {
                        PathStep::Key(k) => k.to_string(),
                        PathStep::Index(i) => format!("[{i}]"),
                    })
                    .collect();
                format!("{}={}", path.join("."), values.join(","))
            })
            .collect::<Vec<_>>()
    };
    // CIS 4.3: only userIdentity.type is exact (`NOT EXISTS` and `!=` constrain nothing).
    assert_eq!(
        fields(
            r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#
        ),
        ["userIdentity.type=Root"]
    );
    // Two exact fields, in source order; a repeated field once, with the intersection of its values.
    assert_eq!(
        fields("{ $.eventSource = s3.amazonaws.com && ($.eventName = B || $.eventName = A) && $.eventSource = s3.amazonaws.com }"),
        ["eventSource=s3.amazonaws.com", "eventName=A,B"]
    );
    // A field only one `||` branch constrains is not listed; wildcards and numbers are not exact.
    assert_eq!(fields("{ $.a = x || ($.b = y && $.a = z) }"), ["a=x,z"]);
    assert!(fields("{ $.a = x || $.b = y }").is_empty());
    assert!(fields("{ $.a = x* && $.b = 5 && $.c != d }").is_empty());
    assert_eq!(fields("{ $.r[0].arn = q }"), ["r.[0].arn=q"]);
}

#[test]
fn required_values_never_exclude_a_match() {
    // Soundness over the CIS patterns: whenever a record matches, its eventName is in the set.
    let records = [
        r#"{"eventName": "StopLogging", "eventSource": "cloudtrail.amazonaws.com"}"#,
        r#"{"eventName": "DisableKey", "eventSource": "kms.amazonaws.com"}"#,
        r#"{"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}, "userIdentity": {"type": "IAMUser"}, "responseElements": {"ConsoleLogin": "Success"}}"#,
        r#"{"eventName": "LeaveOrganization", "eventSource": "organizations.amazonaws.com"}"#,
        r#"{"eventName": "GetObject", "errorCode": "AccessDenied", "sourceIPAddress": "1.2.3.4"}"#,
    ];
    for src in cis::ALL {
        let p = pattern(src);
        let Some(values) = p.required_values("$.eventName") else {
            continue;
        };
        for record in records {
            let doc = json(record);
            if p.matches(&doc) {
                let name = doc["eventName"].as_str().unwrap();
                assert!(values.contains(&name), "{src}: {name} not in {values:?}");
            }
        }
    }
}

#[test]
fn explain_reports_every_term_in_order() {
    let p = pattern(
        "{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && ($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }",
    );
    let doc = json(
        r#"{"errorCode": "AccessDenied", "sourceIPAddress": "delivery.logs.amazonaws.com", "eventName": "PutObject"}"#,
    );
    let outcome = |term: &str, matched| TermOutcome {
        term: term.to_owned(),
        matched,
    };
    assert_eq!(
        p.explain(&doc),
        vec![
            outcome("$.errorCode =*UnauthorizedOperation", false),
            outcome("$.errorCode =AccessDenied*", true),
            outcome("$.sourceIPAddress!=delivery.logs.amazonaws.com", false),
            outcome("$.eventName!=HeadBucket", true),
        ]
    );
    assert!(!p.matches(&doc));
    let keywords = pattern("{$.a IS NULL && $.b NOT EXISTS}").explain(&json(r#"{"a": null}"#));
    assert_eq!(
        keywords,
        vec![
            outcome("$.a IS NULL", true),
            outcome("$.b NOT EXISTS", true)
        ]
    );
}

/// A document that is not `serde_json::Value`: a flat list of (key, value) with numbers as text, as a
/// borrowed parser would keep them.
struct Flat(Vec<(&'static str, Lookup<'static>)>);

impl Document for Flat {
    fn lookup(&self, path: &[PathStep]) -> Lookup<'_> {
        match path {
            [PathStep::Key(k)] => self
                .0
                .iter()
                .find(|(name, _)| *name == &**k)
                .map_or(Lookup::Missing, |(_, v)| *v),
            _ => Lookup::Missing,
        }
    }
}

#[test]
fn any_document_works() {
    let doc = Flat(vec![
        ("latency", Lookup::Number(Number::Text("200.0"))),
        ("status", Lookup::Number(Number::Text("404"))),
        ("name", Lookup::String("GetObject")),
        ("flag", Lookup::Bool(true)),
        ("gone", Lookup::Null),
        ("nested", Lookup::Compound),
    ]);
    for (src, expected) in [
        ("{ $.latency = 200 }", true),
        ("{ $.latency > 199.5 }", true),
        // Wildcards see the number's own text.
        ("{ $.latency = 200.* }", true),
        ("{ $.status = 4* }", true),
        (r#"{ $.latency = "200" }"#, false),
        (
            "{ $.name = Get* && $.flag IS TRUE && $.gone IS NULL && $.other NOT EXISTS }",
            true,
        ),
        ("{ $.nested = * }", false),
        ("{ $.nested NOT EXISTS }", false),
    ] {
        assert_eq!(pattern(src).matches(&doc), expected, "{src}");
    }
    // `&D` is a document too, and `D` may be unsized.
    let p = pattern("{ $.name = GetObject }");
    assert!(p.matches(&&doc));
    let dyn_doc: &dyn Document = &doc;
    assert!(p.matches(dyn_doc));
}
