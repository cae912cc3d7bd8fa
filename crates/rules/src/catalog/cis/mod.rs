//! The CIS AWS Foundations monitoring controls (v1.2 3.1–3.14 = v1.4–v5.0 4.1–4.15 = v6.0–v7.0 5.1–5.15 =
//! Security Hub CloudWatch.1–14), each as its benchmark's exact CloudWatch metric-filter pattern.
//!
//! One file per rule, registered by one line below.

register_rules! {
    /// The CIS rules, in control order (both 4.2 variants).
    pub static CIS = [
        cis_4_1_unauthorized_api_calls,
        cis_4_2_console_signin_without_mfa,
        cis_4_2_console_signin_without_mfa_iam_user,
        cis_4_3_root_account_usage,
        cis_4_4_iam_policy_changes,
        cis_4_5_cloudtrail_config_changes,
        cis_4_6_console_authentication_failures,
        cis_4_7_cmk_disable_or_scheduled_deletion,
        cis_4_8_s3_bucket_policy_changes,
        cis_4_9_aws_config_changes,
        cis_4_10_security_group_changes,
        cis_4_11_nacl_changes,
        cis_4_12_network_gateway_changes,
        cis_4_13_route_table_changes,
        cis_4_14_vpc_changes,
        cis_4_15_organizations_changes,
    ];
}
