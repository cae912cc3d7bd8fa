//! A storm digest as an outgoing alert: what was folded for one rule in one invocation, with lists halved
//! until the alert fits.

use crate::channels::sns::render::budget::{cap_in_place, fits, FIELD_CAP};
use crate::channels::sns::render::text::{
    attributes, field, known, sms_line, subject_line, to_json, visible, SCHEMA_VERSION, UNKNOWN,
};
use crate::ports::OutgoingAlert;
use crate::storm::StormDigest;
use rules::Severity;
use serde::Serialize;
use std::fmt::Write as _;

/// The id of a storm digest: one per rule per invocation.
fn digest_id(invocation_id: &str, rule_id: &str) -> String {
    rules::short_hash(&["summary", invocation_id, rule_id])
}

/// Renders a storm digest as an alert that fits in one SNS message: when its lists are too long, they are
/// halved until it fits (and the bodies say so).
pub fn render_storm_digest(s: &StormDigest) -> OutgoingAlert {
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
    let id = digest_id(&s.invocation_id, &s.rule_id);
    let mut limit = longest;
    loop {
        let msg = DigestView::new(s, limit, &id).render();
        if fits(&msg) {
            return msg;
        }
        if limit == 0 {
            break;
        }
        limit /= 2;
    }
    // Even without its lists the digest is too large: some field is huge. Cut every field.
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
    DigestView::new(&capped, 0, &id).render()
}

struct DigestView<'a> {
    s: &'a StormDigest,
    id: &'a str,
    title: &'a str,
    rule_id: &'a str,
    /// Items listed per list (principals, accounts, regions, files, controls).
    limit: usize,
}

impl<'a> DigestView<'a> {
    fn new(s: &'a StormDigest, limit: usize, id: &'a str) -> Self {
        DigestView {
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

    fn render(&self) -> OutgoingAlert {
        OutgoingAlert {
            finding_id: self.id.to_owned(),
            subject: self.subject(),
            json: self.default_body(),
            email: self.email_body(),
            sms: self.sms_body(),
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
            visible(self.title),
            s.count
        );
        let _ = writeln!(
            out,
            "This rule fired {} times while one batch of CloudTrail log files was processed. {} were sent \
             as separate alerts (each caller's first ones); the other {} are summarized here instead of \
             paging you {} more times.",
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
            let _ = writeln!(out, "  {c:>6}  {}", visible(p));
        }
        more(&mut out, s.top_principals.len(), n);

        out.push_str("\nLOG FILES\n");
        if s.files.is_empty() {
            out.push_str("  unknown\n");
        }
        for (b, k) in head(&s.files, n) {
            let _ = writeln!(out, "  {}", visible(&format!("s3://{b}/{k}")));
        }
        more(&mut out, s.files.len(), n);

        out.push_str("\nTO SEE EVERY FINDING\n");
        let _ = writeln!(
            out,
            "Download the log files and run:\n  trailwarden scan --rules {} <files>",
            visible(self.rule_id)
        );
        let _ = write!(
            out,
            "\n--\ntrailwarden summary {} (schema {SCHEMA_VERSION}, invocation {}). Alerts are delivered at \
             least once: the same ID may arrive more than once.\n",
            self.id,
            visible(known(Some(&s.invocation_id)))
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
