//! `hunt regions`: calls per region, flagging regions outside an allow-list.

use crate::hunt::{or_dash, Entry, Hunt, HuntOptions, Seen, TableRow, NONE};
use crate::hunts::sql::{from_where, in_list, FAILED, PRINCIPAL};
use cloudtrail::Record;
use compile::sql::TimeRange;
use rules::RulesConfig;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

// The hunt's own arguments (a plain comment: a doc comment would become the subcommand's help).
#[derive(Debug, clap::Args)]
pub struct Options {
    /// Regions where activity is expected (comma-separated); others are flagged OUTSIDE [default: the
    /// config file's allowed_regions].
    #[arg(long, value_name = "REGION[,REGION...]", value_delimiter = ',')]
    allowed_regions: Vec<String>,
}

/// `trailwarden hunt regions`.
pub const HUNT: Entry = Entry::new::<Options>(
    "regions",
    "Calls per region (calls, errors, distinct callers, first and last seen), flagging regions outside an allow-list",
);

impl HuntOptions for Options {
    type Hunt = Regions;

    /// The allow-list of `--allowed-regions`, else the config file's `allowed_regions`, else none.
    fn hunt(self, config: &RulesConfig) -> Regions {
        let from_config: BTreeSet<String> = config
            .allowed_regions
            .iter()
            .map(|r| r.get_ref().clone())
            .collect();
        let allowed = if !self.allowed_regions.is_empty() {
            Some(self.allowed_regions.into_iter().collect())
        } else if !from_config.is_empty() {
            Some(from_config)
        } else {
            None
        };
        Regions { allowed }
    }
    fn sql(&self, config: &RulesConfig, table: &str, range: &TimeRange) -> String {
        let from_config: Vec<&str> = config
            .allowed_regions
            .iter()
            .map(|r| r.get_ref().as_str())
            .collect();
        let allowed = if !self.allowed_regions.is_empty() {
            in_list("region", &self.allowed_regions)
        } else if !from_config.is_empty() {
            in_list("region", from_config)
        } else {
            "CAST(NULL AS BOOLEAN)".to_owned()
        };
        format!(
            "SELECT region, calls, errors, identities, first_seen, last_seen, {allowed} AS allowed\n\
             FROM (SELECT coalesce(awsregion, '-') AS region, count(*) AS calls, count_if({FAILED}) AS errors, \
             count(DISTINCT {PRINCIPAL}) AS identities, min(eventtime) AS first_seen, \
             max(eventtime) AS last_seen\n{}\nGROUP BY 1)\nORDER BY calls DESC, region",
            from_where(table, &[], range)
        )
    }
}

/// Calls per region; regions outside `allowed` (when given) are flagged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regions {
    pub allowed: Option<BTreeSet<String>>,
}

#[derive(Debug, Default)]
pub struct RegionTally {
    seen: Seen,
    identities: BTreeSet<String>,
}

impl Hunt for Regions {
    type Tally = BTreeMap<String, RegionTally>;
    type Row = RegionRow;

    fn wants(&self, _: &Record) -> bool {
        true
    }

    fn add(&self, by_region: &mut Self::Tally, r: &Record) {
        let region = r.aws_region.clone().unwrap_or_else(|| NONE.to_owned());
        let acc = by_region.entry(region).or_default();
        acc.seen.add(r);
        if let Some(p) = r.principal() {
            acc.identities.insert(p.to_owned());
        }
    }

    fn finish(&self, by_region: Self::Tally) -> Vec<RegionRow> {
        let mut rows: Vec<RegionRow> = by_region
            .into_iter()
            .map(|(region, acc)| RegionRow {
                allowed: self.allowed.as_ref().map(|a| a.contains(&region)),
                region,
                calls: acc.seen.calls,
                errors: acc.seen.errors,
                identities: acc.identities.len() as u64,
                first_seen: acc.seen.first,
                last_seen: acc.seen.last,
            })
            .collect();
        rows.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.region.cmp(&b.region)));
        rows
    }
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RegionRow {
    pub region: String,
    pub calls: u64,
    pub errors: u64,
    /// Distinct callers.
    pub identities: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// Whether the region is in the allow-list; `null` without one.
    pub allowed: Option<bool>,
}

impl TableRow for RegionRow {
    const HEADER: &'static [&'static str] = &[
        "region",
        "calls",
        "errors",
        "identities",
        "first seen",
        "last seen",
        "allow-list",
    ];
    fn cells(&self) -> Vec<String> {
        vec![
            self.region.clone(),
            self.calls.to_string(),
            self.errors.to_string(),
            self.identities.to_string(),
            or_dash(&self.first_seen),
            or_dash(&self.last_seen),
            match self.allowed {
                None => NONE.to_owned(),
                Some(true) => "allowed".to_owned(),
                Some(false) => "OUTSIDE".to_owned(),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hunt::testing::{run, sample};
    use serde_json::Value;

    #[test]
    fn regions_count_calls_errors_and_flag_outsiders() {
        let allowed = Some(["us-east-1".to_owned()].into_iter().collect());
        let report = run(&Regions { allowed }, &sample());
        assert_eq!(report.header[0], "region");
        assert_eq!(report.json[0]["region"], "us-east-1");
        assert_eq!(report.json[0]["calls"], 3);
        assert_eq!(report.json[0]["identities"], 2);
        assert_eq!(report.json[0]["first_seen"], "2024-01-01T00:01:00Z");
        assert_eq!(report.json[0]["last_seen"], "2024-01-01T00:04:00Z");
        assert_eq!(report.json[0]["allowed"], true);
        assert_eq!(report.json[1]["region"], "ap-south-1");
        assert_eq!(report.json[1]["errors"], 1);
        assert_eq!(report.json[1]["allowed"], false);
        assert_eq!(report.cells[1][6], "OUTSIDE");
        let open = run(&Regions { allowed: None }, &sample());
        assert_eq!(open.json[1]["allowed"], Value::Null);
    }

    #[test]
    fn allowed_regions_come_from_the_flag_else_the_config() {
        let config = RulesConfig::parse("allowed_regions = [\"eu-west-1\"]\n", "t.toml").unwrap();
        let regions = |flag: &[&str], config: &RulesConfig| {
            let options = Options {
                allowed_regions: flag.iter().map(|s| s.to_string()).collect(),
            };
            options
                .hunt(config)
                .allowed
                .map(|a| a.into_iter().collect::<Vec<_>>())
        };
        assert_eq!(regions(&[], &config), Some(vec!["eu-west-1".to_owned()]));
        assert_eq!(
            regions(&["us-east-1"], &config),
            Some(vec!["us-east-1".to_owned()])
        );
        assert_eq!(regions(&[], &RulesConfig::default()), None);
    }
}
