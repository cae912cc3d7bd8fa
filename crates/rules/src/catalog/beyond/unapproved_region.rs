//! A change made in a region outside the allow-list.

use super::common::{event_type, id_at, is_read_only, made_by_aws_service};
use crate::{rule::Context, rule::Control, rule::Detection, rule::FieldPrefilter, rule::FieldValue, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// Fires, when allowed regions are configured (`allowed_regions` in the config; empty = rule off), on a record
/// whose `awsRegion` is not one of them, that is not read-only (`readOnly` not `true`; an absent `readOnly`
/// counts as not read-only), and that is not made by an AWS service (`userIdentity.type = AWSService`,
/// `invokedBy` present, or an `AwsServiceEvent`). Failed calls fire too: an attempt to launch instances in an
/// unused region is worth knowing. CloudTrail Insights records (`AwsCloudTrailInsight`) are not calls and are
/// skipped.
///
/// Global services (IAM, STS's global endpoint, Organizations, Route 53, CloudFront) log their calls in
/// `us-east-1`, so an allow-list should include `us-east-1`, as most do; otherwise every IAM change fires.
/// Console sign-ins log in the region of the sign-in endpoint.
///
/// Code, not a pattern: the allow-list is deployment configuration, not part of the rule.
pub const RULE: Rule = Rule {
    id: "unapproved-region",
    title: "Change in an unapproved region",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1535" }],
    detection: Detection::Code {
        prefilter: Prefilter::Fields(prefilter),
        detect,
    },
    rationale: "Regions nobody uses are where intruders run crypto miners and stage resources, because nobody looks \
                there and budgets are watched per workload. A change in a region outside your allow-list is either a \
                new project nobody announced or activity that hopes to stay unnoticed.",
    next_steps: "Look at what was created or changed and by whom; if it is legitimate, add the region to the \
                 allow-list; if not, remove the resources, investigate the caller, and consider an SCP that denies \
                 unapproved regions (aws:RequestedRegion).",
};

/// What it can match: off without an allow-list; otherwise any non-read-only call in another region.
fn prefilter(context: &Context) -> FieldPrefilter {
    if context.allowed_regions.is_empty() {
        return FieldPrefilter::nothing(true);
    }
    let regions = context.allowed_regions.iter().map(String::as_str);
    FieldPrefilter::fields(vec![("awsRegion", FieldValue::anything_but(regions))], true).broad(
        "any change outside allowed_regions: not limited to some event names (anything-but on awsRegion)",
    )
}

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    if context.allowed_regions.is_empty() {
        return None;
    }
    let region = id_at(record, &["awsRegion"])?;
    if context.allowed_regions.contains(region)
        || is_read_only(record)
        || made_by_aws_service(record)
        || event_type(record) == Some("AwsCloudTrailInsight")
    {
        return None;
    }
    Some(Hit::PLAIN)
}
