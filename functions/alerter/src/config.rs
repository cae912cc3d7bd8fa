//! Configuration, read once at cold start: settings from the environment (Terraform owns the deployed
//! values) and the rules file (profile, exclusions, custom rules, trusted accounts…) from the deployment
//! package or S3 — Lambda environment variables are limited to 4 KB in total, too small for exclusions.

use cloudtrail::S3Uri;
use rules::{AlertSettings, Engine, RulesConfig};

/// Default cap on decompressed bytes per object: far above any real CloudTrail file (busy accounts reach
/// tens of MB compressed, a few hundred MB decompressed), low enough to stop a decompression bomb.
pub const DEFAULT_MAX_UNCOMPRESSED_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// A configuration error: the function refuses to start rather than run half-configured.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} is required")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    /// The rules file could not be read.
    #[error("cannot read the rules file {location}: {reason}")]
    RulesFileUnreadable { location: String, reason: String },
    /// The rules file is invalid (with line and column).
    #[error("invalid rules file: {0}")]
    RulesFile(#[from] rules::ConfigError),
    /// The rules file's content is not what was deployed: its SHA-256 differs from `TRAILWARDEN_CONFIG_SHA256`
    /// (set by Terraform from the content it stored). Someone replaced or edited the file after deployment.
    #[error("the rules file {location} was changed after deployment: its SHA-256 is {actual}, TRAILWARDEN_CONFIG_SHA256 expects {expected}; refusing to start (redeploy with terraform apply, and find out who wrote the file)")]
    RulesFileTampered {
        location: String,
        expected: String,
        actual: String,
    },
    /// `DEDUP_TABLE` is set without `DEDUP_MAC_KEY_ID`: the function would have to believe marks anyone who
    /// can write the table could forge. There is no such mode.
    #[error("DEDUP_TABLE is set but DEDUP_MAC_KEY_ID is not: the dedup table's marks are only believed when the function's KMS HMAC key authenticates them; set DEDUP_MAC_KEY_ID to that key's ARN (or unset DEDUP_TABLE)")]
    DedupWithoutMacKey,
}

/// Where the rules file lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulesLocation {
    /// A file in the deployment package (e.g. `/var/task/trailwarden.toml`) or on disk.
    File(String),
    /// An S3 object, read with the function's own credentials.
    S3 { bucket: String, key: String },
}

impl std::fmt::Display for RulesLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RulesLocation::File(p) => f.write_str(p),
            RulesLocation::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
        }
    }
}

/// The function's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `TOPIC_ARN`: where alerts are published.
    pub topic_arn: String,
    /// `TRAILWARDEN_CONFIG`: the rules file, a path or `s3://bucket/key`; the `recommended` profile when unset.
    pub rules_file: Option<RulesLocation>,
    /// `TRAILWARDEN_CONFIG_SHA256`: the SHA-256 (64 hex digits, stored lowercase) the rules file must have.
    /// Terraform computes it from the content it stores; the cold start refuses a file that differs
    /// ([`ConfigError::RulesFileTampered`]), so swapping the file in the bucket cannot switch rules off.
    pub rules_sha256: Option<String>,
    /// `MAX_UNCOMPRESSED_BYTES`: decompression cap per object.
    pub max_uncompressed_bytes: u64,
    /// `MAX_RECORD_BYTES`: the per-record cap (default [`cloudtrail::DEFAULT_MAX_RECORD_BYTES`], 1 MiB). A
    /// record over it is streamed past and alerted as `unevaluated-record`, so a lower cap is never silent.
    pub max_record_bytes: usize,
    /// `DEADLINE_MARGIN_MS`: how long before the invocation deadline to stop and fail (for a retry) rather
    /// than be killed half-done. Default 5 s.
    pub deadline_margin: std::time::Duration,
    /// `EMAIL_INCLUDE_RECORD` (`true`/`false`): whether email bodies carry the record. Records can carry
    /// secrets (request parameters); the JSON body always carries it. Default `true`.
    pub email_include_record: bool,
    /// `DEDUP_TABLE`: the DynamoDB table of published finding ids (`crate::adapters::dedup`); unset = no deduplication.
    pub dedup_table: Option<String>,
    /// `DEDUP_MAC_KEY_ID`: the ARN of the KMS HMAC key (HMAC_256, GENERATE_VERIFY_MAC) that authenticates the
    /// dedup table's marks (`crate::adapters::dedup`). Required when `DEDUP_TABLE` is set
    /// ([`ConfigError::DedupWithoutMacKey`]).
    pub dedup_mac_key_id: Option<String>,
    /// `DEDUP_TTL_HOURS` (default 72, at least 1): how long a published finding id is kept.
    pub dedup_ttl: std::time::Duration,
    /// `ARCHIVE_BUCKET`: the bucket of the findings archive (`crate::adapters::archive`); unset = no archive.
    pub archive_bucket: Option<String>,
    /// `ARCHIVE_PREFIX` (default `trailwarden-findings/`; a `/` is added when missing): the archive's key prefix.
    pub archive_prefix: String,
    /// `ARCHIVE_KMS_KEY_ID`: the KMS key the archive objects are encrypted with; unset = the bucket's default.
    pub archive_kms_key_id: Option<String>,
}

/// Default [`Config::archive_prefix`].
pub const DEFAULT_ARCHIVE_PREFIX: &str = "trailwarden-findings/";

/// Default [`Config::dedup_ttl`]: 72 hours.
pub const DEFAULT_DEDUP_TTL: std::time::Duration = std::time::Duration::from_secs(72 * 3600);

/// Default [`Config::deadline_margin`].
pub const DEFAULT_DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(5);

impl Config {
    /// A configuration with defaults for everything but the topic (tests, local runs).
    pub fn new(topic_arn: impl Into<String>) -> Config {
        Config {
            topic_arn: topic_arn.into(),
            rules_file: None,
            rules_sha256: None,
            max_uncompressed_bytes: DEFAULT_MAX_UNCOMPRESSED_BYTES,
            max_record_bytes: cloudtrail::DEFAULT_MAX_RECORD_BYTES,
            deadline_margin: DEFAULT_DEADLINE_MARGIN,
            email_include_record: true,
            dedup_table: None,
            dedup_mac_key_id: None,
            dedup_ttl: DEFAULT_DEDUP_TTL,
            archive_bucket: None,
            archive_prefix: DEFAULT_ARCHIVE_PREFIX.to_owned(),
            archive_kms_key_id: None,
        }
    }

    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup` (tests pass a map instead of touching the environment).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let topic_arn = lookup("TOPIC_ARN")
            .filter(|v| !v.trim().is_empty())
            .ok_or(ConfigError::Missing("TOPIC_ARN"))?;
        if !topic_arn.starts_with("arn:") {
            return Err(ConfigError::Invalid {
                name: "TOPIC_ARN",
                reason: format!("{topic_arn:?} is not an ARN"),
            });
        }
        let rules_file = match lookup("TRAILWARDEN_CONFIG").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(v) if v.starts_with("s3://") => match S3Uri::parse(&v) {
                Ok(S3Uri { bucket, key }) if !key.is_empty() => {
                    Some(RulesLocation::S3 { bucket, key })
                }
                _ => {
                    return Err(ConfigError::Invalid {
                        name: "TRAILWARDEN_CONFIG",
                        reason: format!("{v:?} is not s3://bucket/key"),
                    })
                }
            },
            Some(v) => Some(RulesLocation::File(v)),
        };
        let rules_sha256 =
            match lookup("TRAILWARDEN_CONFIG_SHA256").filter(|v| !v.trim().is_empty()) {
                None => None,
                Some(v) => {
                    let hex = v.trim().to_ascii_lowercase();
                    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(ConfigError::Invalid {
                            name: "TRAILWARDEN_CONFIG_SHA256",
                            reason: format!("{v:?} is not a SHA-256 in hex (64 digits)"),
                        });
                    }
                    // A hash without a file to check would be silently meaningless.
                    if rules_file.is_none() {
                        return Err(ConfigError::Invalid {
                            name: "TRAILWARDEN_CONFIG_SHA256",
                            reason: "set, but TRAILWARDEN_CONFIG (the file it checks) is not"
                                .to_owned(),
                        });
                    }
                    Some(hex)
                }
            };
        let max_uncompressed_bytes = match lookup("MAX_UNCOMPRESSED_BYTES") {
            None => DEFAULT_MAX_UNCOMPRESSED_BYTES,
            Some(v) => v.trim().parse().map_err(|e| ConfigError::Invalid {
                name: "MAX_UNCOMPRESSED_BYTES",
                reason: format!("{v:?}: {e}"),
            })?,
        };
        let max_record_bytes = match lookup("MAX_RECORD_BYTES") {
            None => cloudtrail::DEFAULT_MAX_RECORD_BYTES,
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n > 0 => n,
                Ok(_) => {
                    return Err(ConfigError::Invalid {
                        name: "MAX_RECORD_BYTES",
                        reason: "must be at least 1".to_owned(),
                    })
                }
                Err(e) => {
                    return Err(ConfigError::Invalid {
                        name: "MAX_RECORD_BYTES",
                        reason: format!("{v:?}: {e}"),
                    })
                }
            },
        };
        let deadline_margin = match lookup("DEADLINE_MARGIN_MS") {
            None => DEFAULT_DEADLINE_MARGIN,
            Some(v) => std::time::Duration::from_millis(v.trim().parse().map_err(|e| {
                ConfigError::Invalid {
                    name: "DEADLINE_MARGIN_MS",
                    reason: format!("{v:?}: {e}"),
                }
            })?),
        };
        let email_include_record = match lookup("EMAIL_INCLUDE_RECORD") {
            None => true,
            Some(v) => parse_bool(&v).ok_or_else(|| ConfigError::Invalid {
                name: "EMAIL_INCLUDE_RECORD",
                reason: format!("{v:?} is not true or false"),
            })?,
        };
        let dedup_table = lookup("DEDUP_TABLE")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let dedup_ttl = match lookup("DEDUP_TTL_HOURS") {
            None => DEFAULT_DEDUP_TTL,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(h) if (1..=24 * 366).contains(&h) => std::time::Duration::from_secs(h * 3600),
                Ok(_) => {
                    return Err(ConfigError::Invalid {
                        name: "DEDUP_TTL_HOURS",
                        reason: format!("{v:?}: must be between 1 and 8784 (a year)"),
                    })
                }
                Err(e) => {
                    return Err(ConfigError::Invalid {
                        name: "DEDUP_TTL_HOURS",
                        reason: format!("{v:?}: {e}"),
                    })
                }
            },
        };
        let set = |name| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let dedup_mac_key_id = set("DEDUP_MAC_KEY_ID");
        match &dedup_mac_key_id {
            None if dedup_table.is_some() => return Err(ConfigError::DedupWithoutMacKey),
            Some(k) if !(k.starts_with("arn:") && k.contains(":key/")) => {
                return Err(ConfigError::Invalid {
                    name: "DEDUP_MAC_KEY_ID",
                    reason: format!(
                        "{k:?} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; not an alias: an alias can be repointed)"
                    ),
                })
            }
            _ => {}
        }
        let archive_bucket = set("ARCHIVE_BUCKET");
        let archive_prefix = match set("ARCHIVE_PREFIX") {
            None => DEFAULT_ARCHIVE_PREFIX.to_owned(),
            Some(p) if p.ends_with('/') => p,
            Some(p) => format!("{p}/"),
        };
        let archive_kms_key_id = set("ARCHIVE_KMS_KEY_ID");
        Ok(Config {
            topic_arn,
            rules_file,
            rules_sha256,
            max_uncompressed_bytes,
            max_record_bytes,
            deadline_margin,
            email_include_record,
            dedup_table,
            dedup_mac_key_id,
            dedup_ttl,
            archive_bucket,
            archive_prefix,
            archive_kms_key_id,
        })
    }

    /// Checks the rules file's content against [`Config::rules_sha256`] (nothing to check when it is unset).
    pub fn verify_rules_file(&self, rules_text: &str) -> Result<(), ConfigError> {
        let Some(expected) = &self.rules_sha256 else {
            return Ok(());
        };
        let actual = sha256_hex(rules_text.as_bytes());
        if actual == *expected {
            Ok(())
        } else {
            Err(ConfigError::RulesFileTampered {
                location: self
                    .rules_file
                    .as_ref()
                    .map_or_else(String::new, ToString::to_string),
                expected: expected.clone(),
                actual,
            })
        }
    }

    /// Compiles the rules described by `rules_text` (the rules file's content; `None` = defaults).
    /// `today` (`YYYY-MM-DD`) dates records without an `eventTime` for exclusion expiry.
    pub fn engine(&self, rules_text: Option<&str>, today: &str) -> Result<Engine, ConfigError> {
        Ok(self.rules(rules_text, today)?.0)
    }

    /// The compiled rules and the alert (storm control) settings of the rules file.
    pub fn rules(
        &self,
        rules_text: Option<&str>,
        today: &str,
    ) -> Result<(Engine, AlertSettings), ConfigError> {
        let origin = self
            .rules_file
            .as_ref()
            .map_or_else(|| "defaults".to_owned(), ToString::to_string);
        let cfg = RulesConfig::parse(rules_text.unwrap_or_default(), &origin)?;
        Ok((Engine::from_config(&cfg, today)?, cfg.alert_settings()))
    }
}

/// SHA-256 of `bytes`, lowercase hex (as Terraform's `sha256()` prints it).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    rules::lower_hex(&Sha256::digest(bytes))
}

/// `true`/`false` (any case, surrounding spaces ignored), as Terraform renders a bool; `1`/`0` too.
fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    const TOPIC: (&str, &str) = ("TOPIC_ARN", "arn:aws:sns:us-east-1:111122223333:alerts");

    #[test]
    fn topic_is_required_and_must_be_an_arn() {
        assert!(matches!(cfg(&[]), Err(ConfigError::Missing("TOPIC_ARN"))));
        assert!(matches!(
            cfg(&[("TOPIC_ARN", "alerts")]),
            Err(ConfigError::Invalid { .. })
        ));
        let c = cfg(&[TOPIC]).unwrap();
        assert_eq!(c.max_uncompressed_bytes, DEFAULT_MAX_UNCOMPRESSED_BYTES);
        assert_eq!(c.rules_file, None);
        assert!(c.email_include_record);
        let engine = c.engine(None, "2026-11-23").unwrap();
        assert_eq!(
            engine.rules().len(),
            Engine::profile(rules::Profile::Recommended)
                .unwrap()
                .rules()
                .len()
        );
    }

    #[test]
    fn the_rules_file_hash_setting() {
        let file = (
            "TRAILWARDEN_CONFIG",
            "s3://cfg-bucket/trailwarden/rules.toml",
        );
        let sha = "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
        let c = cfg(&[TOPIC, file, ("TRAILWARDEN_CONFIG_SHA256", sha)]).unwrap();
        assert_eq!(c.rules_sha256.as_deref(), Some(sha.to_lowercase().as_str()));
        assert_eq!(cfg(&[TOPIC, file]).unwrap().rules_sha256, None);
        for bad in ["abc", &sha[1..], &format!("{}g", &sha[1..])] {
            assert!(
                matches!(
                    cfg(&[TOPIC, file, ("TRAILWARDEN_CONFIG_SHA256", bad)]),
                    Err(ConfigError::Invalid {
                        name: "TRAILWARDEN_CONFIG_SHA256",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        // A hash with no file to check is a misconfiguration, not a silent no-op.
        assert!(matches!(
            cfg(&[TOPIC, ("TRAILWARDEN_CONFIG_SHA256", sha)]),
            Err(ConfigError::Invalid {
                name: "TRAILWARDEN_CONFIG_SHA256",
                ..
            })
        ));
        // FIPS 180-2 test vector: SHA-256("abc").
        assert_eq!(sha256_hex(b"abc"), sha.to_lowercase());
        assert!(c.verify_rules_file("abc").is_ok());
        assert!(matches!(
            c.verify_rules_file("abd"),
            Err(ConfigError::RulesFileTampered { .. })
        ));
    }

    #[test]
    fn rules_file_locations() {
        let c = cfg(&[
            TOPIC,
            (
                "TRAILWARDEN_CONFIG",
                "s3://cfg-bucket/trailwarden/rules.toml",
            ),
        ])
        .unwrap();
        assert_eq!(
            c.rules_file,
            Some(RulesLocation::S3 {
                bucket: "cfg-bucket".into(),
                key: "trailwarden/rules.toml".into()
            })
        );
        let c = cfg(&[TOPIC, ("TRAILWARDEN_CONFIG", "/var/task/trailwarden.toml")]).unwrap();
        assert_eq!(
            c.rules_file,
            Some(RulesLocation::File("/var/task/trailwarden.toml".into()))
        );
        for bad in ["s3://bucket-only", "s3://bucket/", "s3:///key"] {
            assert!(
                matches!(
                    cfg(&[TOPIC, ("TRAILWARDEN_CONFIG", bad)]),
                    Err(ConfigError::Invalid {
                        name: "TRAILWARDEN_CONFIG",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_bad_rules_file_fails_loudly_with_its_position() {
        let c = cfg(&[TOPIC, ("TRAILWARDEN_CONFIG", "/var/task/trailwarden.toml")]).unwrap();
        let err = c
            .engine(
                Some("profile = \"cis\"\ndisable = [\"no-such-rule\"]\n"),
                "2026-11-23",
            )
            .unwrap_err();
        assert_eq!(err.to_string(), "invalid rules file: /var/task/trailwarden.toml:2:12: unknown built-in rule id \"no-such-rule\"");
        let engine = c.engine(Some("profile = \"cis\"\n"), "2026-11-23").unwrap();
        assert!(engine.rules().iter().all(|r| r.id().starts_with("cis-")));
    }

    #[test]
    fn dedup_settings() {
        let c = cfg(&[TOPIC]).unwrap();
        assert_eq!((c.dedup_table, c.dedup_ttl), (None, DEFAULT_DEDUP_TTL));
        const KEY: &str =
            "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let c = cfg(&[
            TOPIC,
            ("DEDUP_TABLE", " trailwarden-dedup "),
            ("DEDUP_MAC_KEY_ID", KEY),
            ("DEDUP_TTL_HOURS", "24"),
        ])
        .unwrap();
        assert_eq!(c.dedup_table.as_deref(), Some("trailwarden-dedup"));
        assert_eq!(c.dedup_mac_key_id.as_deref(), Some(KEY));
        assert_eq!(c.dedup_ttl, std::time::Duration::from_secs(24 * 3600));
        // A table without its MAC key: no cold start (no mode that believes unauthenticated marks).
        for key in [None, Some(""), Some("  ")] {
            let mut vars = vec![TOPIC, ("DEDUP_TABLE", "trailwarden-dedup")];
            vars.extend(key.map(|k| ("DEDUP_MAC_KEY_ID", k)));
            let err = cfg(&vars).unwrap_err();
            assert!(matches!(err, ConfigError::DedupWithoutMacKey), "{err}");
            assert!(err.to_string().contains("DEDUP_MAC_KEY_ID"), "{err}");
        }
        // Not a key ARN (an alias can be repointed).
        for bad in [
            "alias/tw-dedup",
            "arn:aws:kms:us-east-1:111122223333:alias/tw-dedup",
            "1234abcd",
        ] {
            assert!(
                matches!(
                    cfg(&[TOPIC, ("DEDUP_TABLE", "t"), ("DEDUP_MAC_KEY_ID", bad)]),
                    Err(ConfigError::Invalid {
                        name: "DEDUP_MAC_KEY_ID",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        // A key without a table is harmless (unused).
        assert!(cfg(&[TOPIC, ("DEDUP_MAC_KEY_ID", KEY)])
            .unwrap()
            .dedup_table
            .is_none());
        assert_eq!(
            cfg(&[TOPIC, ("DEDUP_TABLE", "  ")]).unwrap().dedup_table,
            None
        );
        for bad in ["0", "-3", "a day", "9000"] {
            assert!(
                matches!(
                    cfg(&[TOPIC, ("DEDUP_TTL_HOURS", bad)]),
                    Err(ConfigError::Invalid {
                        name: "DEDUP_TTL_HOURS",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn archive_settings() {
        let c = cfg(&[TOPIC]).unwrap();
        assert_eq!(
            (
                c.archive_bucket,
                c.archive_prefix.as_str(),
                c.archive_kms_key_id
            ),
            (None, DEFAULT_ARCHIVE_PREFIX, None)
        );
        let c = cfg(&[
            TOPIC,
            ("ARCHIVE_BUCKET", " logs "),
            ("ARCHIVE_PREFIX", "findings"),
            (
                "ARCHIVE_KMS_KEY_ID",
                "arn:aws:kms:us-east-1:123456789012:key/k",
            ),
        ])
        .unwrap();
        assert_eq!(c.archive_bucket.as_deref(), Some("logs"));
        assert_eq!(c.archive_prefix, "findings/");
        assert_eq!(
            c.archive_kms_key_id.as_deref(),
            Some("arn:aws:kms:us-east-1:123456789012:key/k")
        );
        assert_eq!(
            cfg(&[TOPIC, ("ARCHIVE_BUCKET", " ")])
                .unwrap()
                .archive_bucket,
            None
        );
    }

    #[test]
    fn limits() {
        let c = cfg(&[TOPIC]).unwrap();
        assert_eq!(c.max_record_bytes, cloudtrail::DEFAULT_MAX_RECORD_BYTES);
        let c = cfg(&[TOPIC, ("MAX_RECORD_BYTES", "4096")]).unwrap();
        assert_eq!(c.max_record_bytes, 4096);
        for bad in ["0", "-1", "big"] {
            assert!(
                matches!(
                    cfg(&[TOPIC, ("MAX_RECORD_BYTES", bad)]),
                    Err(ConfigError::Invalid {
                        name: "MAX_RECORD_BYTES",
                        ..
                    })
                ),
                "{bad}"
            );
        }
        let c = cfg(&[TOPIC, ("MAX_UNCOMPRESSED_BYTES", "1000")]).unwrap();
        assert_eq!(c.max_uncompressed_bytes, 1000);
        assert!(matches!(
            cfg(&[TOPIC, ("MAX_UNCOMPRESSED_BYTES", "lots")]),
            Err(ConfigError::Invalid {
                name: "MAX_UNCOMPRESSED_BYTES",
                ..
            })
        ));
    }

    #[test]
    fn email_include_record() {
        for (v, want) in [
            ("false", false),
            (" FALSE ", false),
            ("0", false),
            ("true", true),
            ("1", true),
        ] {
            let c = cfg(&[TOPIC, ("EMAIL_INCLUDE_RECORD", v)]).unwrap();
            assert_eq!(c.email_include_record, want, "{v:?}");
        }
        for bad in ["", "no", "off", "flase"] {
            assert!(
                matches!(
                    cfg(&[TOPIC, ("EMAIL_INCLUDE_RECORD", bad)]),
                    Err(ConfigError::Invalid {
                        name: "EMAIL_INCLUDE_RECORD",
                        ..
                    })
                ),
                "{bad:?}"
            );
        }
    }
}
