//! The attack coverage map: which built-in rules detect which MITRE ATT&CK techniques (by tactic) and which
//! Stratus Red Team techniques, read from the rules' `controls`. `trailwarden rules coverage` prints it
//! (Markdown or JSON) and README carries the Markdown.

use crate::stratus::{self, Technique};
use crate::{profile::Profile, rule::Rule};
use serde::Serialize;
use std::fmt::Write as _;

/// The framework name rules use in `controls` to cite an ATT&CK technique.
pub const ATTACK_FRAMEWORK: &str = "MITRE ATT&CK";

/// The ATT&CK Enterprise tactics, in the matrix's order.
pub const TACTICS: &[&str] = &[
    "Initial Access",
    "Execution",
    "Persistence",
    "Privilege Escalation",
    "Defense Evasion",
    "Credential Access",
    "Discovery",
    "Lateral Movement",
    "Collection",
    "Exfiltration",
    "Impact",
];

/// The ATT&CK (Enterprise) techniques rules cite: id, name, tactics. A test checks that every technique a
/// built-in rule cites is here.
pub const ATTACK_TECHNIQUES: &[(&str, &str, &[&str])] = &[
    ("T1021.004", "Remote Services: SSH", &["Lateral Movement"]),
    (
        "T1021.007",
        "Remote Services: Cloud Services",
        &["Lateral Movement"],
    ),
    ("T1059", "Command and Scripting Interpreter", &["Execution"]),
    (
        "T1069.003",
        "Permission Groups Discovery: Cloud Groups",
        &["Discovery"],
    ),
    (
        "T1078.004",
        "Valid Accounts: Cloud Accounts",
        &[
            "Initial Access",
            "Persistence",
            "Privilege Escalation",
            "Defense Evasion",
        ],
    ),
    (
        "T1087.004",
        "Account Discovery: Cloud Account",
        &["Discovery"],
    ),
    (
        "T1098",
        "Account Manipulation",
        &["Persistence", "Privilege Escalation"],
    ),
    (
        "T1098.001",
        "Account Manipulation: Additional Cloud Credentials",
        &["Persistence", "Privilege Escalation"],
    ),
    (
        "T1098.003",
        "Account Manipulation: Additional Cloud Roles",
        &["Persistence", "Privilege Escalation"],
    ),
    (
        "T1098.004",
        "Account Manipulation: SSH Authorized Keys",
        &["Persistence", "Privilege Escalation"],
    ),
    ("T1110", "Brute Force", &["Credential Access"]),
    (
        "T1136.003",
        "Create Account: Cloud Account",
        &["Persistence"],
    ),
    ("T1485", "Data Destruction", &["Impact"]),
    ("T1486", "Data Encrypted for Impact", &["Impact"]),
    ("T1490", "Inhibit System Recovery", &["Impact"]),
    ("T1496", "Resource Hijacking", &["Impact"]),
    (
        "T1496.004",
        "Resource Hijacking: Cloud Service Hijacking",
        &["Impact"],
    ),
    ("T1526", "Cloud Service Discovery", &["Discovery"]),
    ("T1530", "Data from Cloud Storage", &["Collection"]),
    (
        "T1535",
        "Unused/Unsupported Cloud Regions",
        &["Defense Evasion"],
    ),
    ("T1537", "Transfer Data to Cloud Account", &["Exfiltration"]),
    (
        "T1546",
        "Event Triggered Execution",
        &["Privilege Escalation", "Persistence"],
    ),
    ("T1552", "Unsecured Credentials", &["Credential Access"]),
    (
        "T1552.005",
        "Unsecured Credentials: Cloud Instance Metadata API",
        &["Credential Access"],
    ),
    (
        "T1555.006",
        "Credentials from Password Stores: Cloud Secrets Management Stores",
        &["Credential Access"],
    ),
    (
        "T1562.001",
        "Impair Defenses: Disable or Modify Tools",
        &["Defense Evasion"],
    ),
    (
        "T1562.008",
        "Impair Defenses: Disable or Modify Cloud Logs",
        &["Defense Evasion"],
    ),
    (
        "T1578",
        "Modify Cloud Compute Infrastructure",
        &["Defense Evasion"],
    ),
    ("T1580", "Cloud Infrastructure Discovery", &["Discovery"]),
    ("T1619", "Cloud Storage Object Discovery", &["Discovery"]),
    ("T1651", "Cloud Administration Command", &["Execution"]),
    (
        "T1666",
        "Modify Cloud Resource Hierarchy",
        &["Defense Evasion"],
    ),
];

/// A rule as the coverage map names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    pub id: &'static str,
    /// Whether the default profile (`recommended`) runs it; `false`: only `all` or an `enable` does.
    pub default_profile: bool,
}

/// One row of the ATT&CK matrix: a technique under one of its tactics, and the rules citing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttackRow {
    pub tactic: &'static str,
    pub technique: &'static str,
    pub name: &'static str,
    pub rules: Vec<RuleRef>,
}

/// How well the built-in rules cover a Stratus technique.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A rule of the default profile cites it, and no reason qualifies that (a threshold technique's reason
    /// only says why it is a threshold rule).
    Covered,
    /// A rule of the default profile cites it, with a reason saying what is left out or heuristic.
    Partly,
    /// Only rules outside the default profile cite it.
    AllProfileOnly,
    /// No rule cites it (the reason says why).
    NotCovered,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Covered => "covered",
            Status::Partly => "partly",
            Status::AllProfileOnly => "`all` profile only",
            Status::NotCovered => "not covered",
        }
    }
}

/// One row of the Stratus table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StratusRow {
    #[serde(flatten)]
    pub technique: Technique,
    pub rules: Vec<RuleRef>,
    pub status: Status,
}

/// The whole map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Coverage {
    pub attack: Vec<AttackRow>,
    pub stratus: Vec<StratusRow>,
}

fn rule_ref(rule: &Rule) -> RuleRef {
    RuleRef {
        id: rule.id,
        default_profile: rule.in_profile(Profile::Recommended),
    }
}

fn citing<'r>(
    rules: &'r [&'r Rule],
    framework: &'r str,
    id: &'r str,
) -> impl Iterator<Item = &'r Rule> + 'r {
    rules.iter().copied().filter(move |r| {
        r.controls
            .iter()
            .any(|c| c.framework == framework && c.id == id)
    })
}

impl Coverage {
    /// The map of `rules` (the built-in catalog, in catalog order).
    pub fn of(rules: &[&Rule]) -> Coverage {
        let mut attack = Vec::new();
        for tactic in TACTICS {
            for (technique, name, tactics) in ATTACK_TECHNIQUES {
                if !tactics.contains(tactic) {
                    continue;
                }
                let cited: Vec<RuleRef> = citing(rules, ATTACK_FRAMEWORK, technique)
                    .map(rule_ref)
                    .collect();
                if !cited.is_empty() {
                    attack.push(AttackRow {
                        tactic,
                        technique,
                        name,
                        rules: cited,
                    });
                }
            }
        }
        let stratus = stratus::TECHNIQUES
            .iter()
            .map(|t| {
                let cited: Vec<RuleRef> = citing(rules, stratus::FRAMEWORK, t.id)
                    .map(rule_ref)
                    .collect();
                let status = if cited.is_empty() {
                    Status::NotCovered
                } else if !cited.iter().any(|r| r.default_profile) {
                    Status::AllProfileOnly
                } else if t.reason.is_some() && !t.threshold {
                    Status::Partly
                } else {
                    Status::Covered
                };
                StratusRow {
                    technique: *t,
                    rules: cited,
                    status,
                }
            })
            .collect();
        Coverage { attack, stratus }
    }

    /// The Markdown README carries: a summary line, the ATT&CK matrix, the Stratus table.
    pub fn to_markdown(&self) -> String {
        let names = |rules: &[RuleRef]| -> String {
            if rules.is_empty() {
                return "—".to_owned();
            }
            rules
                .iter()
                .map(|r| {
                    if r.default_profile {
                        format!("`{}`", r.id)
                    } else {
                        format!("`{}` (all)", r.id)
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let count = |s: Status| self.stratus.iter().filter(|r| r.status == s).count();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Stratus Red Team AWS techniques: {} covered, {} partly, {} under the `all` profile only, {} not covered \
             (of {}). Rules marked (all) are not in the default profile.\n",
            count(Status::Covered),
            count(Status::Partly),
            count(Status::AllProfileOnly),
            count(Status::NotCovered),
            self.stratus.len()
        );
        out.push_str("| ATT&CK tactic | technique | rules |\n|---|---|---|\n");
        for row in &self.attack {
            let _ = writeln!(
                out,
                "| {} | {} {} | {} |",
                row.tactic,
                row.technique,
                row.name,
                names(&row.rules)
            );
        }
        out.push_str("\n| Stratus Red Team technique | tactics | logs | status | rules | why |\n|---|---|---|---|---|---|\n");
        for row in &self.stratus {
            let t = &row.technique;
            let _ = writeln!(
                out,
                "| `{}` {} | {} | {} | {} | {} | {} |",
                t.id,
                t.name,
                t.tactics.join(", "),
                if t.detonation_logs { "yes" } else { "no" },
                row.status.as_str(),
                names(&row.rules),
                t.reason.unwrap_or("")
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::BUILTIN;

    /// Every ATT&CK technique a built-in rule cites is in [`ATTACK_TECHNIQUES`] (so it appears in the matrix),
    /// and every Stratus id a rule cites is a technique of the catalog.
    #[test]
    fn every_cited_technique_is_known() {
        for rule in BUILTIN {
            for c in rule.controls {
                match c.framework {
                    ATTACK_FRAMEWORK => assert!(
                        ATTACK_TECHNIQUES.iter().any(|(id, ..)| *id == c.id),
                        "{}: {} is not in coverage::ATTACK_TECHNIQUES",
                        rule.id,
                        c.id
                    ),
                    stratus::FRAMEWORK => assert!(
                        stratus::technique(c.id).is_some(),
                        "{}: {} is not a Stratus technique",
                        rule.id,
                        c.id
                    ),
                    _ => {}
                }
            }
        }
        for (_, _, tactics) in ATTACK_TECHNIQUES {
            assert!(tactics.iter().all(|t| TACTICS.contains(t)));
        }
    }

    /// No technique is silently omitted: one without a rule of the default profile has a reason; the Markdown
    /// names techniques and rules.
    #[test]
    fn every_gap_is_explained() {
        let map = Coverage::of(BUILTIN);
        assert_eq!(map.stratus.len(), 44);
        for row in &map.stratus {
            if matches!(row.status, Status::NotCovered | Status::AllProfileOnly) {
                assert!(
                    row.technique.reason.is_some(),
                    "{} has no rule and no reason",
                    row.technique.id
                );
            }
        }
        let md = map.to_markdown();
        assert!(md.contains("| `aws.persistence.lambda-backdoor-function` "));
        assert!(md.contains("`lambda-function-policy-opened`"));
    }
}
