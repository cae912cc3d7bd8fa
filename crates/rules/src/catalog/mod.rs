//! The built-in rules: one file per rule, listed once in [`BUILTIN`].

use crate::Rule;

pub mod beyond;
pub mod cis_4_10_security_group_changes;
pub mod cis_4_11_nacl_changes;
pub mod cis_4_12_network_gateway_changes;
pub mod cis_4_13_route_table_changes;
pub mod cis_4_14_vpc_changes;
pub mod cis_4_15_organizations_changes;
pub mod cis_4_1_unauthorized_api_calls;
pub mod cis_4_2_console_signin_without_mfa;
pub mod cis_4_2_console_signin_without_mfa_iam_user;
pub mod cis_4_3_root_account_usage;
pub mod cis_4_4_iam_policy_changes;
pub mod cis_4_5_cloudtrail_config_changes;
pub mod cis_4_6_console_authentication_failures;
pub mod cis_4_7_cmk_disable_or_scheduled_deletion;
pub mod cis_4_8_s3_bucket_policy_changes;
pub mod cis_4_9_aws_config_changes;
pub mod events;

/// Every built-in rule, in catalog order.
pub static BUILTIN: &[&Rule] = &[
    &cis_4_1_unauthorized_api_calls::RULE,
    &cis_4_2_console_signin_without_mfa::RULE,
    &cis_4_2_console_signin_without_mfa_iam_user::RULE,
    &cis_4_3_root_account_usage::RULE,
    &cis_4_4_iam_policy_changes::RULE,
    &cis_4_5_cloudtrail_config_changes::RULE,
    &cis_4_6_console_authentication_failures::RULE,
    &cis_4_7_cmk_disable_or_scheduled_deletion::RULE,
    &cis_4_8_s3_bucket_policy_changes::RULE,
    &cis_4_9_aws_config_changes::RULE,
    &cis_4_10_security_group_changes::RULE,
    &cis_4_11_nacl_changes::RULE,
    &cis_4_12_network_gateway_changes::RULE,
    &cis_4_13_route_table_changes::RULE,
    &cis_4_14_vpc_changes::RULE,
    &cis_4_15_organizations_changes::RULE,
    // Beyond CIS, in the order of `beyond::BEYOND` (a test keeps the two lists identical).
    &beyond::root_activity::RULE,
    &beyond::root_console_login_success::RULE,
    &beyond::root_console_login_failure::RULE,
    &beyond::console_login_without_mfa::RULE,
    &beyond::cloudtrail_stopped_or_deleted::RULE,
    &beyond::cloudtrail_management_events_disabled::RULE,
    &beyond::guardduty_disabled::RULE,
    &beyond::security_configuration_change::RULE,
    &beyond::ebs_default_encryption_disabled::RULE,
    &beyond::access_key_created_for_other_user::RULE,
    &beyond::iam_user_created::RULE,
    &beyond::login_profile_changed_for_other_user::RULE,
    &beyond::s3_public_access_block_deleted::RULE,
    &beyond::vpc_flow_logs_deleted::RULE,
    &beyond::leave_organization::RULE,
    &beyond::ebs_snapshot_shared::RULE,
    &beyond::ami_shared::RULE,
    &beyond::external_principal_access::RULE,
    &beyond::external_principal_access_denied::RULE,
    &beyond::vpce_cross_account_access::RULE,
    &beyond::s3_copy_object_to_external_account::RULE,
    &beyond::watched_access_key_used::RULE,
    &beyond::unapproved_region::RULE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_is_the_cis_rules_then_exactly_beyond() {
        let cis: Vec<&str> = BUILTIN
            .iter()
            .map(|r| r.id)
            .take_while(|id| id.starts_with("cis-"))
            .collect();
        assert_eq!(
            cis.len(),
            16,
            "every CIS monitoring control 4.1-4.15, both 4.2 variants"
        );
        let rest: Vec<&str> = BUILTIN[cis.len()..].iter().map(|r| r.id).collect();
        let beyond: Vec<&str> = beyond::BEYOND.iter().map(|r| r.id).collect();
        assert_eq!(rest, beyond);
    }
}
