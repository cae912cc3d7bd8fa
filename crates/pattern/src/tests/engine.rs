//! The engine table: every operator and every semantic rule, each case with its source.

use super::{json, pattern};

/// (pattern, record, expected match)
type Case = (&'static str, &'static str, bool);

/// The doc's example event ("JSON Metric Filter Examples" / "Matching terms in JSON log events").
const DOC_EVENT: &str = r#"{
  "eventType": "UpdateTrail",
  "sourceIPAddress": "111.111.111.111",
  "arrayKey": ["value", "another value"],
  "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
  "SomeObject": null,
  "ThisFlag": true
}"#;

/// The doc's example for compound conditions ("Using compound expressions to match terms in JSON objects").
const DOC_COMPOUND: &str = r#"{
  "user": {"id": 1, "email": "John.Stiles@example.com"},
  "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
  "actions": ["GET", "PUT", "DELETE"],
  "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]]
}"#;

/// One field of every JSON type, for the "value node" rules.
const TYPES: &str = r#"{
  "s": "text", "empty": "", "n": 200, "f": 200.0, "half": 200.5, "neg": -7, "sn": "600",
  "t": true, "fa": false, "nul": null, "obj": {"a": 1}, "arr": [1, 2, 3], "strue": "true"
}"#;

fn run(section: &str, cases: &[Case]) {
    let mut failures = Vec::new();
    for (src, record, expected) in cases {
        let got = pattern(src).matches(&json(record));
        if got != *expected {
            failures.push(format!(
                "  {src}  expected {expected}, got {got}  (record {})",
                record.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{section}: {} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn doc_examples_on_the_example_event() {
    run(
        "doc examples",
        &[
            // "The following filters would match: { $.eventType = "UpdateTrail" }"
            (r#"{ $.eventType = "UpdateTrail" }"#, DOC_EVENT, true),
            // "{ $.sourceIPAddress != 123.123.* } … matches the property "sourceIPAddress" because it
            // doesn't contain a number with the prefix "123.123""
            ("{ $.sourceIPAddress != 123.123.* }", DOC_EVENT, true),
            ("{ $.sourceIPAddress = 111.111.* }", DOC_EVENT, true),
            // "{ $.arrayKey[0] = "value" } … matches the element "value" in the array "arrayKey""
            (r#"{ $.arrayKey[0] = "value" }"#, DOC_EVENT, true),
            (r#"{ $.arrayKey[1] = "another value" }"#, DOC_EVENT, true),
            // "If arrayKey is not an array this will be false" (2021 doc)
            (r#"{ $.eventType[0] = "UpdateTrail" }"#, DOC_EVENT, false),
            (r#"{ $.arrayKey[2] = "value" }"#, DOC_EVENT, false),
            // "{ $.objectList[1].id = 2 } … matches the object "id":2 in the array "objectList""
            ("{ $.objectList[1].id = 2 }", DOC_EVENT, true),
            // "If the items in objectList are not objects or do not have an id property, this will be
            // false" (2021 doc)
            ("{ $.objectList[1].key = 2 }", DOC_EVENT, false),
            ("{ $.arrayKey[0].id = 2 }", DOC_EVENT, false),
            // "The following metric filter returns JSON logs where the value of SomeObject is NULL."
            ("{ $.SomeObject IS NULL }", DOC_EVENT, true),
            // "… uses NOT EXISTS to return JSON logs that don't contain the field SomeOtherObject."
            ("{ $.SomeOtherObject NOT EXISTS }", DOC_EVENT, true),
            // "{ $.ThisFlag IS TRUE } Filters on ThisFlag being TRUE. This also works for boolean
            // filters which check for FALSE value." (2021 doc)
            ("{ $.ThisFlag IS TRUE }", DOC_EVENT, true),
            ("{ $.ThisFlag IS FALSE }", DOC_EVENT, false),
            // "The metric filter increments the metric whenever a JSON log event contain the properties
            // eventType and "sourceIPAddress"": { $.eventType = "*" && $.sourceIPAddress != 123.123.* }
            (
                r#"{ $.eventType = "*" && $.sourceIPAddress != 123.123.* }"#,
                DOC_EVENT,
                true,
            ),
            (
                r#"{ $.eventName = "*" && $.sourceIPAddress != 123.123.* }"#,
                DOC_EVENT,
                false,
            ),
            // "You can match terms using OR pattern matching in JSON filters … {$.foo = bar} matches
            // pattern 1, {$.foo = baz } matches pattern 2, and {$.foo = bar || $.foo = baz } matches
            // pattern 1 and 2" (2021 doc)
            ("{$.foo = bar}", r#"{"foo": "bar"}"#, true),
            ("{$.foo = baz }", r#"{"foo": "bar"}"#, false),
            ("{$.foo = bar || $.foo = baz }", r#"{"foo": "bar"}"#, true),
            ("{$.foo = bar || $.foo = baz }", r#"{"foo": "baz"}"#, true),
        ],
    );
}

#[test]
fn compound_expressions_and_precedence() {
    run(
        "compound expressions",
        &[
            // "Compound expressions support the use of parentheses ("()") and the following standard
            // order of operations: () > && > ||." The doc's four examples, with its verdicts:
            (
                r#"{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }"#,
                DOC_COMPOUND,
                true,
            ),
            (
                r#"{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }"#,
                DOC_COMPOUND,
                false,
            ),
            (
                r#"{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }"#,
                DOC_COMPOUND,
                true,
            ),
            (
                r#"{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }"#,
                DOC_COMPOUND,
                false,
            ),
            // Nested array indexes: `$.coordinates[0][1]`.
            ("{ $.coordinates[0][1] = 1 }", DOC_COMPOUND, true),
            ("{ $.coordinates[2][2] >= 9 }", DOC_COMPOUND, true),
            // `&&` binds tighter than `||` on both sides, without parentheses.
            (
                "{ $.user.id = 1 || $.user.id = 5 && $.user.id = 6 }",
                DOC_COMPOUND,
                true,
            ),
            (
                "{ $.user.id = 5 && $.user.id = 6 || $.user.id = 1 }",
                DOC_COMPOUND,
                true,
            ),
            (
                "{ ($.user.id = 1 || $.user.id = 5) && $.user.id = 6 }",
                DOC_COMPOUND,
                false,
            ),
            // Parentheses nest arbitrarily.
            (
                "{ ((($.user.id = 1))) && ((($.actions[0] = GET) || ($.actions[0] = POST))) }",
                DOC_COMPOUND,
                true,
            ),
            (
                "{ (($.user.id = 1) && (($.actions[0] = PUT) || ($.actions[0] = POST))) }",
                DOC_COMPOUND,
                false,
            ),
        ],
    );
}

#[test]
fn value_nodes_only_strings_and_numbers() {
    run(
        "value nodes",
        &[
            // "Property selectors point to value nodes in JSON log events. Value nodes can be strings or
            // numbers. … If a property selector points to an array or object, the metric filter won't
            // match the log format." The 2021 doc: "both {$.users = 1} and {$.users != 1} will fail to
            // match a log event where users is an array".
            ("{$.users = 1}", r#"{"users": [1, 2, 3]}"#, false),
            ("{$.users != 1}", r#"{"users": [1, 2, 3]}"#, false),
            ("{ $.obj = x }", TYPES, false),
            ("{ $.obj != x }", TYPES, false),
            ("{ $.arr > 0 }", TYPES, false),
            (r#"{ $.obj = "*" }"#, TYPES, false),
            (r#"{ $.arr = "*" }"#, TYPES, false),
            // `!=` on a missing field is false: DataBiosphere/azul#5884, tested in the CloudWatch
            // console: this pattern on this record gave "Result: no match".
            (
                r#"{($.errorCode = "AccessDenied") && ($.userIdentity.invokedBy != "cloudfront.amazonaws.com")}"#,
                r#"{"errorCode": "AccessDenied", "userIdentity": {"accountId": "anonymous"}}"#,
                false,
            ),
            (
                r#"{($.errorCode = "AccessDenied") && ($.userIdentity.invokedBy != "cloudfront.amazonaws.com")}"#,
                r#"{"errorCode": "AccessDenied", "userIdentity": {"invokedBy": "config.amazonaws.com"}}"#,
                true,
            ),
            ("{ $.missing != x }", TYPES, false),
            ("{ $.missing = x }", TYPES, false),
            ("{ $.missing < 5 }", TYPES, false),
            // null and booleans are not value nodes either, so neither `=` nor `!=` holds; they are
            // tested with IS NULL / IS TRUE / IS FALSE ("The IS variable can match fields that contain
            // the values NULL, TRUE, or FALSE"). Field report of real CloudWatch behaviour: "The alarm
            // filter `$.readOnly = false` was valid and never matched (boolean, not string)".
            ("{ $.nul != x }", TYPES, false),
            ("{ $.nul = null }", TYPES, false),
            (r#"{ $.nul = "*" }"#, TYPES, false),
            ("{ $.t = true }", TYPES, false),
            (r#"{ $.t = "true" }"#, TYPES, false),
            ("{ $.t != false }", TYPES, false),
            ("{ $.fa = false }", TYPES, false),
            (r#"{ $.t = "*" }"#, TYPES, false),
            ("{ $.t > 0 }", TYPES, false),
            // …while a string "true" is a string.
            (r#"{ $.strue = "true" }"#, TYPES, true),
            ("{ $.strue = true }", TYPES, true),
        ],
    );
}

#[test]
fn is_null_is_true_is_false_not_exists() {
    run(
        "IS / NOT EXISTS",
        &[
            // "This will only be true is the specified object is set to null." (2021 doc)
            ("{ $.nul IS NULL }", TYPES, true),
            ("{ $.missing IS NULL }", TYPES, false),
            ("{ $.empty IS NULL }", TYPES, false),
            ("{ $.obj IS NULL }", TYPES, false),
            ("{ $.arr IS NULL }", TYPES, false),
            // "This will only be true if specified object does not exist in log data." (2021 doc)
            // null, objects and arrays exist.
            ("{ $.missing NOT EXISTS }", TYPES, true),
            ("{ $.nul NOT EXISTS }", TYPES, false),
            ("{ $.obj NOT EXISTS }", TYPES, false),
            ("{ $.arr NOT EXISTS }", TYPES, false),
            ("{ $.s NOT EXISTS }", TYPES, false),
            ("{ $.obj.b NOT EXISTS }", TYPES, true),
            ("{ $.arr[3] NOT EXISTS }", TYPES, true),
            // A path through a string does not exist.
            ("{ $.s.deeper NOT EXISTS }", TYPES, true),
            // IS TRUE / IS FALSE are for JSON booleans only.
            ("{ $.t IS TRUE }", TYPES, true),
            ("{ $.fa IS FALSE }", TYPES, true),
            ("{ $.fa IS TRUE }", TYPES, false),
            ("{ $.strue IS TRUE }", TYPES, false),
            ("{ $.n IS TRUE }", TYPES, false),
            ("{ $.missing IS FALSE }", TYPES, false),
            // Keywords need no parentheses and combine like any term.
            (
                "{ $.t IS TRUE && $.nul IS NULL && $.missing NOT EXISTS }",
                TYPES,
                true,
            ),
        ],
    );
}

#[test]
fn equality_on_strings() {
    run(
        "string equality",
        &[
            ("{ $.s = text }", TYPES, true),
            (r#"{ $.s = "text" }"#, TYPES, true),
            ("{ $.s != text }", TYPES, false),
            ("{ $.s != other }", TYPES, true),
            // "Filter patterns are case sensitive."
            ("{ $.s = TEXT }", TYPES, false),
            ("{ $.s != TEXT }", TYPES, true),
            (r#"{ $.eventType = "updatetrail" }"#, DOC_EVENT, false),
            // "The items in the JSON log event data must exactly match the metric filter." (2021 doc)
            ("{ $.s = tex }", TYPES, false),
            ("{ $.s = texts }", TYPES, false),
            (r#"{ $.empty = "" }"#, TYPES, true),
            (r#"{ $.s = "" }"#, TYPES, false),
            // Escapes in quoted strings: `\"` and `\\`; other backslashes are kept.
            (r#"{ $.q = "say \"hi\"" }"#, r#"{"q": "say \"hi\""}"#, true),
            (r#"{ $.q = "C:\\dir" }"#, r#"{"q": "C:\\dir"}"#, true),
            (r#"{ $.q = "a\nb" }"#, r#"{"q": "a\\nb"}"#, true),
            // Inside quotes, the pattern's own syntax characters are plain text.
            (
                r#"{ $.q = "a } ( && || = $.b" }"#,
                r#"{"q": "a } ( && || = $.b"}"#,
                true,
            ),
            // Unicode must be quoted ("Strings that have unicode and other characters … must be
            // enclosed in double quotes", 2021 doc), and then matches.
            (r#"{ $.q = "grün" }"#, r#"{"q": "grün"}"#, true),
            // Bare values with `.`, `:`, `/`, `-`, `_`, `@` are accepted, as in the CIS patterns
            // (`kms.amazonaws.com`, `delivery.logs.amazonaws.com`) and the doc (`123.123.*`).
            (
                "{ $.q = kms.amazonaws.com }",
                r#"{"q": "kms.amazonaws.com"}"#,
                true,
            ),
            (
                "{ $.q = arn:aws:iam::123456789012:user/a-b_c@d }",
                r#"{"q": "arn:aws:iam::123456789012:user/a-b_c@d"}"#,
                true,
            ),
            // Selector keys with `-`, `_` and digits ("alphanumeric strings that support hyphen ("-")
            // and underscore ("_") characters").
            (
                "{ $.a-b.c_d.e1 = x }",
                r#"{"a-b": {"c_d": {"e1": "x"}}}"#,
                true,
            ),
        ],
    );
}

#[test]
fn wildcards() {
    run(
        "wildcards",
        &[
            // "Use the asterisk ("*") as a wild card to match text." 2021 doc: "*Event will match
            // PutEvent and GetEvent. Event* will match EventId and EventName."
            ("{ $.e = *Event }", r#"{"e": "PutEvent"}"#, true),
            ("{ $.e = *Event }", r#"{"e": "EventId"}"#, false),
            ("{ $.e = Event* }", r#"{"e": "EventName"}"#, true),
            ("{ $.e = Event* }", r#"{"e": "PutEvent"}"#, false),
            ("{ $.e = Event* }", r#"{"e": "Event"}"#, true),
            // Infix and several stars (the 2023 doc no longer restricts the star's position; its
            // space-delimited examples use `*.html*`). The 2021 doc said "Ev*ent will only match the
            // actual string Ev*ent"; we follow the current text (see the module docs).
            ("{ $.e = Ev*ent }", r#"{"e": "EvXent"}"#, true),
            ("{ $.e = Ev*ent }", r#"{"e": "Evnt"}"#, false),
            (
                r#"{ $.e = "*AWSReservedSSO*" }"#,
                r#"{"e": "arn:aws:sts::1:assumed-role/AWSReservedSSO_A/b"}"#,
                true,
            ),
            (
                r#"{ $.e = "*AWSReservedSSO*" }"#,
                r#"{"e": "arn:aws:sts::1:assumed-role/Admin/b"}"#,
                false,
            ),
            ("{ $.e = a*b*c }", r#"{"e": "a12b34c"}"#, true),
            ("{ $.e = a*b*c }", r#"{"e": "a12c34b"}"#, false),
            // Quoted or not, `*` is a wildcard (CIS 4.1 is written both ways).
            (
                r#"{ $.errorCode = "AccessDenied*" }"#,
                r#"{"errorCode": "AccessDeniedException"}"#,
                true,
            ),
            (
                "{ $.errorCode = AccessDenied* }",
                r#"{"errorCode": "AccessDeniedException"}"#,
                true,
            ),
            (
                "{ $.errorCode = *UnauthorizedOperation }",
                r#"{"errorCode": "Client.UnauthorizedOperation"}"#,
                true,
            ),
            // Wildcards are case-sensitive too.
            (
                "{ $.errorCode = accessdenied* }",
                r#"{"errorCode": "AccessDenied"}"#,
                false,
            ),
            // `= "*"` is "present with a string or number value": the doc uses it to require that
            // "a JSON log event contain the properties eventType …"; CDK's `FilterPattern.exists()`
            // renders as `field = "*"`.
            (r#"{ $.s = "*" }"#, TYPES, true),
            (r#"{ $.empty = "*" }"#, TYPES, true),
            (r#"{ $.n = "*" }"#, TYPES, true),
            (r#"{ $.missing = "*" }"#, TYPES, false),
            ("{ $.s != * }", TYPES, false),
            ("{ $.missing != * }", TYPES, false),
            // "{ $.latency = * } metricValue: $.latency … matches the term "latency" in the example JSON
            // log event and publishes a numeric value of 50"; for numbers, "Use the asterisk ("*") as a
            // wild card to match numbers": wildcards see the number's text.
            (
                "{ $.latency = * }",
                r#"{"latency": 50, "requestType": "GET"}"#,
                true,
            ),
            ("{ $.status = 4* }", r#"{"status": 404}"#, true),
            ("{ $.status = 4* }", r#"{"status": 500}"#, false),
            ("{ $.status != 4* }", r#"{"status": 500}"#, true),
            ("{ $.half = *.5 }", TYPES, true),
        ],
    );
}

#[test]
fn numbers() {
    run(
        "numbers",
        &[
            // The doc's numeric examples: "{ $.latency >= 500 } { $.numbers[0] < 10e3 }
            // { $.numbers[0] < 10e-3 } { $.processes[4].averageRuntime <= 55.5 } { $.errorCode = 400 }
            // { $.errorCode != 500 } { $.latency > +1000 }" and "{ $.number[0] = 1e-3 }
            // { $.number[0] != 1e+3 }".
            ("{ $.latency >= 500 }", r#"{"latency": 500}"#, true),
            ("{ $.latency >= 500 }", r#"{"latency": 499}"#, false),
            ("{ $.latency > 500 }", r#"{"latency": 500}"#, false),
            ("{ $.latency < 500 }", r#"{"latency": 499.9}"#, true),
            ("{ $.latency <= 500 }", r#"{"latency": 500.0}"#, true),
            ("{ $.numbers[0] < 10e3 }", r#"{"numbers": [9999]}"#, true),
            ("{ $.numbers[0] < 10e-3 }", r#"{"numbers": [0.001]}"#, true),
            ("{ $.numbers[0] < 10e-3 }", r#"{"numbers": [1]}"#, false),
            (
                "{ $.processes[4].averageRuntime <= 55.5 }",
                r#"{"processes": [{}, {}, {}, {}, {"averageRuntime": 55.5}]}"#,
                true,
            ),
            ("{ $.errorCode = 400 }", r#"{"errorCode": 400}"#, true),
            ("{ $.errorCode != 500 }", r#"{"errorCode": 400}"#, true),
            ("{ $.errorCode != 500 }", r#"{"errorCode": 500}"#, false),
            ("{ $.latency > +1000 }", r#"{"latency": 1001}"#, true),
            ("{ $.latency > -1000 }", r#"{"latency": -999}"#, true),
            ("{ $.number[0] = 1e-3 }", r#"{"number": [0.001]}"#, true),
            ("{ $.number[0] != 1e+3 }", r#"{"number": [1000]}"#, false),
            // An unquoted number compares numerically: `= 200` matches 200 and 200.0.
            ("{ $.n = 200 }", TYPES, true),
            ("{ $.f = 200 }", TYPES, true),
            ("{ $.f = 2e2 }", TYPES, true),
            ("{ $.half = 200 }", TYPES, false),
            ("{ $.half != 200 }", TYPES, true),
            ("{ $.neg = -7 }", TYPES, true),
            ("{ $.neg < -6.5 }", TYPES, true),
            // Integers compare exactly (these two differ but are equal as f64).
            (
                "{ $.big = 9007199254740993 }",
                r#"{"big": 9007199254740992}"#,
                false,
            ),
            (
                "{ $.big = 9007199254740992 }",
                r#"{"big": 9007199254740992}"#,
                true,
            ),
            // Decision: an unquoted number against a string field compares numerically when the string
            // is entirely a NUMBER (as for space-delimited fields, which are strings yet support
            // `bytes > 1000`; and the 2021 doc's example "the recipientAccountId is 123456789012", a
            // string in CloudTrail). Other strings are not equal and not ordered.
            ("{ $.sn = 600 }", TYPES, true),
            ("{ $.sn > 500 }", TYPES, true),
            ("{ $.sn != 600 }", TYPES, false),
            (
                "{ $.recipientAccountId = 123456789012 }",
                r#"{"recipientAccountId": "123456789012"}"#,
                true,
            ),
            ("{ $.s = 200 }", TYPES, false),
            ("{ $.s != 200 }", TYPES, true),
            ("{ $.s > 5 }", TYPES, false),
            ("{ $.s < 5 }", TYPES, false),
            // A quoted value is a string; against a number it compares with the number's text.
            (r#"{ $.n = "200" }"#, TYPES, true),
            (r#"{ $.half = "200.5" }"#, TYPES, true),
            (r#"{ $.half = "200" }"#, TYPES, false),
            (r#"{ $.sn = "600" }"#, TYPES, true),
            (r#"{ $.sn = "600.0" }"#, TYPES, false),
            // Numeric operators on anything that is not a number (or numeric string) do not match.
            ("{ $.nul >= 0 }", TYPES, false),
            ("{ $.obj < 1 }", TYPES, false),
            ("{ $.missing > -1 }", TYPES, false),
        ],
    );
}

#[test]
fn spacing_is_optional() {
    // Whitespace is optional around operators and parentheses, as the CIS texts rely on:
    // `($.errorCode =AccessDenied*)`, `($.eventName!=HeadBucket)`, `{$.userIdentity.type="Root" && …}`.
    let record = r#"{"errorCode": "AccessDeniedException", "eventName": "GetObject", "n": 5}"#;
    run(
        "spacing",
        &[
            (r#"{$.errorCode="AccessDenied*"}"#, record, true),
            ("{ $.errorCode = AccessDenied* }", record, true),
            ("{$.eventName!=HeadBucket}", record, true),
            (
                "{($.errorCode =AccessDenied*)&&($.eventName!=HeadBucket)}",
                record,
                true,
            ),
            ("{$.n>4&&$.n<6&&$.n>=5&&$.n<=5}", record, true),
            ("  {  $.n  =  5  }  ", record, true),
            ("\n{\n\t($.n = 5)\n\t|| ($.n = 6)\n}\n", record, true),
            ("{$.eventName NOT EXISTS||$.n=5}", record, true),
        ],
    );
}
