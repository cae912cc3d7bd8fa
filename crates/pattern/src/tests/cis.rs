//! Every CIS pattern from `shared/cis-controls.md` parses, and the tricky ones evaluate as CloudWatch would.

use super::{json, pattern};
use crate::Pattern;

/// 3.1/4.1 as in v1.2, Security Hub, WDX, AWSREF.
const P4_1_V1_2: &str =
    r#"{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}"#;
/// 4.1 as in CIS v1.4–v3.0 (matches almost everything: `||` with `!=` terms).
const P4_1_V1_4: &str = r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") || ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }"#;
/// 4.1 as in CIS v4.0–v7.0.
const P4_1_V4_0: &str = "{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && ($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }";
const P4_2: &str = r#"{($.eventName="ConsoleLogin") && ($.additionalEventData.MFAUsed !="Yes")}"#;
const P4_2_SSO: &str = r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }"#;
const P4_2_AWSREF: &str = r#"{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && ($.responseElements.ConsoleLogin != "Failure") && ($.additionalEventData.SamlProviderArn NOT EXISTS) }"#;
const P4_2_GIST_2016: &str = r#"{ $.userIdentity.sessionContext.attributes.mfaAuthenticated != "true" && $.userIdentity.invokedBy = "signin.amazonaws.com" }"#;
const P4_3: &str = r#"{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType !="AwsServiceEvent"}"#;
/// 4.3 as PRW-4.0+ writes it, without quotes.
const P4_3_UNQUOTED: &str = "{$.userIdentity.type=Root && $.userIdentity.invokedBy NOT EXISTS && $.eventType !=AwsServiceEvent}";
const P4_4: &str = "{($.eventName=DeleteGroupPolicy) || ($.eventName=DeleteRolePolicy) || ($.eventName=DeleteUserPolicy) || ($.eventName=PutGroupPolicy) || ($.eventName=PutRolePolicy) || ($.eventName=PutUserPolicy) || ($.eventName=CreatePolicy) || ($.eventName=DeletePolicy) || ($.eventName=CreatePolicyVersion) || ($.eventName=DeletePolicyVersion) || ($.eventName=AttachRolePolicy) || ($.eventName=DetachRolePolicy) || ($.eventName=AttachUserPolicy) || ($.eventName=DetachUserPolicy) || ($.eventName=AttachGroupPolicy) || ($.eventName=DetachGroupPolicy)}";
const P4_5: &str = "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail) || ($.eventName=StartLogging) || ($.eventName=StopLogging)}";
const P4_6: &str = r#"{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}"#;
const P4_7: &str = "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || ($.eventName=ScheduleKeyDeletion))}";
const P4_8: &str = "{($.eventSource=s3.amazonaws.com) && (($.eventName=PutBucketAcl) || ($.eventName=PutBucketPolicy) || ($.eventName=PutBucketCors) || ($.eventName=PutBucketLifecycle) || ($.eventName=PutBucketReplication) || ($.eventName=DeleteBucketPolicy) || ($.eventName=DeleteBucketCors) || ($.eventName=DeleteBucketLifecycle) || ($.eventName=DeleteBucketReplication))}";
const P4_9: &str = "{($.eventSource=config.amazonaws.com) && (($.eventName=StopConfigurationRecorder) || ($.eventName=DeleteDeliveryChannel) || ($.eventName=PutDeliveryChannel) || ($.eventName=PutConfigurationRecorder))}";
const P4_10: &str = "{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup)}";
/// 4.10 as in v5.0+, with `ModifySecurityGroupRules` appended.
const P4_10_V5: &str = "{($.eventName=AuthorizeSecurityGroupIngress) || ($.eventName=AuthorizeSecurityGroupEgress) || ($.eventName=RevokeSecurityGroupIngress) || ($.eventName=RevokeSecurityGroupEgress) || ($.eventName=CreateSecurityGroup) || ($.eventName=DeleteSecurityGroup) || ($.eventName = ModifySecurityGroupRules)}";
const P4_11: &str = "{($.eventName=CreateNetworkAcl) || ($.eventName=CreateNetworkAclEntry) || ($.eventName=DeleteNetworkAcl) || ($.eventName=DeleteNetworkAclEntry) || ($.eventName=ReplaceNetworkAclEntry) || ($.eventName=ReplaceNetworkAclAssociation)}";
const P4_12: &str = "{($.eventName=CreateCustomerGateway) || ($.eventName=DeleteCustomerGateway) || ($.eventName=AttachInternetGateway) || ($.eventName=CreateInternetGateway) || ($.eventName=DeleteInternetGateway) || ($.eventName=DetachInternetGateway)}";
const P4_13: &str = "{($.eventName=CreateRoute) || ($.eventName=CreateRouteTable) || ($.eventName=ReplaceRoute) || ($.eventName=ReplaceRouteTableAssociation) || ($.eventName=DeleteRouteTable) || ($.eventName=DeleteRoute) || ($.eventName=DisassociateRouteTable)}";
/// 4.13 as in the v3.0/v4.0 *audit* text, prefixed with an eventSource guard.
const P4_13_AUDIT: &str = "{($.eventSource = ec2.amazonaws.com) && ($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)}";
const P4_14: &str = "{($.eventName=CreateVpc) || ($.eventName=DeleteVpc) || ($.eventName=ModifyVpcAttribute) || ($.eventName=AcceptVpcPeeringConnection) || ($.eventName=CreateVpcPeeringConnection) || ($.eventName=DeleteVpcPeeringConnection) || ($.eventName=RejectVpcPeeringConnection) || ($.eventName=AttachClassicLinkVpc) || ($.eventName=DetachClassicLinkVpc) || ($.eventName=DisableVpcClassicLink) || ($.eventName=EnableVpcClassicLink)}";
const P4_15: &str = r#"{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }"#;
/// 4.15 as v4.0+ writes it, without the quotes.
const P4_15_UNQUOTED: &str = "{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = AcceptHandshake) || ($.eventName = AttachPolicy) || ($.eventName = CreateAccount) || ($.eventName = CreateOrganizationalUnit) || ($.eventName = CreatePolicy) || ($.eventName = DeclineHandshake) || ($.eventName = DeleteOrganization) || ($.eventName = DeleteOrganizationalUnit) || ($.eventName = DeletePolicy) || ($.eventName = DetachPolicy) || ($.eventName = DisablePolicyType) || ($.eventName = EnablePolicyType) || ($.eventName = InviteAccountToOrganization) || ($.eventName = LeaveOrganization) || ($.eventName = MoveAccount) || ($.eventName = RemoveAccountFromOrganization) || ($.eventName = UpdatePolicy) || ($.eventName = UpdateOrganizationalUnit)) }";
/// Field practice quoted in cis-controls.md: DataBiosphere/azul PR #6089's exclusions.
const AZUL_6089: &str = r#"{($.errorCode = "*UnauthorizedOperation" || $.errorCode = "AccessDenied*") && ($.eventSource != "s3.amazonaws.com" || $.eventName != "GetObject" || $.userIdentity.invokedBy != "cloudfront.amazonaws.com") && ($.eventSource != "s3.amazonaws.com" || $.eventName != "HeadBucket" || $.userIdentity.invokedBy != "config.amazonaws.com") && ($.eventSource != "inspector2.amazonaws.com" || $.eventName != "DescribeOrganizationConfiguration") && ($.eventSource != "ec2.amazonaws.com" || $.eventName != "CreateNetworkInterface")}"#;

pub(super) const ALL: &[&str] = &[
    P4_1_V1_2,
    P4_1_V1_4,
    P4_1_V4_0,
    P4_2,
    P4_2_SSO,
    P4_2_AWSREF,
    P4_2_GIST_2016,
    P4_3,
    P4_3_UNQUOTED,
    P4_4,
    P4_5,
    P4_6,
    P4_7,
    P4_8,
    P4_9,
    P4_10,
    P4_10_V5,
    P4_11,
    P4_12,
    P4_13,
    P4_13_AUDIT,
    P4_14,
    P4_15,
    P4_15_UNQUOTED,
    AZUL_6089,
];

#[test]
fn every_embedded_cis_pattern_parses() {
    for src in ALL {
        let p = pattern(src);
        assert_eq!(p.source(), *src);
    }
}

/// Reads `../shared/cis-controls.md` (beside the project) and parses every backticked `{…}` in it, with
/// the table's `\|` escapes undone. Skips when the folder is absent (a clone elsewhere; a failure under `CI=true`).
#[test]
fn every_pattern_in_cis_controls_md_parses() {
    let Some(path) = test_support::require(test_support::shared_dir().join("cis-controls.md"))
    else {
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut found = 0;
    for (i, chunk) in text.split('`').enumerate() {
        // Odd chunks are inside backticks; `{ … }` is prose, not a pattern.
        if i % 2 == 1 && chunk.starts_with('{') && chunk.ends_with('}') && !chunk.contains('…') {
            let src = chunk.replace("\\|", "|");
            if let Err(e) = Pattern::parse(&src) {
                panic!("cis-controls.md pattern does not parse: {src}\n{e}");
            }
            found += 1;
        }
    }
    // 16 table rows plus the variants written out in "Differences between versions".
    assert!(
        found >= 20,
        "only {found} patterns found in {}",
        path.display()
    );
}

#[test]
fn v4_0_unauthorized_calls_binds_and_tighter_than_or() {
    // CloudWatch precedence is `() > && > ||`, so v4.0's text is
    // `*UnauthorizedOperation || (AccessDenied* && src != delivery.logs && name != HeadBucket)`.
    let p = pattern(P4_1_V4_0);
    let rec = |code: &str, src: &str, name: &str| {
        json(&format!(
            r#"{{"errorCode": "{code}", "sourceIPAddress": "{src}", "eventName": "{name}"}}"#
        ))
    };
    // AccessDenied from delivery.logs.amazonaws.com: excluded.
    assert!(!p.matches(&rec(
        "AccessDenied",
        "delivery.logs.amazonaws.com",
        "PutObject"
    )));
    // AccessDenied on HeadBucket: excluded.
    assert!(!p.matches(&rec("AccessDenied", "203.0.113.9", "HeadBucket")));
    // AccessDenied otherwise: matches.
    assert!(p.matches(&rec("AccessDenied", "203.0.113.9", "GetObject")));
    // UnauthorizedOperation: the exclusions do not apply to it.
    assert!(p.matches(&rec(
        "Client.UnauthorizedOperation",
        "delivery.logs.amazonaws.com",
        "HeadBucket"
    )));
    // No error: no match.
    assert!(!p.matches(&json(
        r#"{"sourceIPAddress": "203.0.113.9", "eventName": "GetObject"}"#
    )));
}

#[test]
fn v1_4_unauthorized_calls_matches_almost_everything() {
    let p = pattern(P4_1_V1_4);
    // A successful, ordinary call matches through `sourceIPAddress != delivery.logs…`.
    assert!(p.matches(&json(
        r#"{"eventName": "DescribeInstances", "sourceIPAddress": "203.0.113.9"}"#
    )));
    // Even from delivery.logs it matches through `eventName != HeadBucket`.
    assert!(p.matches(&json(
        r#"{"eventName": "PutObject", "sourceIPAddress": "delivery.logs.amazonaws.com"}"#
    )));
    // Only a HeadBucket from delivery.logs without an error escapes (or a record with neither field,
    // since `!=` on a missing field is false).
    assert!(!p.matches(&json(
        r#"{"eventName": "HeadBucket", "sourceIPAddress": "delivery.logs.amazonaws.com"}"#
    )));
    assert!(!p.matches(&json(r#"{"eventVersion": "1.08"}"#)));
    // The v1.2 pattern matches only errors.
    let v12 = pattern(P4_1_V1_2);
    assert!(!v12.matches(&json(
        r#"{"eventName": "DescribeInstances", "sourceIPAddress": "203.0.113.9"}"#
    )));
    assert!(v12.matches(&json(r#"{"errorCode": "AccessDenied"}"#)));
}

#[test]
fn route_table_audit_text_guards_only_create_route() {
    // cis-controls.md "Differences" 5: "Because of precedence, the eventSource guard then applies only
    // to CreateRoute."
    let p = pattern(P4_13_AUDIT);
    assert!(p.matches(&json(
        r#"{"eventSource": "ec2.amazonaws.com", "eventName": "CreateRoute"}"#
    )));
    assert!(!p.matches(&json(
        r#"{"eventSource": "other.amazonaws.com", "eventName": "CreateRoute"}"#
    )));
    assert!(p.matches(&json(
        r#"{"eventSource": "other.amazonaws.com", "eventName": "DeleteRoute"}"#
    )));
}

#[test]
fn root_usage() {
    let root = r#"{"userIdentity": {"type": "Root"}, "eventType": "AwsApiCall"}"#;
    let by_service = r#"{"userIdentity": {"type": "Root", "invokedBy": "support.amazonaws.com"}, "eventType": "AwsApiCall"}"#;
    let service_event = r#"{"userIdentity": {"type": "Root"}, "eventType": "AwsServiceEvent"}"#;
    let iam_user = r#"{"userIdentity": {"type": "IAMUser"}, "eventType": "AwsApiCall"}"#;
    // `!=` on a missing eventType is false, so a record without it does not match.
    let no_event_type = r#"{"userIdentity": {"type": "Root"}}"#;
    for src in [P4_3, P4_3_UNQUOTED] {
        let p = pattern(src);
        assert!(p.matches(&json(root)), "{src}");
        assert!(!p.matches(&json(by_service)), "{src}");
        assert!(!p.matches(&json(service_event)), "{src}");
        assert!(!p.matches(&json(iam_user)), "{src}");
        assert!(!p.matches(&json(no_event_type)), "{src}");
    }
}

#[test]
fn console_login_variants() {
    let sso = r#"{"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No", "SamlProviderArn": "arn:aws:iam::1:saml-provider/x"},
                  "userIdentity": {"type": "AssumedRole"}, "responseElements": {"ConsoleLogin": "Success"}}"#;
    let iam_no_mfa = r#"{"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"},
                  "userIdentity": {"type": "IAMUser"}, "responseElements": {"ConsoleLogin": "Success"}}"#;
    let iam_mfa = r#"{"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "Yes"},
                  "userIdentity": {"type": "IAMUser"}, "responseElements": {"ConsoleLogin": "Success"}}"#;
    let failed = r#"{"eventName": "ConsoleLogin", "additionalEventData": {"MFAUsed": "No"}, "errorMessage": "Failed authentication",
                  "userIdentity": {"type": "IAMUser"}, "responseElements": {"ConsoleLogin": "Failure"}}"#;
    let cases = [
        // The base pattern fires on SSO logins (the complaint in cis-controls.md "Differences" 2)…
        (P4_2, sso, true),
        (P4_2, iam_no_mfa, true),
        (P4_2, iam_mfa, false),
        (P4_2, failed, true),
        // …the Security Hub variant does not, nor on failures.
        (P4_2_SSO, sso, false),
        (P4_2_SSO, iam_no_mfa, true),
        (P4_2_SSO, failed, false),
        // AWSREF excludes SAML logins and failures.
        (P4_2_AWSREF, sso, false),
        (P4_2_AWSREF, iam_no_mfa, true),
        (P4_2_AWSREF, failed, false),
        // 4.6 authentication failures.
        (P4_6, failed, true),
        (P4_6, iam_no_mfa, false),
    ];
    for (src, record, expected) in cases {
        assert_eq!(
            pattern(src).matches(&json(record)),
            expected,
            "{src} on {record}"
        );
    }
}

#[test]
fn kms_and_organizations_need_their_event_source() {
    let p = pattern(P4_7);
    assert!(p.matches(&json(
        r#"{"eventSource": "kms.amazonaws.com", "eventName": "ScheduleKeyDeletion"}"#
    )));
    assert!(!p.matches(&json(
        r#"{"eventSource": "other.amazonaws.com", "eventName": "ScheduleKeyDeletion"}"#
    )));
    for src in [P4_15, P4_15_UNQUOTED] {
        let p = pattern(src);
        assert!(p.matches(&json(
            r#"{"eventSource": "organizations.amazonaws.com", "eventName": "LeaveOrganization"}"#
        )));
        assert!(!p.matches(&json(
            r#"{"eventSource": "organizations.amazonaws.com", "eventName": "DescribeOrganization"}"#
        )));
    }
}
