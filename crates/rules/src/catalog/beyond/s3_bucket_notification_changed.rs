//! An S3 bucket's event notifications replaced or removed.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on a successful `PutBucketNotification` or `PutBucketNotificationConfiguration` (eventSource
/// `s3.amazonaws.com`; successful = no `errorCode` and no `errorMessage`). Recorded calls carry the event name
/// `PutBucketNotification`, with `requestParameters.notification`; the current API's own name,
/// `PutBucketNotificationConfiguration`, is listed too, so either form fires. The bucket is
/// `requestParameters.bucketName`; the new configuration is `requestParameters.NotificationConfiguration`.
///
/// Pattern: `{ ($.eventSource = "s3.amazonaws.com") && (($.eventName = "PutBucketNotification") || ($.eventName = "PutBucketNotificationConfiguration")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }`
///
/// Why: S3 has no "delete notification" call. The call replaces a bucket's whole notification configuration,
/// so one call with an empty configuration silently removes every notification. On the CloudTrail log bucket
/// that disconnects trailwarden (the function is triggered by that bucket's `s3:ObjectCreated` notification):
/// the trail keeps logging, nothing alerts, and neither `cloudtrail-stopped-or-deleted` nor CIS 4.5 fires.
/// The rule cannot tell which bucket holds the trail, so it fires for every bucket; the alert names it.
///
/// Known false positives: infrastructure-as-code (Terraform `aws_s3_bucket_notification`, CloudFormation,
/// CDK) and the S3 and Lambda consoles write notification configurations when they deploy triggers. Failed
/// attempts do not fire (a denied attempt is CIS 4.1's).
///
/// Severity: high. On the log bucket it blinds the alerting pipeline, a tamper step; elsewhere it redirects
/// or drops a workload's events. ATT&CK: T1562.001 (Impair Defenses: Disable or Modify Tools).
pub const RULE: Rule = Rule {
    id: "s3-bucket-notification-changed",
    title: "S3 bucket event notifications changed",
    severity: Severity::High,
    profiles: &[Profile::Recommended],
    controls: &[Control { framework: "MITRE ATT&CK", id: "T1562.001" }],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "s3.amazonaws.com") && (($.eventName = "PutBucketNotification") || ($.eventName = "PutBucketNotificationConfiguration")) && ($.errorCode NOT EXISTS) && ($.errorMessage NOT EXISTS) }"#,
    ),
    rationale: "A bucket's event notifications are replaced as a whole, so one call can remove them all. On the \
                CloudTrail log bucket that disconnects this alerting: the trail keeps writing log files, but the \
                function they used to trigger no longer runs, and nothing else reports it. On other buckets it \
                silently stops or redirects the processing that depends on new objects.",
    next_steps: "Read requestParameters.bucketName and requestParameters.NotificationConfiguration: is this the \
                 CloudTrail log bucket, and does the configuration still send s3:ObjectCreated events for \
                 AWSLogs/ to the trailwarden function (aws s3api get-bucket-notification-configuration --bucket \
                 …)? Check whether the caller is your deployment pipeline and the change matches a reviewed \
                 commit; if not, restore the notification (terraform apply), replay the log files written since \
                 with `trailwarden scan`, and review what else the caller did.",
};
