//! Alert formatting: one SNS message per finding (or per storm summary), with a body per protocol, published
//! with `MessageStructure=json`.
//!
//! - `default` (SQS, Lambda, HTTPS subscribers): versioned JSON (`schema_version`, `kind`).
//! - `email`: plain text a person can act on at 3 a.m.: headline, who/what/where/when, why it matters, what
//!   to check next, a console link, the record, and the exclusion to paste to silence it.
//! - `sms`: at most [`MAX_SMS_CHARS`] characters.
//! - Subject: at most 100 printable ASCII characters (an SNS rule), `[SEVERITY] title - account/region`.
//!
//! Pure and deterministic: the same input gives the same output, byte for byte. A message never exceeds
//! [`MAX_SNS_BYTES`]: when a record is too large, the record parts of `default` and `email` are cut to a
//! prefix, and both bodies say so.

use crate::Alert;
use chrono::{Days, NaiveDate};
use rules::Severity;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// Version of the `default` (JSON) body. Bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;
/// SNS: message + subject + attribute names/types/values ≤ 256 KiB.
pub const MAX_SNS_BYTES: usize = 256 * 1024;
/// SMS body length, in characters (one GSM-7 segment holds 160; the bodies stay ASCII when the data is).
pub const MAX_SMS_CHARS: usize = 140;
/// SNS limits a Subject to 100 printable ASCII characters, without newlines.
pub const MAX_SUBJECT_CHARS: usize = 100;

/// A trimmed message aims below the limit by this much (the size is measured, this is only headroom).
const TRIM_MARGIN: usize = 8 * 1024;
/// Last resort when a message is too large even without its record: every text field is cut to this many
/// characters.
const FIELD_CAP: usize = 256;
/// How long a suggested exclusion lasts after the event.
const SILENCE_DAYS: u64 = 30;
const UNKNOWN: &str = "unknown";
const CUT_MARK: &str = " [cut by trailwarden]";

/// Rule text for the email body.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleText<'a> {
    /// Why it matters.
    pub rationale: &'a str,
    /// What to check next.
    pub next_steps: &'a str,
}

/// One SNS message, ready for Publish/PublishBatch with MessageStructure=json.
#[derive(Debug, Clone)]
pub struct SnsMessage {
    /// Deterministic: the same finding gets the same id on every delivery attempt.
    pub finding_id: String,
    /// ≤ 100 printable ASCII characters, no newlines.
    pub subject: String,
    /// JSON object `{"default": "<json text>", "email": "<text>", "sms": "<text>"}`.
    pub message: String,
    /// String attributes: severity, rule_id, account_id, region, event_name, finding_id, kind; absent or empty
    /// values are left out (SNS rejects empty attribute values).
    pub attributes: Vec<(&'static str, String)>,
}

impl SnsMessage {
    /// The bytes SNS counts against its size limit: the message, the subject, and every attribute's name,
    /// data type (`String`) and value.
    pub fn sns_size(&self) -> usize {
        self.message.len()
            + self.subject.len()
            + self
                .attributes
                .iter()
                .map(|(name, value)| name.len() + "String".len() + value.len())
                .sum::<usize>()
    }
}

/// Storm control: what was not sent individually for one rule in one invocation.
#[derive(Debug, Clone)]
pub struct StormSummary {
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub controls: Vec<String>,
    /// Findings of this rule sent as individual alerts before the storm limit was reached (N).
    pub sent_individually: u64,
    /// Findings folded into this summary.
    pub count: u64,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
    /// Most frequent first, at most 5 (the caller computes).
    pub top_principals: Vec<(String, u64)>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    /// (bucket, key) of the log files.
    pub files: Vec<(String, String)>,
    /// Lambda request id, for a deterministic summary finding_id.
    pub invocation_id: String,
}

impl Default for StormSummary {
    fn default() -> Self {
        StormSummary {
            rule_id: String::new(),
            title: String::new(),
            severity: Severity::Info,
            controls: Vec::new(),
            sent_individually: 0,
            count: 0,
            first_time: None,
            last_time: None,
            top_principals: Vec::new(),
            accounts: Vec::new(),
            regions: Vec::new(),
            files: Vec::new(),
            invocation_id: String::new(),
        }
    }
}

/// The deterministic id of a finding: the first 32 hex characters of sha256(`"{event_id}\n{rule_id}"`), with
/// the raw record in place of the event id when the record has none.
pub fn finding_id(event_id: Option<&str>, rule_id: &str, raw_record: &str) -> String {
    let key = event_id.filter(|e| !e.is_empty()).unwrap_or(raw_record);
    short_hash(&[key, rule_id])
}

/// The id of a storm summary: one per rule per invocation.
fn summary_id(invocation_id: &str, rule_id: &str) -> String {
    short_hash(&["summary", invocation_id, rule_id])
}

fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update(b"\n");
        }
        h.update(p.as_bytes());
    }
    let mut out = String::with_capacity(32);
    for b in h.finalize().iter().take(16) {
        let _ = write!(out, "{b:02x}");
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// Findings
// ---------------------------------------------------------------------------------------------------------

/// Renders one finding as an SNS message within [`MAX_SNS_BYTES`].
pub fn render_finding(alert: &Alert, rule: RuleText<'_>) -> SnsMessage {
    let full = FindingView::new(alert, rule, None);
    let msg = full.render(&Trim::FULL);
    if msg.sns_size() <= MAX_SNS_BYTES {
        return msg;
    }
    if let Some(msg) = full.fit() {
        return msg;
    }
    // Even without its record the message is too large: some field is huge. Cut every field, then fit.
    let capped = FindingView::new(alert, rule, Some(FIELD_CAP));
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
    /// The record pretty-printed, for the email.
    pretty: String,
    /// The `userIdentity` field the principal came from, e.g. `userIdentity.arn`.
    principal_selector: &'static str,
    /// `managementEvent` of the record: only management events are in the console's event history.
    management_event: Option<bool>,
}

impl<'a> FindingView<'a> {
    fn new(alert: &'a Alert, rule: RuleText<'_>, cap: Option<usize>) -> Self {
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
            principal_selector: probe.principal_selector(alert.finding.principal.as_deref()),
            management_event: probe
                .management_event
                .as_ref()
                .and_then(serde_json::Value::as_bool),
            alert,
            id: finding_id(
                alert.finding.event_id.as_deref(),
                &alert.finding.rule_id,
                compact,
            ),
            f,
            bucket,
            key,
            rationale,
            next_steps,
            compact,
            pretty: pretty_json(compact),
        }
    }

    /// The largest record prefixes that keep the message below the limit with a margin; `None` when even
    /// an empty prefix does not fit.
    fn fit(&self) -> Option<SnsMessage> {
        let target = MAX_SNS_BYTES - TRIM_MARGIN;
        let base = self.render(&Trim::EMPTY);
        let avail = target.checked_sub(base.sns_size())?;
        // The default body holds the prefix as a string inside JSON text that is itself a string in the
        // message: escaped twice. The email holds it as text, escaped once.
        let default_cost = escaped_len(self.compact, 2);
        let mut default_budget = default_cost.min(avail / 2);
        let mut email_budget = avail - default_budget;
        for _ in 0..8 {
            let trim = Trim {
                default: Some(prefix_within(self.compact, default_budget, 2)),
                email: Some(line_prefix_within(&self.pretty, email_budget)),
            };
            let msg = self.render(&trim);
            if msg.sns_size() <= target {
                return Some(msg);
            }
            default_budget = default_budget / 10 * 9;
            email_budget = email_budget / 10 * 9;
        }
        Some(base)
    }

    fn render(&self, trim: &Trim) -> SnsMessage {
        let default = self.default_body(trim.default);
        let email = self.email_body(trim.email);
        let sms = self.sms_body();
        SnsMessage {
            finding_id: self.id.clone(),
            subject: self.subject(),
            message: message_json(&default, &email, &sms),
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
            record_truncated: !whole,
            record,
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
            f.title
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
        out.push_str(or(
            Some(self.rationale.trim()),
            "(no rationale for this rule)",
        ));
        out.push('\n');
        out.push_str("\nWHAT TO CHECK NEXT\n");
        out.push_str(or(
            Some(self.next_steps.trim()),
            "(no next steps for this rule)",
        ));
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
        let file = format!("s3://{}/{}", self.bucket, self.key);
        field(&mut out, "Log file", &file);

        out.push_str("\nRECORD\n");
        match prefix {
            Some(n) if n < self.pretty.len() => {
                let shown = prefix_at(&self.pretty, n);
                let _ = writeln!(
                    out,
                    "(Cut: the record is {} bytes, too large for one SNS message; the first {} bytes of it \
                     are shown. The full record is in the log file {file}, event ID {}.)",
                    self.compact.len(),
                    shown.len(),
                    known(f.event_id.as_deref())
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
        out.push_str(&self.silence_block());

        let _ = write!(
            out,
            "\n--\ntrailwarden finding {} (schema {SCHEMA_VERSION}). Alerts are delivered at least once: \
             the same finding ID may arrive more than once.\n",
            self.id
        );
        out
    }

    /// A ready-to-paste `[[exclusions]]` entry matching this principal and event name.
    fn silence_block(&self) -> String {
        let f = &self.f;
        let mut out = String::new();
        let principal_field = f
            .principal
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(|p| (self.principal_selector, p));
        let slug_source = format!(
            "{}-{}",
            principal_field.map_or("", |(_, p)| short_principal(p)),
            f.event_name.as_deref().unwrap_or("")
        );
        let mut id = slug(&slug_source);
        if id.is_empty() {
            id = format!("silence-{}", self.id.get(..8).unwrap_or(&self.id));
        }

        let mut matchers: Vec<(String, &str)> = Vec::new();
        if let Some((sel, p)) = principal_field {
            matchers.push((toml_key(sel), p));
        }
        if let Some(e) = f.event_name.as_deref().filter(|e| !e.is_empty()) {
            matchers.push(("eventName".to_owned(), e));
        }
        if matchers.is_empty() {
            if let Some(s) = f.event_source.as_deref().filter(|s| !s.is_empty()) {
                matchers.push(("eventSource".to_owned(), s));
            }
        }

        if principal_field.is_none() && !matchers.is_empty() {
            out.push_str(
                "# The record names no principal: this matches the event for every caller. Narrow it if you\n\
                 # can (add a field to `match`, e.g. \"sourceIPAddress\").\n",
            );
        }
        if matchers.is_empty() {
            out.push_str(
                "# The record has no principal, event name or event source to match on: write a `pattern`\n\
                 # (a filter pattern, as in the rules) that matches only the expected activity.\n",
            );
        }
        let _ = writeln!(out, "[[exclusions]]");
        let _ = writeln!(out, "id = {}", toml_str(&id));
        let _ = writeln!(
            out,
            "reason = {}",
            toml_str("TODO: write why this is expected, who owns it, and a ticket link")
        );
        let _ = writeln!(out, "rules = [{}]", toml_str(&f.rule_id));
        if matchers.is_empty() {
            let _ = writeln!(out, "pattern = '{{ $.eventName = \"TODO\" }}'");
        } else {
            let inner: Vec<String> = matchers
                .iter()
                .map(|(k, v)| format!("{k} = {}", toml_str(v)))
                .collect();
            let _ = writeln!(out, "match = {{ {} }}", inner.join(", "));
        }
        match f
            .event_time
            .as_deref()
            .and_then(|t| plus_days(t, SILENCE_DAYS))
        {
            Some(date) => {
                let _ = writeln!(
                    out,
                    "expires = {}  # last day it applies: event date + {SILENCE_DAYS} days",
                    toml_str(&date)
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "# No `expires`: the record has no usable eventTime to date it from. Add\n\
                     # expires = \"YYYY-MM-DD\" (the last day it applies) so the silence does not last forever."
                );
            }
        }
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
        let extra = f
            .event_name
            .as_deref()
            .filter(|e| !e.is_empty())
            .map(|e| format!(" ({e})"));
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
    record_truncated: bool,
    record: RecordJson<'a>,
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

// ---------------------------------------------------------------------------------------------------------
// Storm summaries
// ---------------------------------------------------------------------------------------------------------

/// Renders a storm summary as an SNS message within [`MAX_SNS_BYTES`]: when its lists are too long, they are
/// halved until it fits (and the bodies say so).
pub fn render_summary(s: &StormSummary) -> SnsMessage {
    let longest = [
        s.top_principals.len(),
        s.accounts.len(),
        s.regions.len(),
        s.files.len(),
        s.controls.len(),
    ]
    .into_iter()
    .max()
    .unwrap_or(0);
    let id = summary_id(&s.invocation_id, &s.rule_id);
    let mut limit = longest;
    loop {
        let msg = SummaryView::new(s, limit, &id).render();
        if msg.sns_size() <= MAX_SNS_BYTES {
            return msg;
        }
        if limit == 0 {
            break;
        }
        limit /= 2;
    }
    // Even without its lists the summary is too large: some field is huge. Cut every field.
    let mut capped = s.clone();
    for f in [
        &mut capped.rule_id,
        &mut capped.title,
        &mut capped.invocation_id,
    ]
    .into_iter()
    .chain(capped.first_time.iter_mut())
    .chain(capped.last_time.iter_mut())
    .chain(capped.accounts.iter_mut())
    .chain(capped.regions.iter_mut())
    {
        cap_in_place(f, FIELD_CAP);
    }
    SummaryView::new(&capped, 0, &id).render()
}

struct SummaryView<'a> {
    s: &'a StormSummary,
    id: &'a str,
    title: &'a str,
    rule_id: &'a str,
    /// Items listed per list (principals, accounts, regions, files, controls).
    limit: usize,
}

impl<'a> SummaryView<'a> {
    fn new(s: &'a StormSummary, limit: usize, id: &'a str) -> Self {
        SummaryView {
            s,
            id,
            title: &s.title,
            rule_id: &s.rule_id,
            limit,
        }
    }

    fn truncated(&self) -> bool {
        let s = self.s;
        [
            s.top_principals.len(),
            s.accounts.len(),
            s.regions.len(),
            s.files.len(),
            s.controls.len(),
        ]
        .into_iter()
        .any(|n| n > self.limit)
    }

    fn render(&self) -> SnsMessage {
        SnsMessage {
            finding_id: self.id.to_owned(),
            subject: self.subject(),
            message: message_json(&self.default_body(), &self.email_body(), &self.sms_body()),
            attributes: self.attributes(),
        }
    }

    /// `account/region` when there is one of each, else counts.
    fn place(&self) -> String {
        let one = |v: &[String], what: &str| match v {
            [] => UNKNOWN.to_owned(),
            [x] => x.clone(),
            _ => format!("{} {what}", v.len()),
        };
        format!(
            "{}/{}",
            one(&self.s.accounts, "accounts"),
            one(&self.s.regions, "regions")
        )
    }

    fn subject(&self) -> String {
        subject_line(
            self.s.severity,
            &format!("{} more: {}", self.s.count, self.title),
            &self.place(),
        )
    }

    fn attributes(&self) -> Vec<(&'static str, String)> {
        let s = self.s;
        let single = |v: &'a [String]| match v {
            [x] => Some(x.as_str()),
            _ => None,
        };
        attributes([
            ("kind", Some("summary")),
            ("severity", Some(s.severity.as_str())),
            ("rule_id", Some(self.rule_id)),
            ("account_id", single(&s.accounts)),
            ("region", single(&s.regions)),
            ("finding_id", Some(self.id)),
        ])
    }

    fn default_body(&self) -> String {
        let s = self.s;
        let n = self.limit;
        let body = SummaryJson {
            schema_version: SCHEMA_VERSION,
            kind: "summary",
            finding_id: self.id,
            rule_id: self.rule_id,
            title: self.title,
            severity: s.severity,
            controls: head(&s.controls, n),
            count: s.count,
            sent_individually: s.sent_individually,
            first_time: s.first_time.as_deref(),
            last_time: s.last_time.as_deref(),
            top_principals: head(&s.top_principals, n)
                .iter()
                .map(|(p, c)| PrincipalCount {
                    principal: p,
                    count: *c,
                })
                .collect(),
            accounts: head(&s.accounts, n),
            regions: head(&s.regions, n),
            files: head(&s.files, n)
                .iter()
                .map(|(b, k)| FileJson { bucket: b, key: k })
                .collect(),
            lists_truncated: self.truncated(),
            invocation_id: &s.invocation_id,
        };
        to_json(&body)
    }

    fn email_body(&self) -> String {
        let s = self.s;
        let n = self.limit;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} - {}: {} more findings, summarized",
            s.severity.as_str().to_ascii_uppercase(),
            self.title,
            s.count
        );
        let _ = writeln!(
            out,
            "This rule fired {} times while one batch of CloudTrail log files was processed. The first {} \
             were sent as separate alerts; the other {} are summarized here instead of paging you {} more \
             times.",
            s.sent_individually.saturating_add(s.count),
            s.sent_individually,
            s.count,
            s.count
        );
        out.push_str("\nSUMMARY\n");
        field(&mut out, "Rule", self.rule_id);
        field(
            &mut out,
            "Summarized",
            &format!(
                "{} (plus {} sent individually)",
                s.count, s.sent_individually
            ),
        );
        field(&mut out, "First (UTC)", known(s.first_time.as_deref()));
        field(&mut out, "Last (UTC)", known(s.last_time.as_deref()));
        field(&mut out, "Accounts", &joined(&s.accounts, n));
        field(&mut out, "Regions", &joined(&s.regions, n));
        if !s.controls.is_empty() {
            field(&mut out, "Controls", &joined(&s.controls, n));
        }

        out.push_str("\nTOP PRINCIPALS\n");
        if s.top_principals.is_empty() {
            out.push_str("  unknown\n");
        }
        for (p, c) in head(&s.top_principals, n) {
            let _ = writeln!(out, "  {c:>6}  {p}");
        }
        more(&mut out, s.top_principals.len(), n);

        out.push_str("\nLOG FILES\n");
        if s.files.is_empty() {
            out.push_str("  unknown\n");
        }
        for (b, k) in head(&s.files, n) {
            let _ = writeln!(out, "  s3://{b}/{k}");
        }
        more(&mut out, s.files.len(), n);

        out.push_str("\nTO SEE EVERY FINDING\n");
        let _ = writeln!(
            out,
            "Download the log files and run:\n  trailwarden scan --rules {} <files>",
            self.rule_id
        );
        let _ = write!(
            out,
            "\n--\ntrailwarden summary {} (schema {SCHEMA_VERSION}, invocation {}). Alerts are delivered at \
             least once: the same ID may arrive more than once.\n",
            self.id,
            known(Some(&s.invocation_id))
        );
        out
    }

    fn sms_body(&self) -> String {
        sms_line(
            self.s.severity,
            self.title,
            &format!(" +{} more (summary)", self.s.count),
            None,
            &format!(" in {}", self.place()),
        )
    }
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    schema_version: u32,
    kind: &'static str,
    finding_id: &'a str,
    rule_id: &'a str,
    title: &'a str,
    severity: Severity,
    controls: &'a [String],
    count: u64,
    sent_individually: u64,
    first_time: Option<&'a str>,
    last_time: Option<&'a str>,
    top_principals: Vec<PrincipalCount<'a>>,
    accounts: &'a [String],
    regions: &'a [String],
    files: Vec<FileJson<'a>>,
    lists_truncated: bool,
    invocation_id: &'a str,
}

#[derive(Serialize)]
struct PrincipalCount<'a> {
    principal: &'a str,
    count: u64,
}

#[derive(Serialize)]
struct FileJson<'a> {
    bucket: &'a str,
    key: &'a str,
}

fn head<T>(v: &[T], n: usize) -> &[T] {
    v.get(..n.min(v.len())).unwrap_or(v)
}

fn joined(v: &[String], n: usize) -> String {
    if v.is_empty() {
        return UNKNOWN.to_owned();
    }
    let mut s = head(v, n).join(", ");
    if v.len() > n {
        let _ = write!(s, " and {} more", v.len() - n);
    }
    s
}

fn more(out: &mut String, total: usize, shown: usize) {
    if total > shown {
        let _ = writeln!(
            out,
            "  ... and {} more (left out to fit the message)",
            total - shown
        );
    }
}

// ---------------------------------------------------------------------------------------------------------
// Shared pieces
// ---------------------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct MessageJson<'a> {
    default: &'a str,
    email: &'a str,
    sms: &'a str,
}

fn message_json(default: &str, email: &str, sms: &str) -> String {
    to_json(&MessageJson {
        default,
        email,
        sms,
    })
}

/// Serializes structures of strings, numbers and raw JSON, which cannot fail.
fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| String::from("{}"))
}

fn attributes<const N: usize>(
    items: [(&'static str, Option<&str>); N],
) -> Vec<(&'static str, String)> {
    items
        .into_iter()
        .filter_map(|(k, v)| Some((k, v.filter(|v| !v.is_empty())?.to_owned())))
        .collect()
}

/// `value`, or "unknown" when absent or empty.
fn known(v: Option<&str>) -> &str {
    or(v, UNKNOWN)
}

fn or<'v>(v: Option<&'v str>, fallback: &'v str) -> &'v str {
    v.filter(|v| !v.is_empty()).unwrap_or(fallback)
}

/// One `  Label:          value` line of the email; control characters in the value are shown escaped, so
/// text from a record (a user agent, a key) cannot add lines of its own.
fn field(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {:<16}{}", format!("{label}:"), visible(value));
}

/// Control characters (newlines included) as `\n`, `\u{1b}`…; everything else, non-ASCII included, unchanged.
fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// `[SEVERITY] title - place`: printable ASCII, at most [`MAX_SUBJECT_CHARS`]; the title is shortened first
/// so the place stays.
fn subject_line(severity: Severity, title: &str, place: &str) -> String {
    let head = format!("[{}] ", severity.as_str().to_ascii_uppercase());
    let tail = format!(" - {}", ascii_printable(cut_chars(place, 40)));
    let title = ascii_printable(title);
    let room = MAX_SUBJECT_CHARS.saturating_sub(head.len() + tail.len());
    if room >= 12 {
        sanitize_subject(&format!("{head}{}{tail}", shorten_words(&title, room)))
    } else {
        sanitize_subject(&format!("{head}{title}{tail}"))
    }
}

/// Printable ASCII only (common typographic characters transliterated, anything else `?`, whitespace runs
/// one space), cut to [`MAX_SUBJECT_CHARS`]; never empty.
pub fn sanitize_subject(s: &str) -> String {
    let mut out = ascii_printable(s);
    out.truncate(MAX_SUBJECT_CHARS);
    let end = out.trim_end().len();
    out.truncate(end);
    if out.trim().is_empty() {
        return String::from("trailwarden alert");
    }
    out
}

fn ascii_printable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mapped: &str = match c {
            ' '..='~' => {
                out.push(c);
                continue;
            }
            c if c.is_whitespace() || c.is_control() => " ",
            '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{2032}' => "'",
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{2033}' => "\"",
            '\u{2026}' => "...",
            '\u{2022}' | '\u{00b7}' => "*",
            _ => "?",
        };
        if mapped == " " && out.ends_with(' ') {
            continue;
        }
        out.push_str(mapped);
    }
    out
}

/// `SEVERITY: title{who}{extra}{place}` within [`MAX_SMS_CHARS`]: drops `extra` first, then shortens the
/// title, then cuts the whole line.
fn sms_line(
    severity: Severity,
    title: &str,
    who: &str,
    extra: Option<&str>,
    place: &str,
) -> String {
    let sev = severity.as_str().to_ascii_uppercase();
    let title = one_line(title);
    // Principal and place get at most 44 characters each, so the title always keeps 40 or more.
    let who = shorten_words(&one_line_keep_edges(who), 44);
    let place = shorten_words(&one_line_keep_edges(place), 44);
    let extra = extra.map(one_line_keep_edges).unwrap_or_default();
    let full = format!("{sev}: {title}{who}{extra}{place}");
    if full.chars().count() <= MAX_SMS_CHARS {
        return full;
    }
    let without = format!("{sev}: {title}{who}{place}");
    if without.chars().count() <= MAX_SMS_CHARS {
        return without;
    }
    let fixed = sev.chars().count() + 2 + who.chars().count() + place.chars().count();
    let room = MAX_SMS_CHARS.saturating_sub(fixed);
    if room >= 12 {
        return format!("{sev}: {}{who}{place}", shorten_words(&title, room));
    }
    shorten_words(&without, MAX_SMS_CHARS)
}

/// Whitespace runs as one space, other control characters as `?`.
fn one_line(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// [`one_line`], keeping one leading space (the parts of an SMS line start with one).
fn one_line_keep_edges(s: &str) -> String {
    let inner = one_line(s);
    if s.starts_with(' ') {
        format!(" {inner}")
    } else {
        inner
    }
}

/// At most `max` characters: cut at a word boundary when one is near, with `...`.
fn shorten_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let keep = max.saturating_sub(3);
    let cut = cut_chars(s, keep);
    let at_word = cut
        .rfind(' ')
        .filter(|&i| cut[..i].chars().count() * 3 >= keep * 2);
    let base = match at_word {
        Some(i) => &cut[..i],
        None => cut,
    };
    format!("{}...", base.trim_end())
}

/// The first `n` characters.
fn cut_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

fn cap_in_place(s: &mut String, cap: usize) {
    if s.chars().count() > cap {
        let keep = cut_chars(s, cap).len();
        s.truncate(keep);
        s.push_str(CUT_MARK);
    }
}

/// The last path segment of an ARN's resource (`arn:aws:iam::1:user/ops/alice` → `alice`,
/// `arn:aws:iam::1:root` → `root`); anything else unchanged.
pub fn short_principal(p: &str) -> &str {
    if !p.starts_with("arn:") {
        return p;
    }
    let resource = p.splitn(6, ':').nth(5).unwrap_or(p);
    resource
        .rsplit('/')
        .find(|seg| !seg.is_empty())
        .unwrap_or(resource)
}

/// The parts of a record the email needs beyond the finding's fields (other fields are skipped unparsed).
#[derive(Default, Deserialize)]
struct Probe {
    #[serde(rename = "userIdentity", default)]
    user_identity: Option<serde_json::Value>,
    #[serde(rename = "managementEvent", default)]
    management_event: Option<serde_json::Value>,
}

impl Probe {
    /// Which `userIdentity` field the principal came from (in the order `Finding::new` tries them).
    fn principal_selector(&self, principal: Option<&str>) -> &'static str {
        const FIELDS: [(&str, &str); 5] = [
            ("arn", "userIdentity.arn"),
            ("principalId", "userIdentity.principalId"),
            ("userName", "userIdentity.userName"),
            ("invokedBy", "userIdentity.invokedBy"),
            ("type", "userIdentity.type"),
        ];
        FIELDS
            .iter()
            .find(|(k, _)| {
                principal.is_some()
                    && self
                        .user_identity
                        .as_ref()
                        .and_then(|id| id.get(*k))
                        .and_then(serde_json::Value::as_str)
                        == principal
            })
            .map_or("userIdentity.arn", |(_, sel)| sel)
    }
}

fn toml_key(sel: &str) -> String {
    if sel
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        sel.to_owned()
    } else {
        toml_str(sel)
    }
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Kebab-case id (lowercase ASCII letters, digits, `-`), at most 48 characters.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(48);
    out.trim_end_matches('-').to_owned()
}

/// `YYYY-MM-DD` of an ISO timestamp plus `days`.
fn plus_days(time: &str, days: u64) -> Option<String> {
    let date = NaiveDate::parse_from_str(time.get(..10)?, "%Y-%m-%d").ok()?;
    Some(
        date.checked_add_days(Days::new(days))?
            .format("%Y-%m-%d")
            .to_string(),
    )
}

/// The event in the CloudTrail console's event history, when region and event id are safe to put in a URL.
fn console_link(region: Option<&str>, event_id: Option<&str>) -> Option<String> {
    let region = region.filter(|r| {
        !r.is_empty()
            && r.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    })?;
    let event_id = event_id.filter(|e| {
        !e.is_empty()
            && e.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })?;
    let domain = if region.starts_with("cn-") {
        "console.amazonaws.cn"
    } else if region.starts_with("us-gov-") {
        "console.amazonaws-us-gov.com"
    } else {
        "console.aws.amazon.com"
    };
    Some(format!(
        "https://{region}.{domain}/cloudtrailv2/home?region={region}#/events/{event_id}"
    ))
}

/// Reindents compact JSON text (2 spaces), keeping key order, numbers and escapes exactly as written.
pub fn pretty_json(compact: &str) -> String {
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
    let mut out = String::with_capacity(compact.len() + compact.len() / 2);
    let mut depth = 0usize;
    let mut in_str = false;
    let mut escaped = false;
    let mut chars = compact.chars().peekable();
    while let Some(c) = chars.next() {
        if in_str {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                let close = if c == '{' { '}' } else { ']' };
                while chars.peek().is_some_and(char::is_ascii_whitespace) {
                    chars.next();
                }
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_ascii_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

/// Bytes a character takes in a JSON string after `times` rounds of escaping (as serde_json escapes:
/// `"`, `\` and control characters below U+0020).
fn escaped_char_len(c: char, times: u32) -> usize {
    let once = match c {
        '"' | '\\' => return 1 << times,
        '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
        '\u{0}'..='\u{1f}' => 6,
        c => return c.len_utf8(),
    };
    // The escape sequence starts with one backslash; each further round doubles it.
    once + (1usize << (times.saturating_sub(1))) - 1
}

fn escaped_len(s: &str, times: u32) -> usize {
    s.chars().map(|c| escaped_char_len(c, times)).sum()
}

/// The longest prefix length (bytes, at a char boundary) whose escaped size is within `budget`.
fn prefix_within(s: &str, budget: usize, times: u32) -> usize {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += escaped_char_len(c, times);
        if used > budget {
            return i;
        }
    }
    s.len()
}

/// Like [`prefix_within`] (escaped once), ending at a line end when one is near.
fn line_prefix_within(s: &str, budget: usize) -> usize {
    let n = prefix_within(s, budget, 1);
    if n >= s.len() || s.as_bytes().get(n) == Some(&b'\n') {
        return n;
    }
    match s[..n].rfind('\n') {
        Some(i) if n - i <= 4096 => i,
        _ => n,
    }
}

/// `s[..n]`, moved back to a char boundary.
fn prefix_at(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_lengths_match_serde_json() {
        let s = "a\"b\\c\nd\u{1}é日本\t";
        let once = serde_json::to_string(s).unwrap();
        assert_eq!(escaped_len(s, 1), once.len() - 2);
        let twice = serde_json::to_string(&once[1..once.len() - 1]).unwrap();
        assert_eq!(escaped_len(s, 2), twice.len() - 2);
    }

    #[test]
    fn prefixes_stop_at_char_boundaries() {
        let s = "日本語";
        assert_eq!(prefix_within(s, 4, 1), 3);
        assert_eq!(prefix_at(s, 4), "日");
        assert_eq!(prefix_at(s, 100), s);
        assert_eq!(line_prefix_within("ab\ncd\nef", 7), 5);
    }

    #[test]
    fn pretty_keeps_order_and_strings() {
        let compact = r#"{"b":1,"a":[],"c":{},"d":["x,y",{"k":"v:\"}"}],"e":1.50}"#;
        let pretty = pretty_json(compact);
        assert_eq!(
            pretty,
            "{\n  \"b\": 1,\n  \"a\": [],\n  \"c\": {},\n  \"d\": [\n    \"x,y\",\n    {\n      \"k\": \"v:\\\"}\"\n    }\n  ],\n  \"e\": 1.50\n}"
        );
        let a: serde_json::Value = serde_json::from_str(compact).unwrap();
        let b: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn short_principals() {
        assert_eq!(short_principal("arn:aws:iam::111122223333:root"), "root");
        assert_eq!(
            short_principal("arn:aws:iam::111122223333:user/ops/alice"),
            "alice"
        );
        assert_eq!(
            short_principal("arn:aws:sts::111122223333:assumed-role/deploy/ci-42"),
            "ci-42"
        );
        assert_eq!(short_principal("AIDAEXAMPLE"), "AIDAEXAMPLE");
        assert_eq!(short_principal("arn:aws:iam::1:user/"), "user");
    }

    #[test]
    fn subject_sanitizing() {
        let s = sanitize_subject("[HIGH] Root — “x” …\nnext\té日本");
        assert_eq!(s, "[HIGH] Root - \"x\" ... next ???");
        assert_eq!(sanitize_subject(" \n "), "trailwarden alert");
        let long = subject_line(
            Severity::High,
            &"word ".repeat(50),
            "111122223333/us-east-1",
        );
        assert!(long.len() <= MAX_SUBJECT_CHARS, "{long}");
        assert!(long.ends_with("... - 111122223333/us-east-1"), "{long}");
    }

    #[test]
    fn slugs_dates_and_toml() {
        assert_eq!(slug("root-ConsoleLogin"), "root-consolelogin");
        assert_eq!(slug("--é--"), "");
        assert_eq!(
            plus_days("2024-01-15T12:01:00Z", 30).as_deref(),
            Some("2024-02-14")
        );
        assert_eq!(plus_days("2024-12-31", 1).as_deref(), Some("2025-01-01"));
        assert_eq!(plus_days("soon", 30), None);
        assert_eq!(toml_str("a\"b\\c\u{1}日"), "\"a\\\"b\\\\c\\u0001日\"");
    }

    #[test]
    fn console_links() {
        assert_eq!(
            console_link(Some("eu-west-1"), Some("abc-1")).as_deref(),
            Some("https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/abc-1")
        );
        assert!(console_link(Some("cn-north-1"), Some("e"))
            .unwrap()
            .contains("console.amazonaws.cn"));
        assert_eq!(console_link(None, Some("e")), None);
        assert_eq!(console_link(Some("us-east-1"), Some("a/../b")), None);
    }
}
