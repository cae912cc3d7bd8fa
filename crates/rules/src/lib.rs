//! trailwarden's detection rules: the rule model, the built-in catalog, the compiled engine and the scan
//! pipeline shared by the Lambda and the CLI. Pure and synchronous: no AWS, no async.

pub mod catalog;
pub mod config;
pub mod engine;
pub mod finding;
pub mod pattern;
pub mod rule;
pub mod scan;
pub mod severity;

pub use catalog::BUILTIN;
pub use config::{AlertSettings, ConfigError, Profile, RulesConfig};
pub use engine::{CompiledRule, Engine, EngineError, Exclusion, Outcome};
pub use finding::Finding;
pub use pattern::{Document, ParseError, Pattern};
pub use rule::{CodeRule, Context, Control, Detection, Hit, Rule};
pub use scan::{
    scan_log, scan_log_filtered, MalformedRecord, ScanError, ScanStats, SuppressedFinding,
};
pub use severity::Severity;
