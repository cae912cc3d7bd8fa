//! trailwarden's detection rules: the rule model, the built-in catalog, the compiled engine, the threshold
//! windows and the per-file scan shared by the Lambda and the CLI. Pure and synchronous: no AWS, no async.
//! The filter-pattern language is the `pattern` crate; the EventBridge and SQL compilers are the `compile` crate.
//!
//! Inside the crate, modules import from the module that defines an item (`crate::engine::Engine`), never
//! through the re-exports below, and the modules form no cycle (the workspace's module-graph test).

pub mod builtin;
pub mod catalog;
pub mod config;
pub mod coverage;
pub mod engine;
pub mod external;
pub mod finding;
pub mod own_resources;
pub mod profile;
pub mod rule;
pub mod scan;
pub mod scan_record;
pub mod severity;
pub mod stratus;
pub mod suggest;
pub mod threshold;
pub mod unevaluated;

pub use catalog::events::{
    is_denied_error_code, DENIED_ERROR_CODE_PREFIXES, DENIED_ERROR_CODE_SUFFIXES,
    IAM_POLICY_CHANGE_EVENTS, SECURITY_GROUP_CHANGE_EVENTS,
};
pub use catalog::BUILTIN;
pub use config::{AlertSettings, ConfigError, OwnResourcesSpec, RulesConfig};
pub use engine::{CompiledRule, Engine, EngineError, Exclusion, Outcome};
pub use external::{external_caller, CallerFields, ExternalCaller};
pub use finding::{
    finding_id, lower_hex, replace_lone_surrogates, short_hash, short_principal, Finding,
    PrincipalField,
};
pub use own_resources::{ArnError, OwnResourceArn, OwnResources};
pub use pattern::{Document, ParseError, Pattern};
pub use profile::{Profile, UnknownProfile};
pub use rule::{
    Catalog, CodeRule, Context, Control, Detection, FieldPrefilter, FieldValue, Hit, Prefilter,
    Rule,
};
pub use scan::{
    scan_log, scan_log_filtered, scan_log_windowed, MalformedRecord, ScanError, ScanStats,
    SuppressedFinding,
};
pub use severity::Severity;
pub use suggest::{suggest_exclusion, SUGGESTED_EXCLUSION_DAYS};
pub use threshold::{Observation, Threshold, ThresholdDetails, ThresholdSpec, Uncounted, Windows};
pub use unevaluated::UNEVALUATED_RECORD;

/// Today's date in UTC as `YYYY-MM-DD`: the `today` of [`Engine::from_config`] (when exclusions expire, and
/// the date of records without an `eventTime`).
pub fn today_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn today_utc_is_a_date() {
        let today = super::today_utc();
        assert_eq!(today.len(), 10, "{today}");
        assert!(
            chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").is_ok(),
            "{today}"
        );
    }
}
