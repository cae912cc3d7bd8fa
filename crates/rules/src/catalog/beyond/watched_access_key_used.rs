//! A watched access key was used.

use super::common::identity_str;
use crate::{rule::Context, rule::Control, rule::Detection, rule::FieldPrefilter, rule::FieldValue, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires on **any** record whose `userIdentity.accessKeyId` is one of the configured watched access keys
/// (`watched_access_keys` in the config), whether the call succeeded or not: a key known to be leaked, a key
/// of a departed employee that must stay unused, a canary key. Without watched keys the rule never fires.
///
/// Only the key that made the call counts; a key merely mentioned in a record (the new key in
/// `CreateAccessKey`'s response, a key in `UpdateAccessKey`'s request) does not.
///
/// Critical: a watched key has, by definition, no legitimate user.
///
/// Code, not a pattern: the list of keys is deployment configuration, not part of the rule.
pub const RULE: Rule = Rule {
    id: "watched-access-key-used",
    title: "Watched access key used",
    severity: Severity::Critical,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1078.004" }],
    detection: Detection::Code {
        prefilter: Prefilter::Fields(prefilter),
        detect,
    },
    rationale: "This access key is on the watch list because it must not be used: it leaked (in a repository, a \
                ticket, a laptop image), belongs to someone who left, or is a canary planted for attackers. Any use \
                means someone holds it who should not, and shows from where and what they try.",
    next_steps: "Deactivate the key now (UpdateAccessKey to Inactive) if it is not already; note the source IP and \
                 user agent; list every call made with this key (userIdentity.accessKeyId) to see what was read or \
                 changed; rotate whatever the key's user could reach.",
};

/// What it can match: off without watched keys; otherwise exactly their uses.
fn prefilter(context: &Context) -> FieldPrefilter {
    if context.watched_access_keys.is_empty() {
        return FieldPrefilter::nothing(true);
    }
    let keys = context.watched_access_keys.iter().map(String::as_str);
    FieldPrefilter::fields(vec![("userIdentity.accessKeyId", FieldValue::one_of(keys))], false)
}

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    if context.watched_access_keys.is_empty() {
        return None;
    }
    let key = identity_str(record, "accessKeyId")?;
    context
        .watched_access_keys
        .contains(key)
        .then_some(Hit::PLAIN)
}
