//! `trailwarden rules show ID`: everything about one rule.

use crate::cli::ShowArgs;
use crate::ruleset::Config;
use anyhow::{anyhow, Context};
use rules::{CompiledRule, Engine, Exclusion, Profile};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::process::ExitCode;

/// Paragraphs are wrapped to this many columns.
const WIDTH: usize = 100;

pub fn run(args: ShowArgs) -> anyhow::Result<ExitCode> {
    if args.id == rules::UNEVALUATED_RECORD {
        return print(&describe_unevaluated());
    }
    let config = Config::load(args.config.as_deref())?;
    let today = rules::today_utc();
    // Every built-in rule and the custom rules; a rule the config disables is found in the catalog.
    let configured = config.engine(Some(Profile::All), &today)?;
    let catalog = Engine::builtin().context("the built-in rules failed to compile")?;
    let find = |engine: &Engine| -> Option<CompiledRule> {
        engine.rules().iter().find(|r| r.id() == args.id).cloned()
    };
    let rule = find(&configured)
        .or_else(|| find(&catalog))
        .ok_or_else(|| unknown(&args.id, &configured))?;
    print(&describe(&rule, &config, configured.exclusions(), &today))
}

fn print(text: &str) -> anyhow::Result<ExitCode> {
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing to stdout failed"),
    }
}

/// The error for an id that is no rule, suggesting ids that contain it (`rules show 4.3`).
fn unknown(id: &str, engine: &Engine) -> anyhow::Error {
    let close: Vec<&str> = engine
        .rules()
        .iter()
        .map(CompiledRule::id)
        .filter(|r| !id.is_empty() && r.contains(id))
        .collect();
    if close.is_empty() {
        anyhow!("unknown rule id {id:?} (see `trailwarden rules list`)")
    } else {
        anyhow!("unknown rule id {id:?}; did you mean {}?", close.join(", "))
    }
}

/// The text `rules show unevaluated-record` prints: the pipeline's own finding, not a catalog rule.
pub fn describe_unevaluated() -> String {
    use rules::unevaluated;
    let mut s = String::new();
    let _ = writeln!(s, "{}: {}", rules::UNEVALUATED_RECORD, unevaluated::TITLE);
    let _ = writeln!(s);
    let _ = writeln!(s, "severity:   {}", unevaluated::SEVERITY);
    let _ = writeln!(s, "controls:   none");
    let _ = writeln!(
        s,
        "profiles:   all (built into the pipeline, not a catalog rule: cannot be disabled or excluded)"
    );
    section(&mut s, "why it matters", unevaluated::RATIONALE);
    section(&mut s, "what to check next", unevaluated::NEXT_STEPS);
    s
}

/// The text `rules show` prints.
pub fn describe(
    rule: &CompiledRule,
    config: &Config,
    exclusions: &[Exclusion],
    today: &str,
) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(s, "{}: {}", rule.id(), rule.title());
    let _ = writeln!(s);
    let _ = writeln!(s, "severity:   {}", rule.severity());
    let controls: Vec<String> = rule.controls().iter().map(ToString::to_string).collect();
    let _ = writeln!(
        s,
        "controls:   {}",
        if controls.is_empty() {
            "none".to_owned()
        } else {
            controls.join(", ")
        }
    );
    if rule.is_builtin() {
        let profiles: Vec<&str> = [Profile::Cis, Profile::Recommended, Profile::All]
            .into_iter()
            .filter(|p| p.includes(rule.id()))
            .map(Profile::as_str)
            .collect();
        let _ = writeln!(s, "profiles:   {}", profiles.join(", "));
    } else {
        let _ = writeln!(
            s,
            "source:     custom rule of {} (evaluated in every profile)",
            config.path.as_deref().unwrap_or("the config file")
        );
    }
    if let Some(status) = config_status(rule, config) {
        let _ = writeln!(s, "config:     {status}");
    }
    match rule.pattern() {
        Some(p) => {
            let _ = writeln!(s, "pattern:    {p}");
        }
        None => {
            let _ = writeln!(
                s,
                "pattern:    none: a code rule (its condition cannot be written as a CloudWatch filter pattern)"
            );
        }
    }
    section(&mut s, "why it matters", rule.rationale());
    section(&mut s, "what to check next", rule.next_steps());

    let _ = writeln!(s);
    let applying: Vec<&Exclusion> = exclusions
        .iter()
        .filter(|x| {
            x.rules
                .as_ref()
                .is_none_or(|ids| ids.iter().any(|i| i == rule.id()))
        })
        .collect();
    match (&config.path, applying.is_empty()) {
        (None, _) => {
            let _ = writeln!(s, "exclusions: none (no --config file)");
        }
        (Some(path), true) => {
            let _ = writeln!(s, "exclusions: none of {path} applies to this rule");
        }
        (Some(path), false) => {
            let _ = writeln!(s, "exclusions (from {path}):");
            for x in applying {
                exclusion(&mut s, x, today);
            }
        }
    }
    s
}

/// Whether the config file selects the rule, and why, when a config file was given.
fn config_status(rule: &CompiledRule, config: &Config) -> Option<String> {
    let path = config.path.as_deref()?;
    if !rule.is_builtin() {
        return None;
    }
    let id = rule.id();
    let profile = config.rules.profile();
    let name = profile.as_str();
    Some(if config.disables(id) {
        format!("not evaluated: {path} disables it")
    } else if profile.includes(id) {
        format!("evaluated (in profile {name} of {path})")
    } else if config.rules.enable.iter().any(|e| e.get_ref() == id) {
        format!("evaluated ({path} enables it; profile {name} does not include it)")
    } else {
        format!("not evaluated: profile {name} of {path} does not include it")
    })
}

fn section(s: &mut String, heading: &str, text: &str) {
    let _ = writeln!(s);
    let _ = writeln!(s, "{heading}:");
    if text.trim().is_empty() {
        let _ = writeln!(s, "  (not given)");
        return;
    }
    for line in wrap(text, WIDTH - 2) {
        let _ = writeln!(s, "  {line}");
    }
}

fn exclusion(s: &mut String, x: &Exclusion, today: &str) {
    let _ = writeln!(s, "  - {}: {}", x.id, x.reason);
    let applies_to = match &x.rules {
        None => "every rule".to_owned(),
        Some(ids) => ids.join(", "),
    };
    let _ = writeln!(s, "    applies to: {applies_to}");
    let _ = writeln!(s, "    condition:  {}", x.pattern());
    let expires = match &x.expires {
        None => "never".to_owned(),
        Some(d) if !x.applies_on(today) => {
            format!("{d} (expired: no longer applies to later events)")
        }
        Some(d) => d.clone(),
    };
    let _ = writeln!(s, "    expires:    {expires}");
}

/// Splits text into lines of at most `width` characters at spaces (a longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use rules::RulesConfig;

    #[test]
    fn describes_the_unevaluated_record_finding() {
        let text = describe_unevaluated();
        assert!(text.starts_with(
            "unevaluated-record: CloudTrail record could not be evaluated\n\nseverity:   high\n"
        ));
        assert!(
            text.contains("\nwhy it matters:\n  A record of a log file"),
            "{text}"
        );
        assert!(
            text.contains("\nwhat to check next:\n  Fetch the log file"),
            "{text}"
        );
        assert!(text.lines().all(|l| l.chars().count() <= WIDTH), "{text}");
    }

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("aa bb  cc\ndd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap("abcdefgh ij", 5), ["abcdefgh", "ij"]);
        assert!(wrap("  ", 5).is_empty());
    }

    #[test]
    fn describes_a_pattern_rule_with_its_exclusions() {
        let config = Config {
            rules: RulesConfig::parse(
                "profile = \"cis\"\n[[exclusions]]\nid = \"drill\"\nreason = \"break-glass drill\"\n\
                 rules = [\"cis-4.3-root-account-usage\"]\nmatch = { eventName = \"ConsoleLogin\" }\n\
                 expires = \"2024-01-31\"\n\
                 [[exclusions]]\nid = \"other\"\nreason = \"r\"\nrules = [\"root-activity\"]\n\
                 pattern = '{ $.a = 1 }'\n",
                "t.toml",
            )
            .unwrap(),
            path: Some("t.toml".to_owned()),
        };
        let engine = config.engine(Some(Profile::All), "2025-01-01").unwrap();
        let rule = engine
            .rules()
            .iter()
            .find(|r| r.id() == "cis-4.3-root-account-usage")
            .unwrap();
        let text = describe(rule, &config, engine.exclusions(), "2025-01-01");
        for needle in [
            "cis-4.3-root-account-usage: ",
            "severity:   high",
            "CIS v1.4-v5.0 4.3",
            "profiles:   cis, recommended, all",
            "config:     evaluated (in profile cis of t.toml)",
            "pattern:    {",
            "why it matters:\n  ",
            "what to check next:\n  ",
            "exclusions (from t.toml):\n  - drill: break-glass drill\n",
            "applies to: cis-4.3-root-account-usage",
            "expires:    2024-01-31 (expired",
        ] {
            assert!(text.contains(needle), "{needle:?} not in\n{text}");
        }
        assert!(!text.contains("- other:"), "{text}");
    }

    #[test]
    fn unknown_ids_get_suggestions() {
        let engine = Engine::builtin().unwrap();
        let e = unknown("4.3-root", &engine).to_string();
        assert!(
            e.contains("did you mean cis-4.3-root-account-usage?"),
            "{e}"
        );
        let e = unknown("zzz", &engine).to_string();
        assert!(e.contains("see `trailwarden rules list`"), "{e}");
    }
}
