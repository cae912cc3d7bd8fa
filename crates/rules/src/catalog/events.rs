//! Event names and error codes that several tools share: the rules below use them (their patterns keep the
//! benchmark's exact text, and a test checks the two agree), and hunts select records by them.

/// CIS 4.4 (IAM policy changes): the sixteen IAM event names of its pattern, in the pattern's order. The
/// `cis-4.4-iam-policy-changes` pattern is exactly these names joined by `||`.
pub const IAM_POLICY_CHANGE_EVENTS: &[&str] = &[
    "DeleteGroupPolicy",
    "DeleteRolePolicy",
    "DeleteUserPolicy",
    "PutGroupPolicy",
    "PutRolePolicy",
    "PutUserPolicy",
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
];

/// CIS 4.10 (security group changes), v5.0+ text: the seven EC2 event names of its pattern, in the
/// pattern's order (`ModifySecurityGroupRules` is the v5.0 addition). The `cis-4.10-security-group-changes`
/// pattern is exactly these names joined by `||`.
pub const SECURITY_GROUP_CHANGE_EVENTS: &[&str] = &[
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
    "CreateSecurityGroup",
    "DeleteSecurityGroup",
    "ModifySecurityGroupRules",
];

/// CIS 4.1 (unauthorized API calls): an `errorCode` that starts with one of these is a denial
/// (`AccessDenied`, `AccessDeniedException`; the pattern's `$.errorCode = AccessDenied*`).
pub const DENIED_ERROR_CODE_PREFIXES: &[&str] = &["AccessDenied"];

/// CIS 4.1 (unauthorized API calls): an `errorCode` that ends with one of these is a denial (EC2's
/// `Client.UnauthorizedOperation`; the pattern's `$.errorCode = *UnauthorizedOperation`).
pub const DENIED_ERROR_CODE_SUFFIXES: &[&str] = &["UnauthorizedOperation"];

/// Whether an `errorCode` is a denial for lack of permission as CIS 4.1 counts them: it starts with a
/// [`DENIED_ERROR_CODE_PREFIXES`] entry or ends with a [`DENIED_ERROR_CODE_SUFFIXES`] entry (case-sensitive,
/// as CloudWatch matches). This is the error-code part of the 4.1 pattern only: the pattern also leaves out
/// `AccessDenied*` calls from `delivery.logs.amazonaws.com` and `HeadBucket`.
pub fn is_denied_error_code(code: &str) -> bool {
    DENIED_ERROR_CODE_PREFIXES
        .iter()
        .any(|p| code.starts_with(p))
        || DENIED_ERROR_CODE_SUFFIXES.iter().any(|s| code.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::cis::{
        cis_4_10_security_group_changes, cis_4_1_unauthorized_api_calls, cis_4_4_iam_policy_changes,
    };
    use crate::{rule::Detection, rule::Rule};
    use pattern::Pattern;

    fn pattern(rule: &Rule) -> Pattern {
        match rule.detection {
            Detection::Pattern(p) => Pattern::parse(p).unwrap(),
            _ => panic!("{} is a pattern rule", rule.id),
        }
    }

    /// The pattern is the event names joined by `||`, in the list's order, and nothing else.
    fn assert_pattern_is_exactly(rule: &Rule, names: &[&str]) {
        let p = pattern(rule);
        let mut required = p.required_values("$.eventName").unwrap();
        let mut want = names.to_vec();
        required.sort_unstable();
        want.sort_unstable();
        assert_eq!(required, want, "{}", rule.id);
        let Detection::Pattern(text) = rule.detection else {
            unreachable!()
        };
        let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let joined = names
            .iter()
            .map(|n| format!("($.eventName={n})"))
            .collect::<Vec<_>>()
            .join("||");
        assert_eq!(squeezed, format!("{{{joined}}}"), "{}", rule.id);
    }

    #[test]
    fn the_cis_patterns_are_exactly_the_lists() {
        assert_pattern_is_exactly(&cis_4_4_iam_policy_changes::RULE, IAM_POLICY_CHANGE_EVENTS);
        assert_pattern_is_exactly(
            &cis_4_10_security_group_changes::RULE,
            SECURITY_GROUP_CHANGE_EVENTS,
        );
    }

    #[test]
    fn denied_codes_agree_with_the_4_1_pattern() {
        let p = pattern(&cis_4_1_unauthorized_api_calls::RULE);
        for code in [
            "AccessDenied",
            "AccessDeniedException",
            "Client.UnauthorizedOperation",
            "UnauthorizedOperation",
            "accessdenied",
            "Client.unauthorizedOperation",
            "NoSuchBucket",
            "ThrottlingException",
            "UnauthorizedOperationX",
            "XAccessDenied",
            "",
        ] {
            // A record the pattern's exclusions leave alone, so only the error code decides.
            let record = serde_json::json!({"errorCode": code, "eventName": "GetObject",
                                            "sourceIPAddress": "198.51.100.7"});
            let doc = cloudtrail::Parsed::from_value(&record);
            assert_eq!(
                is_denied_error_code(code),
                p.matches(&doc.root()),
                "{code:?}"
            );
        }
    }
}
