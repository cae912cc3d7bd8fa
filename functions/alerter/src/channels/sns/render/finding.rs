//! One finding as an outgoing alert: a JSON body, an email a person can act on at 3 a.m. (headline,
//! who/what/where/when, why it matters, what to check next, a console link, the record, and the exclusion
//! to paste to silence it), an SMS line and a subject.

use crate::alert::Alert;
use crate::channels::sns::render::budget::{
    cap_in_place, escaped_len, fits, line_prefix_within, prefix_at, prefix_within, size, FIELD_CAP,
    TRIM_TARGET,
};
use crate::channels::sns::render::text::{
    attributes, console_link, escape_hidden_in_strings, field, known, or, pretty_json, sms_line,
    subject_line, to_json, visible, visible_lines, SCHEMA_VERSION, UNKNOWN,
};
use crate::ports::OutgoingAlert;
use rules::{short_principal, suggest_exclusion, Severity};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::fmt::Write as _;

/// Rule text for the email body.
pub use crate::ports::RuleText;

/// Deployment choices for the alert bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Whether the email carries the record (pretty-printed). Records can carry secrets (request
    /// parameters); without it the email says where the record is. The JSON body always carries it.
    /// Default: included (`EMAIL_INCLUDE_RECORD`, [`crate::config::Config::email_include_record`]).
    pub email_include_record: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            email_include_record: true,
        }
    }
}

/// Renders one finding as an alert that fits in one SNS message ([`crate::channels::sns::render::budget`]), with the
/// default [`RenderOptions`].
pub fn render_finding(alert: &Alert, rule: RuleText<'_>) -> OutgoingAlert {
    render_finding_with(alert, rule, RenderOptions::default())
}

/// [`render_finding`] with deployment choices.
pub fn render_finding_with(
    alert: &Alert,
    rule: RuleText<'_>,
    options: RenderOptions,
) -> OutgoingAlert {
    let full = FindingView::new(alert, rule, None, options);
    let msg = full.render(&Trim::FULL);
    if fits(&msg) {
        return msg;
    }
    if let Some(msg) = full.fit() {
        return msg;
    }
    // Even without its record the message is too large: some field is huge. Cut every field, then fit.
    let capped = FindingView::new(alert, rule, Some(FIELD_CAP), options);
    capped.fit().unwrap_or_else(|| capped.render(&Trim::EMPTY))
}

/// How much of the record each body carries: `None` = all of it, `Some(n)` = a prefix of `n` bytes.
struct Trim {
    default: Option<usize>,
    email: Option<usize>,
}

impl Trim {
    const FULL: Trim = Trim {
        default: None,
        email: None,
    };
    const EMPTY: Trim = Trim {
        default: Some(0),
        email: Some(0),
    };
}

/// A finding's text fields (cut to a cap in the last-resort path), plus what is derived from them.
struct FindingView<'a> {
    alert: &'a Alert,
    f: rules::Finding,
    bucket: String,
    key: String,
    rationale: String,
    next_steps: String,
    id: String,
    /// The record as in the finding (compact JSON).
    compact: &'a str,
    /// The record pretty-printed, for the email, hidden characters in its strings escaped.
    pretty: String,
    /// Whether the email carries the record.
    email_record: bool,
    /// `managementEvent` of the record: only management events are in the console's event history.
    management_event: Option<bool>,
}

impl<'a> FindingView<'a> {
    fn new(
        alert: &'a Alert,
        rule: RuleText<'_>,
        cap: Option<usize>,
        options: RenderOptions,
    ) -> Self {
        let mut f = alert.finding.clone();
        let mut bucket = alert.bucket.clone();
        let mut key = alert.key.clone();
        let mut rationale = rule.rationale.to_owned();
        let mut next_steps = rule.next_steps.to_owned();
        if let Some(cap) = cap {
            for s in [
                &mut f.rule_id,
                &mut f.title,
                &mut bucket,
                &mut key,
                &mut rationale,
                &mut next_steps,
            ] {
                cap_in_place(s, cap);
            }
            for s in [
                &mut f.event_id,
                &mut f.event_name,
                &mut f.event_source,
                &mut f.event_time,
                &mut f.account_id,
                &mut f.region,
                &mut f.principal,
                &mut f.principal_type,
                &mut f.principal_account_id,
                &mut f.access_key_id,
                &mut f.source_ip,
                &mut f.user_agent,
                &mut f.error_code,
                &mut f.note,
            ]
            .into_iter()
            .flatten()
            {
                cap_in_place(s, cap);
            }
            f.controls.truncate(16);
            for c in &mut f.controls {
                cap_in_place(c, cap);
            }
        }
        let compact = alert.finding.record.get();
        let probe: Probe = serde_json::from_str(compact).unwrap_or_default();
        FindingView {
            management_event: probe
                .management_event
                .as_ref()
                .and_then(serde_json::Value::as_bool),
            alert,
            id: alert.finding.id(),
            f,
            bucket,
            key,
            rationale,
            next_steps,
            compact,
            pretty: if options.email_include_record {
                escape_hidden_in_strings(&pretty_json(compact)).into_owned()
            } else {
                String::new()
            },
            email_record: options.email_include_record,
        }
    }

    /// The largest record prefixes that keep the message below the limit with a margin; `None` when even
    /// an empty prefix does not fit.
    fn fit(&self) -> Option<OutgoingAlert> {
        let target = TRIM_TARGET;
        let base = self.render(&Trim::EMPTY);
        let avail = target.checked_sub(size(&base))?;
        // The default body holds the prefix as a string inside JSON text that is itself a string in the
        // message: escaped twice. The email holds it as text, escaped once.
        let default_cost = escaped_len(self.compact, 2);
        // Without the record in the email, the JSON body may use all the room.
        let share = if self.email_record { avail / 2 } else { avail };
        let mut default_budget = default_cost.min(share);
        let mut email_budget = avail - default_budget;
        for _ in 0..8 {
            let trim = Trim {
                default: Some(prefix_within(self.compact, default_budget, 2)),
                email: Some(line_prefix_within(&self.pretty, email_budget)),
            };
            let msg = self.render(&trim);
            if size(&msg) <= target {
                return Some(msg);
            }
            default_budget = default_budget / 10 * 9;
            email_budget = email_budget / 10 * 9;
        }
        Some(base)
    }

    fn render(&self, trim: &Trim) -> OutgoingAlert {
        let default = self.default_body(trim.default);
        let email = self.email_body(trim.email);
        let sms = self.sms_body();
        OutgoingAlert {
            finding_id: self.id.clone(),
            subject: self.subject(),
            json: default,
            email,
            sms,
            attributes: self.attributes(),
        }
    }

    fn subject(&self) -> String {
        let f = &self.f;
        subject_line(
            f.severity,
            &f.title,
            &format!(
                "{}/{}",
                known(f.account_id.as_deref()),
                known(f.region.as_deref())
            ),
        )
    }

    fn attributes(&self) -> Vec<(&'static str, String)> {
        let f = &self.f;
        attributes([
            ("kind", Some("finding")),
            ("severity", Some(f.severity.as_str())),
            ("rule_id", Some(f.rule_id.as_str())),
            ("account_id", f.account_id.as_deref()),
            ("region", f.region.as_deref()),
            ("event_name", f.event_name.as_deref()),
            ("finding_id", Some(self.id.as_str())),
        ])
    }

    fn default_body(&self, prefix: Option<usize>) -> String {
        let f = &self.f;
        let whole = prefix.is_none_or(|n| n >= self.compact.len());
        let record = if whole {
            RecordJson::Whole(&self.alert.finding.record)
        } else {
            RecordJson::Cut {
                trailwarden_truncated: true,
                original_bytes: self.compact.len(),
                prefix: prefix_at(self.compact, prefix.unwrap_or(0)),
            }
        };
        let body = FindingJson {
            schema_version: SCHEMA_VERSION,
            kind: "finding",
            finding_id: &self.id,
            rule_id: &f.rule_id,
            title: &f.title,
            severity: f.severity,
            controls: &f.controls,
            note: f.note.as_deref(),
            event_id: f.event_id.as_deref(),
            event_name: f.event_name.as_deref(),
            event_source: f.event_source.as_deref(),
            event_time: f.event_time.as_deref(),
            account_id: f.account_id.as_deref(),
            region: f.region.as_deref(),
            principal: f.principal.as_deref(),
            principal_type: f.principal_type.as_deref(),
            principal_account_id: f.principal_account_id.as_deref(),
            access_key_id: f.access_key_id.as_deref(),
            source_ip: f.source_ip.as_deref(),
            user_agent: f.user_agent.as_deref(),
            error_code: f.error_code.as_deref(),
            bucket: &self.bucket,
            key: &self.key,
            path: self.alert.path,
            record_truncated: !whole,
            record,
            threshold: f.threshold.as_ref(),
        };
        to_json(&body)
    }

    fn email_body(&self, prefix: Option<usize>) -> String {
        let f = &self.f;
        let mut out = String::with_capacity(4096 + self.pretty.len());
        let account = known(f.account_id.as_deref());
        let region = known(f.region.as_deref());
        let who = f.principal.as_deref().filter(|p| !p.is_empty());

        // Headline: what, by whom, where, when, in two lines.
        let _ = writeln!(
            out,
            "{} - {}",
            f.severity.as_str().to_ascii_uppercase(),
            visible(&f.title)
        );
        let mut line = format!(
            "{} by {}",
            known(f.event_name.as_deref()),
            who.map_or(UNKNOWN, short_principal)
        );
        if let Some(t) = f.principal_type.as_deref().filter(|t| !t.is_empty()) {
            let _ = write!(line, " ({t})");
        }
        let _ = write!(
            line,
            " in {account}/{region} at {}",
            known(f.event_time.as_deref())
        );
        if let Some(e) = f.error_code.as_deref().filter(|e| !e.is_empty()) {
            let _ = write!(line, ", failed with {e}");
        }
        line.push('.');
        out.push_str(&visible(&line));
        out.push('\n');
        if let Some(note) = f.note.as_deref().filter(|n| !n.is_empty()) {
            let _ = writeln!(out, "Note: {}", visible(note));
        }
        if let Some(t) = &f.threshold {
            out.push_str("\nTHRESHOLD (the record below is the event that reached it)\n");
            let what = if t.distinct.is_empty() {
                "events".to_owned()
            } else {
                format!("distinct {}", t.distinct.join(" + "))
            };
            field(
                &mut out,
                "Count",
                &format!(
                    "{} {what} (threshold {}) within {} minutes",
                    t.count, t.threshold, t.window_minutes
                ),
            );
            for (name, value) in t.group_by.iter().zip(&t.key) {
                field(&mut out, "Key", &format!("{name} = {value}"));
            }
            field(
                &mut out,
                "Window",
                &format!("{} to {}", t.first_event_time, t.last_event_time),
            );
            for v in &t.distinct_values {
                let _ = writeln!(out, "  - {}", visible(v));
            }
            let more = t.count.saturating_sub(t.unnamed) as usize;
            if more > t.distinct_values.len() {
                let _ = writeln!(out, "  (and {} more)", more - t.distinct_values.len());
            }
            if t.unnamed > 0 {
                let _ = writeln!(
                    out,
                    "  ({} events named no value; each counted once)",
                    t.unnamed
                );
            }
        }

        out.push_str("\nWHO\n");
        field(&mut out, "Principal", known(who));
        field(&mut out, "Type", known(f.principal_type.as_deref()));
        let caller = known(f.principal_account_id.as_deref());
        match (&f.principal_account_id, &f.account_id) {
            (Some(c), Some(a)) if c != a => field(
                &mut out,
                "Caller account",
                &format!("{c} (cross-account: the event is in {a})"),
            ),
            _ => field(&mut out, "Caller account", caller),
        }
        // No access key is normal (console sign-in, AWS services); it is unknown only when the caller is.
        let no_key = if who.is_some() { "none" } else { UNKNOWN };
        field(
            &mut out,
            "Access key",
            or(f.access_key_id.as_deref(), no_key),
        );
        field(&mut out, "Source IP", known(f.source_ip.as_deref()));
        field(&mut out, "User agent", known(f.user_agent.as_deref()));

        out.push_str("\nWHAT\n");
        field(&mut out, "Rule", &f.rule_id);
        if !f.controls.is_empty() {
            field(&mut out, "Controls", &f.controls.join(", "));
        }
        field(&mut out, "Event", known(f.event_name.as_deref()));
        field(&mut out, "Service", known(f.event_source.as_deref()));
        field(&mut out, "Error code", or(f.error_code.as_deref(), "none"));

        out.push_str("\nWHERE\n");
        field(&mut out, "Account", account);
        field(&mut out, "Region", region);

        out.push_str("\nWHEN\n");
        field(&mut out, "Time (UTC)", known(f.event_time.as_deref()));

        out.push_str("\nWHY IT MATTERS\n");
        out.push_str(&visible_lines(or(
            Some(self.rationale.trim()),
            "(no rationale for this rule)",
        )));
        out.push('\n');
        out.push_str("\nWHAT TO CHECK NEXT\n");
        out.push_str(&visible_lines(or(
            Some(self.next_steps.trim()),
            "(no next steps for this rule)",
        )));
        out.push('\n');

        out.push_str("\nTHE EVENT\n");
        match console_link(f.region.as_deref(), f.event_id.as_deref()) {
            _ if self.management_event == Some(false) => out.push_str(
                "CloudTrail console: not in event history (it holds management events only); see the log file.\n",
            ),
            Some(url) => {
                let _ = writeln!(
                    out,
                    "CloudTrail console (event history keeps 90 days of management events):\n{url}"
                );
            }
            None => out.push_str(
                "CloudTrail console link: unavailable (the record has no usable region or event ID)\n",
            ),
        }
        field(&mut out, "Event ID", known(f.event_id.as_deref()));
        let file = match self.alert.path {
            crate::alert::Path::S3 => format!("s3://{}/{}", self.bucket, self.key),
            crate::alert::Path::EventBridge => {
                "none yet (this record came through EventBridge; its log file follows)".to_owned()
            }
        };
        field(&mut out, "Log file", &file);

        out.push_str("\nRECORD\n");
        match prefix {
            _ if !self.email_record => {
                let _ = writeln!(
                    out,
                    "(Left out of emails by this deployment: records can carry secrets. The record is in \
                     this alert's JSON body and in the log file {}, event ID {}.)",
                    visible(&file),
                    visible(known(f.event_id.as_deref()))
                );
            }
            Some(n) if n < self.pretty.len() => {
                let shown = prefix_at(&self.pretty, n);
                let _ = writeln!(
                    out,
                    "(Cut: the record is {} bytes, too large for one SNS message; the first {} bytes of it \
                     are shown. The full record is in the log file {}, event ID {}.)",
                    self.compact.len(),
                    shown.len(),
                    visible(&file),
                    visible(known(f.event_id.as_deref()))
                );
                out.push_str(shown);
                out.push_str("\n[... record cut here ...]\n");
            }
            _ => {
                out.push_str(&self.pretty);
                out.push('\n');
            }
        }

        out.push_str("\nHOW TO SILENCE THIS\n");
        out.push_str(
            "If this activity is expected, add this exclusion to the rules file (the TOML file the alerter \
             loads), replacing the reason with a real one:\n\n",
        );
        out.push_str(&escape_hidden_in_strings(&suggest_exclusion(
            &self.f, &self.id,
        )));

        let _ = write!(
            out,
            "\n--\ntrailwarden finding {} (schema {SCHEMA_VERSION}). Alerts are delivered at least once: \
             the same finding ID may arrive more than once.\n",
            self.id
        );
        out
    }

    fn sms_body(&self) -> String {
        let f = &self.f;
        let who = f
            .principal
            .as_deref()
            .filter(|p| !p.is_empty())
            .map_or(UNKNOWN, short_principal);
        let place = format!(
            "{}/{}",
            known(f.account_id.as_deref()),
            known(f.region.as_deref())
        );
        let extra = match &f.threshold {
            Some(t) => Some(format!(" ({} in {} min)", t.count, t.window_minutes)),
            None => f
                .event_name
                .as_deref()
                .filter(|e| !e.is_empty())
                .map(|e| format!(" ({e})")),
        };
        sms_line(
            f.severity,
            &f.title,
            &format!(" by {who}"),
            extra.as_deref(),
            &format!(" in {place}"),
        )
    }
}

#[derive(Serialize)]
struct FindingJson<'a> {
    schema_version: u32,
    kind: &'static str,
    finding_id: &'a str,
    rule_id: &'a str,
    title: &'a str,
    severity: Severity,
    controls: &'a [String],
    note: Option<&'a str>,
    event_id: Option<&'a str>,
    event_name: Option<&'a str>,
    event_source: Option<&'a str>,
    event_time: Option<&'a str>,
    account_id: Option<&'a str>,
    region: Option<&'a str>,
    principal: Option<&'a str>,
    principal_type: Option<&'a str>,
    principal_account_id: Option<&'a str>,
    access_key_id: Option<&'a str>,
    source_ip: Option<&'a str>,
    user_agent: Option<&'a str>,
    error_code: Option<&'a str>,
    bucket: &'a str,
    key: &'a str,
    /// `s3` (bucket and key name the log file) or `eventbridge` (the fast path: bucket and key empty).
    path: crate::alert::Path,
    record_truncated: bool,
    record: RecordJson<'a>,
    /// A threshold rule's alert: count, window, key, distinct values (an additive field, absent otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<&'a rules::ThresholdDetails>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum RecordJson<'a> {
    Whole(&'a RawValue),
    Cut {
        trailwarden_truncated: bool,
        original_bytes: usize,
        prefix: &'a str,
    },
}

/// The part of a record the email needs beyond the finding's fields (other fields are skipped unparsed).
#[derive(Default, Deserialize)]
struct Probe {
    #[serde(rename = "managementEvent", default)]
    management_event: Option<serde_json::Value>,
}
