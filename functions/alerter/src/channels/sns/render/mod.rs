//! Alert rendering: one [`OutgoingAlert`](crate::ports::OutgoingAlert) per finding ([`finding`]) or per storm
//! digest ([`storm_digest`]), with a body per kind of recipient:
//!
//! - JSON (queues, functions, webhooks): versioned (`schema_version`, `kind`).
//! - email: plain text a person can act on at 3 a.m.: headline, who/what/where/when, why it matters, what
//!   to check next, a console link, the record, and the exclusion to paste to silence it.
//! - SMS: at most [`MAX_SMS_CHARS`] characters.
//! - Subject: at most [`MAX_SUBJECT_CHARS`] printable ASCII characters, `[SEVERITY] title - account/region`.
//!
//! Pure and deterministic: the same input gives the same output, byte for byte. An alert always fits in one
//! SNS message ([`budget`]): when a record is too large, the record parts of the JSON and email bodies are
//! cut to a prefix, and both bodies say so. The shared text helpers are in [`text`].

pub mod budget;
pub mod finding;
pub mod storm_digest;
pub mod text;

pub use finding::{render_finding, RuleText};
pub use storm_digest::render_storm_digest;
pub use text::{pretty_json, sanitize_subject, MAX_SMS_CHARS, MAX_SUBJECT_CHARS, SCHEMA_VERSION};
