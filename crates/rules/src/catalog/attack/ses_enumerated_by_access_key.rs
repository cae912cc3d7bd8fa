//! SES sending limits or identities read with an IAM user's access key.

use crate::{rule::Control, rule::Detection, profile::Profile, rule::Rule, severity::Severity};

/// Fires on `GetSendQuota`, `GetAccountSendingEnabled` or `ListIdentities` (eventSource `ses.amazonaws.com`)
/// made by an IAM user (`userIdentity.type = IAMUser`: long-lived access keys or a console user), whatever the
/// outcome (a denied probe is still a probe).
///
/// Low severity: a person opening the SES console as an IAM user fires it too; applications that send mail over
/// SMTP or `SendEmail` do not call these.
///
/// Pattern: `{ ($.eventSource = "ses.amazonaws.com") && (($.eventName = "GetSendQuota") || ($.eventName = "GetAccountSendingEnabled") || ($.eventName = "ListIdentities")) && ($.userIdentity.type = "IAMUser") }`
pub const RULE: Rule = Rule {
    id: "ses-enumerated-by-access-key",
    title: "SES sending quota or identities read by an IAM user",
    severity: Severity::Low,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1526" },
        Control { framework: "Stratus Red Team", id: "aws.discovery.ses-enumerate" },
    ],
    detection: Detection::Pattern(
        r#"{ ($.eventSource = "ses.amazonaws.com") && (($.eventName = "GetSendQuota") || ($.eventName = "GetAccountSendingEnabled") || ($.eventName = "ListIdentities")) && ($.userIdentity.type = "IAMUser") }"#,
    ),
    rationale: "Checking whether SES can send and how much is among the first things done with a leaked access key: \
                verified SES identities are sold and used for phishing and spam that passes SPF and DKIM.",
    next_steps: "Check whether the IAM user and its access key (userIdentity.accessKeyId) are expected to use SES; if \
                 not, disable the key, and look for SendEmail/SendRawEmail, CreateEmailIdentity and quota increase \
                 requests by the same key.",
};
