//! The built-in rules: one file per rule, listed once in [`BUILTIN`].

use crate::Rule;

pub mod cis_4_1_unauthorized_api_calls;
pub mod cis_4_3_root_account_usage;

/// Every built-in rule, in catalog order.
pub static BUILTIN: &[&Rule] = &[
    &cis_4_1_unauthorized_api_calls::RULE,
    &cis_4_3_root_account_usage::RULE,
];
