//! `--since` / `--until`: the time window of a run.
//!
//! Records are kept when their `eventTime` is inside the window. Files are pruned by the date in their key
//! (`…/CloudTrail/<region>/YYYY/MM/DD/…`, the delivery date, read by [`cloudtrail::key_date`]) before they are
//! read, with a one-day margin on
//! each side: CloudTrail delivers a file minutes (rarely hours) after its events, so a file dated D can hold
//! events of D-1 late evening; reading one more day on each side costs little and the event-time filter is
//! exact.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use std::fmt;

/// One bound as given on the command line: a day, or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// `YYYY-MM-DD` (UTC): the whole day.
    Day(NaiveDate),
    /// An RFC 3339 time, e.g. `2024-01-15T12:00:00Z` or `2024-01-15T13:00:00+01:00`.
    Instant(DateTime<Utc>),
}

impl Bound {
    /// Parses `YYYY-MM-DD` or RFC 3339 (for clap).
    pub fn parse(s: &str) -> Result<Bound, String> {
        let s = s.trim();
        if let Ok(day) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Bound::Day(day));
        }
        DateTime::parse_from_rfc3339(s)
            .map(|t| Bound::Instant(t.with_timezone(&Utc)))
            .map_err(|_| {
                format!(
                    "{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time (e.g. 2024-01-15T12:00:00Z)"
                )
            })
    }

    fn date(self) -> NaiveDate {
        match self {
            Bound::Day(d) => d,
            Bound::Instant(t) => t.date_naive(),
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Day(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Bound::Instant(t) => write!(f, "{}", t.to_rfc3339()),
        }
    }
}

/// Where a file's key date lies relative to the (widened) window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatePosition {
    /// Too early: files of this day cannot hold events in the window.
    Before,
    /// May hold events in the window.
    Inside,
    /// Too late.
    After,
}

/// The time window: both bounds inclusive (`--until DAY` includes the whole day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    since: Option<DateTime<Utc>>,
    /// Exclusive end for `--until DAY` (the next midnight), inclusive for an instant.
    until: Option<(DateTime<Utc>, bool)>,
    since_day: Option<NaiveDate>,
    until_day: Option<NaiveDate>,
}

impl Window {
    pub fn new(since: Option<Bound>, until: Option<Bound>) -> anyhow::Result<Window> {
        let since_t = since.map(|b| match b {
            Bound::Day(d) => d.and_time(NaiveTime::MIN).and_utc(),
            Bound::Instant(t) => t,
        });
        let until_t = until.map(|b| match b {
            Bound::Day(d) => (
                d.checked_add_days(Days::new(1))
                    .unwrap_or(d)
                    .and_time(NaiveTime::MIN)
                    .and_utc(),
                false,
            ),
            Bound::Instant(t) => (t, true),
        });
        if let (Some(s), Some((u, inclusive))) = (since_t, until_t) {
            if s > u || (s == u && !inclusive) {
                anyhow::bail!(
                    "--since {} is after --until {}",
                    since.map(|b| b.to_string()).unwrap_or_default(),
                    until.map(|b| b.to_string()).unwrap_or_default()
                );
            }
        }
        Ok(Window {
            since: since_t,
            until: until_t,
            since_day: since.map(Bound::date),
            until_day: until.map(Bound::date),
        })
    }

    /// Whether a bound is set.
    pub fn is_set(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Whether a record with this `eventTime` is kept. Without a window every record is; with one, a record
    /// without a readable `eventTime` is not (it cannot be placed in the window).
    pub fn contains_event_time(&self, event_time: Option<&str>) -> bool {
        if !self.is_set() {
            return true;
        }
        let Some(t) = event_time.and_then(cloudtrail::vocab::event_time) else {
            return false;
        };
        if self.since.is_some_and(|s| t < s) {
            return false;
        }
        match self.until {
            Some((u, true)) => t <= u,
            Some((u, false)) => t < u,
            None => true,
        }
    }

    /// Where a file whose key date is `day` lies, with the one-day margin on each side.
    pub fn position(&self, day: NaiveDate) -> DatePosition {
        if let Some(lo) = self.first_day() {
            if day < lo {
                return DatePosition::Before;
            }
        }
        if let Some(hi) = self.last_day() {
            if day > hi {
                return DatePosition::After;
            }
        }
        DatePosition::Inside
    }

    /// The earliest key date that may hold events in the window (`--since` minus one day).
    pub fn first_day(&self) -> Option<NaiveDate> {
        self.since_day
            .map(|d| d.checked_sub_days(Days::new(1)).unwrap_or(d))
    }

    /// The latest key date that may hold events in the window (`--until` plus one day).
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.until_day
            .map(|d| d.checked_add_days(Days::new(1)).unwrap_or(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn window(since: Option<&str>, until: Option<&str>) -> Window {
        Window::new(
            since.map(|s| Bound::parse(s).unwrap()),
            until.map(|s| Bound::parse(s).unwrap()),
        )
        .unwrap()
    }

    #[test]
    fn parses_days_and_instants() {
        assert_eq!(
            Bound::parse("2024-01-15").unwrap(),
            Bound::Day(day("2024-01-15"))
        );
        let Bound::Instant(t) = Bound::parse("2024-01-15T13:00:00+01:00").unwrap() else {
            panic!("an instant")
        };
        assert_eq!(t.to_rfc3339(), "2024-01-15T12:00:00+00:00");
        assert!(Bound::parse("yesterday").unwrap_err().contains("RFC 3339"));
        assert!(Bound::parse("2024-13-01").is_err());
    }

    #[test]
    fn days_are_whole_and_inclusive() {
        let w = window(Some("2024-01-15"), Some("2024-01-15"));
        assert!(w.contains_event_time(Some("2024-01-15T00:00:00Z")));
        assert!(w.contains_event_time(Some("2024-01-15T23:59:59Z")));
        assert!(!w.contains_event_time(Some("2024-01-16T00:00:00Z")));
        assert!(!w.contains_event_time(Some("2024-01-14T23:59:59Z")));
        assert!(!w.contains_event_time(None), "no eventTime: outside");
        assert!(!w.contains_event_time(Some("garbage")));
    }

    #[test]
    fn instants_are_inclusive() {
        let w = window(Some("2024-01-15T12:00:00Z"), Some("2024-01-15T12:05:00Z"));
        assert!(w.contains_event_time(Some("2024-01-15T12:00:00Z")));
        assert!(w.contains_event_time(Some("2024-01-15T12:05:00Z")));
        assert!(w.contains_event_time(Some("2024-01-15T13:02:00+01:00")));
        assert!(!w.contains_event_time(Some("2024-01-15T12:05:01Z")));
    }

    #[test]
    fn no_window_keeps_everything() {
        let w = Window::default();
        assert!(!w.is_set());
        assert!(w.contains_event_time(None));
        assert_eq!(w.position(day("1999-01-01")), DatePosition::Inside);
    }

    #[test]
    fn key_dates_get_a_day_of_margin() {
        let w = window(Some("2024-01-15"), Some("2024-01-20T08:00:00Z"));
        assert_eq!(w.position(day("2024-01-13")), DatePosition::Before);
        assert_eq!(w.position(day("2024-01-14")), DatePosition::Inside);
        assert_eq!(w.position(day("2024-01-21")), DatePosition::Inside);
        assert_eq!(w.position(day("2024-01-22")), DatePosition::After);
        let open = window(None, Some("2024-01-20"));
        assert_eq!(open.position(day("2000-01-01")), DatePosition::Inside);
        assert_eq!(open.position(day("2024-01-22")), DatePosition::After);
    }

    #[test]
    fn since_after_until_is_an_error() {
        let e = Window::new(
            Some(Bound::parse("2024-02-01").unwrap()),
            Some(Bound::parse("2024-01-01").unwrap()),
        )
        .unwrap_err();
        assert!(e.to_string().contains("is after --until"), "{e}");
    }
}
