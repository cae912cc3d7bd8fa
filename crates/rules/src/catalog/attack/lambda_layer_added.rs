//! Layers (possibly extensions) set on an existing Lambda function.

use super::common::{is_call, is_outside, made_by_aws_service, recipient, succeeded};
use crate::{rule::Context, rule::Control, rule::Detection, rule::Prefilter, rule::Hit, profile::Profile, rule::Rule, severity::Severity};
use cloudtrail::Node;

/// The `UpdateFunctionConfiguration` event names Lambda logs.
const EVENTS: &[&str] = &[
    "UpdateFunctionConfiguration20150331v2",
    "UpdateFunctionConfiguration20150331",
    "UpdateFunctionConfiguration",
];

/// Fires on a successful `UpdateFunctionConfiguration20150331v2` (or the older names; eventSource
/// `lambda.amazonaws.com`; no `errorCode`, no `errorMessage`) whose `requestParameters.layers` is a list with at
/// least one layer version ARN (a string `arn:…:layer:…`), made by a principal itself (not by an AWS service
/// such as CloudFormation on its behalf: those are deployments). A layer version ARN (`arn:aws:lambda:<region>:<account>:layer:<name>:<version>`) of an
/// account that is neither the recipient account nor trusted is noted "layer from another account".
///
/// False positives: deployment tools that call the API directly (Terraform, the Serverless Framework) set
/// layers on every deploy; exclude their roles.
///
/// Code, not a pattern: it reads the account out of every layer ARN.
pub const RULE: Rule = Rule {
    id: "lambda-layer-added",
    title: "Lambda function layers changed",
    severity: Severity::Medium,
    profiles: &[Profile::Recommended],
    controls: &[
        Control { framework: "MITRE ATT&CK", id: "T1546" },
        Control { framework: "Stratus Red Team", id: "aws.persistence.lambda-layer-extension" },
    ],
    detection: Detection::Code {
        prefilter: Prefilter::EventNames(EVENTS),
        detect,
    },
    rationale: "A layer can carry a Lambda extension: a process that starts with every execution environment of the \
                function, sees every event and the function's credentials, without a change to the function's \
                code.",
    next_steps: "Identify the layers (requestParameters.layers) and who published them; download a layer version \
                 (GetLayerVersion) and look for an extensions/ directory; if unexpected, remove the layer from the \
                 function and rotate what the function's role can reach.",
};

const FOREIGN: &str = "layer from another account";

fn detect(record: Node<'_>, context: &Context) -> Option<Hit> {
    if !is_call(record, "lambda.amazonaws.com", EVENTS) || !succeeded(record) || made_by_aws_service(record) {
        return None;
    }
    let mut layers = record
        .get("requestParameters")?
        .get("layers")?
        .as_array()?
        .filter_map(|l| l.as_str())
        .filter(|arn| arn.starts_with("arn:") && arn.contains(":layer:"))
        .peekable();
    layers.peek()?;
    let own = recipient(record);
    let foreign = layers.any(|arn| {
        arn.split(':')
            .nth(4)
            .is_some_and(|account| !account.is_empty() && is_outside(account, own, context))
    });
    Some(if foreign { Hit::noted(FOREIGN) } else { Hit::PLAIN })
}
