//! `trailwarden-pipeline-tampering` end to end: a rules file with a `[pipeline]` table (as the Terraform module
//! writes it) builds an engine whose context holds those resources, and over the rule's fixtures that engine
//! fires on every must-match record (indexed by event name, as in production), with the right note, and on no
//! near miss. Every event name the rule declares has a must-match fixture, and without a `[pipeline]` table
//! the rule is silent on all of them; with one it runs in every profile and no `disable` or exclusion mutes it.

use rules::{Detection, Engine, Outcome, Prefilter, RulesConfig, BUILTIN};
use std::path::{Path, PathBuf};

const RULE_ID: &str = "trailwarden-pipeline-tampering";

/// The fixtures' deployment (the same resources as `registry.rs`'s fixture context), written as the Terraform
/// module appends it to the user's rules file.
const RULES_FILE: &str = r#"profile = "recommended"

# Added by the trailwarden Terraform module: this deployment's own resources, watched by the rule
# trailwarden-pipeline-tampering. Do not edit: the function checks this file's SHA-256 at cold start.
[pipeline]
resources = [
  "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1",                        # the log bucket
  "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1/trailwarden/rules.toml", # the rules file object
  "arn:aws:lambda:us-east-1:111122223333:function:tw-alerter",
  "arn:aws:iam::111122223333:role/tw-alerter-role",
  "arn:aws:sns:us-east-1:111122223333:tw-alerts",
  "arn:aws:sns:us-east-1:111122223333:tw-alarms",
  "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321",
  "arn:aws:cloudtrail:us-east-1:111122223333:trail/tw-trail",
  "arn:aws:cloudwatch:us-east-1:111122223333:alarm:tw-alerter-errors",
  "arn:aws:cloudwatch:us-east-1:111122223333:alarm:tw-no-log-files",
  "arn:aws:events:us-east-1:111122223333:rule/tw-pipeline-watchdog",
  "arn:aws:sqs:us-east-1:111122223333:tw-fast-path",                          # the fast-path queue
  "arn:aws:sqs:us-east-1:111122223333:tw-fast-path-dlq",                      # and its dead-letter queue
  "arn:aws:dynamodb:us-east-1:111122223333:table/tw-dedup",                   # the dedup table
  "arn:aws:lambda:us-east-1:111122223333:event-source-mapping:a1b2c3d4-5678-90ab-cdef-111111111111",
  "arn:aws:athena:us-east-1:111122223333:workgroup/tw-hunt",
  "arn:aws:glue:us-east-1:111122223333:database/tw_cloudtrail",
  "arn:aws:glue:us-east-1:111122223333:table/tw_cloudtrail/events",
  "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1/trailwarden/findings/*", # the findings archive
  "arn:aws:s3:::tw-cloudtrail-111122223333-us-east-1/athena-results/*",
]
"#;

fn fixtures(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(RULE_ID)
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

fn read(path: &Path) -> (Vec<u8>, serde_json::Value) {
    let bytes = std::fs::read(path).unwrap();
    let value = serde_json::from_slice(&bytes).unwrap();
    (bytes, value)
}

/// The notes the engine gives this rule on a record (none: it did not fire).
fn notes(engine: &Engine, bytes: &[u8]) -> Vec<Option<&'static str>> {
    let parsed = cloudtrail::Parsed::new(bytes).unwrap();
    engine
        .matching(parsed.root())
        .filter(|(rule, _)| rule.id() == RULE_ID)
        .map(|(_, hit)| hit.note)
        .collect()
}

#[test]
fn a_rules_file_with_a_pipeline_fires_on_every_fixture_as_labelled() {
    let config = RulesConfig::parse(RULES_FILE, "rules.toml").unwrap();
    assert_eq!(config.own_resources().len(), 21);
    let engine = Engine::from_config(&config, "2025-03-06").unwrap();
    assert_eq!(&engine.context().own_resources, config.own_resources());
    assert!(engine.rule(RULE_ID).is_some(), "recommended runs it");

    for f in fixtures("match") {
        let (bytes, value) = read(&f);
        let got = notes(&engine, &bytes);
        let [Some(note)] = got.as_slice() else {
            panic!("{}: {got:?}", f.display());
        };
        let failed = value.get("errorCode").is_some();
        assert_eq!(
            note.starts_with("attempt failed: "),
            failed,
            "{}: {note}",
            f.display()
        );
        assert!(
            note.contains("this deployment's"),
            "{}: {note}",
            f.display()
        );
    }
    for f in fixtures("nomatch") {
        let (bytes, _) = read(&f);
        assert!(notes(&engine, &bytes).is_empty(), "{}", f.display());
    }
}

#[test]
fn without_a_pipeline_table_the_rule_is_silent() {
    let config = RulesConfig::parse("profile = \"recommended\"\n", "rules.toml").unwrap();
    assert!(config.own_resources().is_empty());
    let engine = Engine::from_config(&config, "2025-03-06").unwrap();
    assert!(engine.rule(RULE_ID).is_some());
    for f in fixtures("match") {
        let (bytes, _) = read(&f);
        assert!(notes(&engine, &bytes).is_empty(), "{}", f.display());
    }
}

#[test]
fn a_pipeline_table_runs_the_rule_whatever_the_profile() {
    for profile in ["cis", "recommended", "all"] {
        let text = RULES_FILE.replace(
            "profile = \"recommended\"",
            &format!("profile = \"{profile}\""),
        );
        let config = RulesConfig::parse(&text, "rules.toml").unwrap();
        let engine = Engine::from_config(&config, "2025-03-06").unwrap();
        assert!(engine.rule(RULE_ID).is_some(), "{profile}");
        for f in fixtures("match") {
            let (bytes, _) = read(&f);
            assert_eq!(
                notes(&engine, &bytes).len(),
                1,
                "{profile}: {}",
                f.display()
            );
        }
        if profile == "cis" {
            // Only the CIS rules besides it.
            assert!(engine
                .rules()
                .iter()
                .all(|r| r.id() == RULE_ID || r.id().starts_with("cis-")));
        }
    }
    // Without a [pipeline] table, cis does not run it.
    let cis = RulesConfig::parse("profile = \"cis\"\n", "rules.toml").unwrap();
    assert!(Engine::from_config(&cis, "2025-03-06")
        .unwrap()
        .rule(RULE_ID)
        .is_none());
}

/// With a [pipeline] table the file cannot switch the rule off: a `disable` or an exclusion naming it is a
/// named error at its line, and an exclusion for every rule passes it by (its other rules stay excluded).
#[test]
fn a_pipeline_table_cannot_disable_or_exclude_the_rule() {
    let disabled = format!("disable = [\"{RULE_ID}\"]\n{RULES_FILE}");
    let err = RulesConfig::parse(&disabled, "rules.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot be disabled or excluded"), "{err}");
    assert!(err.contains("rules.toml:1:"), "{err}");

    let exclusion = |rules: &str| {
        RULES_FILE.replace(
            "\n# Added by the trailwarden Terraform module",
            &format!(
                "\n[[exclusions]]\nid = \"everything\"\nreason = \"mute\"\n{rules}pattern = '{{ $.eventVersion = * }}'\n\n# Added by the trailwarden Terraform module"
            ),
        )
    };
    let named = exclusion(&format!(
        "rules = [\"cis-4.1-unauthorized-api-calls\", \"{RULE_ID}\"]\n"
    ));
    let err = RulesConfig::parse(&named, "rules.toml")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cannot be disabled or excluded"), "{err}");

    let everything = exclusion("");
    let config = RulesConfig::parse(&everything, "rules.toml").unwrap();
    let engine = Engine::from_config(&config, "2025-03-06").unwrap();
    for f in fixtures("match") {
        let (bytes, _) = read(&f);
        let got = outcomes(&engine, &bytes);
        assert!(
            got.contains(&(RULE_ID.to_owned(), false)),
            "{}: {got:?}",
            f.display()
        );
    }
    // The same exclusion still mutes the other rules: a denied call is suppressed for cis-4.1.
    let (denied, _) =
        read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "tests/fixtures/cis-4.1-unauthorized-api-calls/match/access-denied-iam-user.json",
        ));
    let got = outcomes(&engine, &denied);
    assert!(
        got.contains(&("cis-4.1-unauthorized-api-calls".to_owned(), true)),
        "{got:?}"
    );
}

/// Every rule that matches the record, and whether an exclusion suppressed it.
fn outcomes(engine: &Engine, bytes: &[u8]) -> Vec<(String, bool)> {
    let parsed = cloudtrail::Parsed::new(bytes).unwrap();
    engine
        .evaluate(parsed.root())
        .map(|o| match o {
            Outcome::Finding { rule, .. } => (rule.id().to_owned(), false),
            Outcome::Suppressed { rule, .. } => (rule.id().to_owned(), true),
        })
        .collect()
}

#[test]
fn every_declared_event_has_a_must_match_fixture() {
    let rule = BUILTIN.iter().find(|r| r.id == RULE_ID).unwrap();
    let Detection::Code {
        prefilter: Prefilter::EventNames(events),
        ..
    } = rule.detection
    else {
        panic!("{RULE_ID} is indexed by event name");
    };
    let covered: std::collections::BTreeSet<String> = fixtures("match")
        .iter()
        .map(|f| read(f).1["eventName"].as_str().unwrap().to_owned())
        .collect();
    let missing: Vec<&&str> = events.iter().filter(|e| !covered.contains(**e)).collect();
    assert!(
        missing.is_empty(),
        "events without a match fixture: {missing:?}"
    );
}

#[test]
fn pipeline_errors_point_at_the_entry() {
    let text = "[pipeline]\nresources = [\n  \"arn:aws:s3:::tw-logs\",\n  \"arn:aws:ec2:us-east-1:111122223333:instance/i-0abc\",\n]\n";
    let e = RulesConfig::parse(text, "rules.toml").unwrap_err();
    assert_eq!((e.line, e.column), (4, 3), "{e}");
    assert!(e.message.contains("is not a pipeline resource"), "{e}");
    assert!(e.to_string().starts_with("rules.toml:4:3: "), "{e}");

    let e = RulesConfig::parse(
        "[pipeline]\nresources = [\"arn:aws:lambda:us-east-1:111122223333:function:tw:1\"]\n",
        "rules.toml",
    )
    .unwrap_err();
    assert_eq!((e.line, e.column), (2, 14), "{e}");
    assert!(e.message.contains("without a version or alias"), "{e}");

    // An unknown key in the table, and a table without `resources`.
    let e = RulesConfig::parse(
        "[pipeline]\nresources = []\nresource = [\"arn:aws:s3:::tw-logs\"]\n",
        "rules.toml",
    )
    .unwrap_err();
    assert_eq!(e.line, 3, "{e}");
    assert!(e.message.contains("unknown field"), "{e}");
    let e = RulesConfig::parse("[pipeline]\n", "rules.toml").unwrap_err();
    assert!(e.message.contains("resources"), "{e}");
    // Not a list of strings.
    let e = RulesConfig::parse("[pipeline]\nresources = [1]\n", "rules.toml").unwrap_err();
    assert_eq!(e.line, 2, "{e}");
}
