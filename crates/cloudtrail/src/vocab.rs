//! One vocabulary for reading a CloudTrail record: the fields every reader of records (the rules, the
//! catalog, the threshold windows, the CLI's hunts, the function's metrics) reads the same way.

use crate::dom::Node;
use serde::{Deserialize, Serialize};

/// The string at `path` (keys from the record's root), if every step exists and the last value is a JSON
/// string. Total: a missing field or one of another JSON type reads as absent.
pub fn str_at<'v>(record: Node<'v>, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(record, |v, key| v.get(key))?.as_str()
}

/// `eventName`.
pub fn event_name(record: Node<'_>) -> Option<&str> {
    record.get("eventName")?.as_str()
}

/// `eventSource`.
pub fn event_source(record: Node<'_>) -> Option<&str> {
    record.get("eventSource")?.as_str()
}

/// `eventType`.
pub fn event_type(record: Node<'_>) -> Option<&str> {
    record.get("eventType")?.as_str()
}

/// `errorCode`.
pub fn error_code(record: Node<'_>) -> Option<&str> {
    record.get("errorCode")?.as_str()
}

/// "Successful", exactly as the filter-pattern term `$.errorCode NOT EXISTS && $.errorMessage NOT EXISTS`:
/// neither key is present (a present `null` counts as present, as `NOT EXISTS` is false for it). The model's
/// [`Record::succeeded`](crate::model::Record::succeeded) says the same of a deserialized record.
pub fn succeeded(record: Node<'_>) -> bool {
    record.get("errorCode").is_none() && record.get("errorMessage").is_none()
}

/// The caller's name by the principal fallback: the first string of `userIdentity`'s [`PrincipalField::ALL`]
/// (`arn`, `principalId`, `userName`, `invokedBy`, `type`), with the field it came from.
pub fn principal(record: Node<'_>) -> Option<(PrincipalField, &str)> {
    let identity = record.get("userIdentity")?;
    PrincipalField::ALL
        .into_iter()
        .find_map(|field| Some((field, identity.get(field.key())?.as_str()?)))
}

/// An `eventTime` (RFC 3339: `2024-07-31T12:29:17Z`, fractions and offsets accepted) as a UTC time.
pub fn event_time(time: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// Seconds since the epoch of an `eventTime` (`2024-07-31T12:29:17Z`, fractions and offsets accepted); the
/// form CloudTrail writes is read without a general parser ([`canonical_seconds`]).
pub fn event_seconds(time: &str) -> Option<i64> {
    canonical_seconds(time).or_else(|| {
        chrono::DateTime::parse_from_rfc3339(time)
            .ok()
            .map(|t| t.timestamp())
    })
}

/// [`event_seconds`] for the form CloudTrail writes, `YYYY-MM-DDTHH:MM:SSZ`, without a general parser (it
/// runs for every event a threshold rule counts); `None` for any other form (then the RFC 3339 parser decides).
pub fn canonical_seconds(time: &str) -> Option<i64> {
    let b = time.as_bytes();
    if b.len() != 20 || b[19] != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let date =
        chrono::NaiveDate::from_ymd_opt(i32::try_from(num(0, 4)?).ok()?, num(5, 7)?, num(8, 10)?)?;
    // Seconds 0-59 only: a leap second (60) goes to the RFC 3339 parser, as before.
    let at = date.and_hms_opt(num(11, 13)?, num(14, 16)?, num(17, 19)?)?;
    Some(at.and_utc().timestamp())
}

/// The `detail-type` values of CloudTrail's events on EventBridge.
pub const DETAIL_TYPES: [&str; 4] = [
    "AWS API Call via CloudTrail",
    "AWS Console Action via CloudTrail",
    "AWS Console Sign In via CloudTrail",
    "AWS Service Event via CloudTrail",
];

/// The `detail-type` an EventBridge event carrying a record of this `eventType` has; `None` for the event
/// types CloudTrail does not send to EventBridge as a CloudTrail event (Insights, VPC endpoint events).
pub fn detail_type(event_type: &str) -> Option<&'static str> {
    Some(match event_type {
        "AwsApiCall" => DETAIL_TYPES[0],
        "AwsConsoleAction" => DETAIL_TYPES[1],
        "AwsConsoleSignIn" => DETAIL_TYPES[2],
        "AwsServiceEvent" => DETAIL_TYPES[3],
        _ => return None,
    })
}

/// A `userIdentity` field a finding's principal can come from, in the order a finding (trailwarden-rules' `Finding::new`) tries them: the principal fallback.
/// Serialized in snake_case (`arn`, `principal_id`, `user_name`, `invoked_by`, `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalField {
    Arn,
    PrincipalId,
    UserName,
    InvokedBy,
    Type,
}

impl PrincipalField {
    /// Every field, in the order a finding (trailwarden-rules' `Finding::new`) tries them: the principal fallback.
    pub const ALL: [PrincipalField; 5] = [
        PrincipalField::Arn,
        PrincipalField::PrincipalId,
        PrincipalField::UserName,
        PrincipalField::InvokedBy,
        PrincipalField::Type,
    ];

    /// The key inside `userIdentity`, e.g. `principalId`.
    pub fn key(self) -> &'static str {
        match self {
            PrincipalField::Arn => "arn",
            PrincipalField::PrincipalId => "principalId",
            PrincipalField::UserName => "userName",
            PrincipalField::InvokedBy => "invokedBy",
            PrincipalField::Type => "type",
        }
    }

    /// The field's selector in a filter pattern or an exclusion's `match`, without `$.`, e.g.
    /// `userIdentity.principalId`.
    pub fn selector(self) -> &'static str {
        match self {
            PrincipalField::Arn => "userIdentity.arn",
            PrincipalField::PrincipalId => "userIdentity.principalId",
            PrincipalField::UserName => "userIdentity.userName",
            PrincipalField::InvokedBy => "userIdentity.invokedBy",
            PrincipalField::Type => "userIdentity.type",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dom::Parsed;

    #[test]
    fn fields_read_as_absent_when_missing_or_not_strings() {
        let v = serde_json::json!({"eventName": "X", "eventSource": 1, "userIdentity": {"arn": 2, "principalId": "p"}});
        let parsed = Parsed::from_value(&v);
        let r = parsed.root();
        assert_eq!(event_name(r), Some("X"));
        assert_eq!(event_source(r), None);
        assert_eq!(str_at(r, &["userIdentity", "principalId"]), Some("p"));
        assert_eq!(principal(r), Some((PrincipalField::PrincipalId, "p")));
        assert!(succeeded(r));
        let failed = serde_json::json!({"errorMessage": null});
        assert!(!succeeded(Parsed::from_value(&failed).root()));
    }

    #[test]
    fn event_times() {
        assert_eq!(event_seconds("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(event_seconds("1970-01-01T01:01:00+01:00"), Some(60));
        assert_eq!(event_seconds("nope"), None);
        assert_eq!(
            event_time("1970-01-01T00:01:00.5Z").map(|t| t.timestamp()),
            Some(60)
        );
        assert_eq!(detail_type("AwsConsoleSignIn"), Some(DETAIL_TYPES[2]));
        assert_eq!(detail_type("AwsVpceEvent"), None);
    }
}
