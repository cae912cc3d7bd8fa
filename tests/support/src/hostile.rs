//! Hostile CloudTrail log files, built as raw bytes (so they can carry escapes and bytes a serializer would not
//! write), for the suites that feed the same attacks to the reader, `trailwarden scan` and the handler.

/// A successful `StopLogging` record with `eventID` `id`; `extra` is inserted verbatim as further members. A
/// `userIdentity` (IAM user `mallory`) is added unless `extra` brings its own.
pub fn stop_logging(id: &str, extra: &[u8]) -> Vec<u8> {
    let mut r = format!(
        r#"{{"eventVersion":"1.09","eventID":"{id}","eventTime":"2026-11-23T10:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","eventType":"AwsApiCall","recipientAccountId":"111122223333""#
    )
    .into_bytes();
    if !extra.is_empty() {
        r.push(b',');
        r.extend_from_slice(extra);
    }
    if !extra.windows(15).any(|w| w == br#""userIdentity":"#) {
        r.extend_from_slice(
            br#","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333"}"#,
        );
    }
    r.push(b'}');
    r
}

/// A `StopLogging` whose root object has `n` further keys sharing their first 8 bytes.
pub fn many_keys(id: &str, n: usize) -> Vec<u8> {
    let mut extra = String::with_capacity(n * 20);
    for i in 0..n {
        if i > 0 {
            extra.push(',');
        }
        extra.push_str(&format!(r#""prefix00{i:06}":0"#));
    }
    stop_logging(id, extra.as_bytes())
}

/// Lone surrogate escapes in fields an attacker controls, as extra members for [`stop_logging`] (id, members):
/// the user agent, the principal's ARN, request parameters (a value and a key), and the edges (a low surrogate
/// first, a valid pair, a high surrogate at the very end of the string).
pub const LONE_SURROGATE_CASES: [(&str, &[u8]); 4] = [
    ("ua", br#""userAgent":"aws-cli/2 \ud800 evil""#),
    (
        "arn",
        br#""userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/\udfff","accountId":"111122223333"}"#,
    ),
    (
        "params",
        br#""requestParameters":{"name":"trail-\udbff\ud800x","\ud800key":"v"}"#,
    ),
    ("edge", br#""userAgent":"\udc00\ud83d\ude00\ud800""#),
];

/// `{"Records":[e0,e1,…]}`.
pub fn log(elements: &[Vec<u8>]) -> Vec<u8> {
    let mut out = br#"{"Records":["#.to_vec();
    for (i, e) in elements.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(e);
    }
    out.extend_from_slice(b"]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_carry_one_user_identity_and_files_hold_every_record() {
        let own =
            String::from_utf8(stop_logging("c", br#""userIdentity":{"type":"Root"}"#)).unwrap();
        assert_eq!(own.matches("userIdentity").count(), 1, "{own}");
        assert!(own.contains(r#""eventID":"c""#) && own.ends_with("}}"));
        let added = String::from_utf8(stop_logging("a", b"")).unwrap();
        assert!(added.contains("user/mallory"), "{added}");
        let keys = String::from_utf8(many_keys("b", 3)).unwrap();
        assert!(keys.contains(r#""prefix00000000":0,"prefix00000001":0,"prefix00000002":0"#));
        let file = String::from_utf8(log(&[stop_logging("a", b""), many_keys("b", 3)])).unwrap();
        assert!(file.starts_with(r#"{"Records":[{"#) && file.ends_with("}]}"));
        assert_eq!(file.matches(r#""eventName":"StopLogging""#).count(), 2);
        assert_eq!(log(&[]), br#"{"Records":[]}"#);
    }
}
