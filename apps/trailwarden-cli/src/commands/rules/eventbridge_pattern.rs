//! `trailwarden rules eventbridge-pattern`: the fast path's EventBridge event patterns for the rules a config
//! file and profile select (`compile::eventbridge::generate`), as JSON; the rules that widened them on stderr.

use crate::cli::EventbridgePatternArgs;
use crate::ruleset::Config;
use anyhow::Context;
use std::io::{self, Write};
use std::process::ExitCode;

pub fn run(args: EventbridgePatternArgs) -> anyhow::Result<ExitCode> {
    let config = Config::load(args.selection.config.as_deref())?;
    let engine = config.engine(args.selection.profile, &rules::today_utc())?;
    let patterns = compile::eventbridge::generate(&engine);
    let text = render(&patterns)?;
    warn_widened(&patterns);
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing the patterns to stdout failed"),
    }
}

/// The JSON printed (pretty, with a final newline): what `infra/eventbridge-patterns.json` holds.
pub fn render(patterns: &compile::eventbridge::Patterns) -> anyhow::Result<String> {
    let mut json = serde_json::to_string_pretty(patterns).context("serializing the patterns")?;
    json.push('\n');
    Ok(json)
}

#[allow(
    clippy::print_stderr,
    reason = "the widening rules are a notice for the person running the command, beside the JSON on stdout"
)]
fn warn_widened(patterns: &compile::eventbridge::Patterns) {
    for w in &patterns.widened_by {
        eprintln!("widened by {}: {}", w.rule_id, w.reason);
    }
    eprintln!(
        "{} pattern(s); read-only management events {}",
        patterns.patterns.len(),
        if patterns.read_only_management_events {
            "needed (ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS)"
        } else {
            "not needed"
        }
    );
}
