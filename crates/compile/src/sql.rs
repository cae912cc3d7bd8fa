//! Rules as SQL: each pattern rule (with the exclusions that apply to it) compiled to one Trino/Athena query
//! over the CloudTrail table [`TABLE_DDL`] describes, returning the matching events with `rule_id` and the
//! finding fields.
//!
//! The translation keeps the CloudWatch semantics [`pattern`] implements, as far as the table's column
//! types can tell them apart (README "History on Athena" has the mapping, feature by feature):
//! * Only strings and numbers are value nodes: `=`, `!=` and the numeric operators are false on a missing field,
//!   `null`, a boolean, an object or an array. On a JSON-string column (`requestparameters`, …) the JSON type
//!   is read with `json_format(json_extract(…))`; on a plain or struct column CloudTrail's own type for the field
//!   decides (`readOnly` is a boolean, the others strings).
//! * `*` is `LIKE` with `%` (the value's own `%`, `_` and `\` escaped); `= "*"` is "a string or a number".
//! * An unquoted number compares numerically, also against a string that is entirely a NUMBER.
//! * `&&` binds tighter than `||` (the compiled pattern is already grouped); array elements by index
//!   (`$.resources[0].ARN` is `element_at(resources, 1).arn`).
//! * A selector key spelled differently from CloudTrail's key (`$.resources[0].arn`) points nowhere, as in the
//!   engine, although the table's column names are case-insensitive.
//!
//! What the table cannot say is refused with a reason ([`NoSqlForm`]), never approximated: `IS NULL` on a plain
//! or struct column and `IS NULL` / `NOT EXISTS` on a whole JSON-string column (the SerDe reads JSON `null` and
//! an absent key both as SQL `NULL`), fields that are not columns, code rules and threshold rules.
//! `NOT EXISTS` on a plain or struct column is `IS NULL`: CloudTrail writes those fields as strings or leaves
//! them out.

use chrono::{DateTime, Days, NaiveDate, Utc};
use pattern::ast::{Literal, Node, NumericOp, Term, Test};
use pattern::{PathStep, Pattern};
use rules::engine::{CompiledRule, Engine, Exclusion};
use std::fmt::Write as _;

/// The table `rules sql` queries unless told otherwise (the Terraform module creates it).
pub const DEFAULT_TABLE: &str = "trailwarden.cloudtrail";

/// The CloudTrail table the queries read, following AWS's documented table ("Create the table for CloudTrail
/// logs in Athena using partition projection"): the CloudTrail input format and the JSON SerDe, `userIdentity`
/// (and `tlsDetails`, `addendum`) as structs, `resources` as an array of structs, `requestParameters`,
/// `responseElements`, `additionalEventData`, `serviceEventDetails` and `edgeDeviceDetails` as JSON text,
/// `readOnly` as a string. Partitioned by `account`, `region` and `day` (`yyyy/MM/dd`), each projected; the
/// placeholders `{table}`, `{location}` (`s3://bucket/prefix/AWSLogs/` or `…/AWSLogs/o-orgid/`),
/// `{accounts}` and `{regions}` (comma-separated) and `{since}` (`yyyy/MM/dd`) are filled by whoever creates it.
pub const TABLE_DDL: &str = r"CREATE EXTERNAL TABLE {table} (
  eventversion STRING,
  useridentity STRUCT<
    type: STRING,
    principalid: STRING,
    arn: STRING,
    accountid: STRING,
    invokedby: STRING,
    accesskeyid: STRING,
    username: STRING,
    onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
      sourceidentity: STRING,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING, STRING>>>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  managementevent STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  addendum STRUCT<reason: STRING, updatedfields: STRING, originalrequestid: STRING, originaleventid: STRING>,
  sessioncredentialfromconsole STRING,
  edgedevicedetails STRING,
  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>)
PARTITIONED BY (account STRING, region STRING, day STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '{location}'
TBLPROPERTIES (
  'projection.enabled' = 'true',
  'projection.account.type' = 'enum',
  'projection.account.values' = '{accounts}',
  'projection.region.type' = 'enum',
  'projection.region.values' = '{regions}',
  'projection.day.type' = 'date',
  'projection.day.format' = 'yyyy/MM/dd',
  'projection.day.range' = '{since},NOW',
  'projection.day.interval' = '1',
  'projection.day.interval.unit' = 'DAYS',
  'storage.location.template' = '{location}${account}/CloudTrail/${region}/${day}')";

/// A rule (or an exclusion of it) that has no SQL form, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule_id}: no SQL form: {reason}")]
pub struct NoSqlForm {
    pub rule_id: String,
    pub reason: String,
}

/// The time range of a query: `since` inclusive, `until` exclusive (UTC). Each bound becomes a predicate on
/// `eventtime` (CloudTrail's ISO 8601 text sorts as time) and, one day wider (a file is delivered minutes to
/// hours after its events, under the day of its delivery), on the `day` partition, so Athena reads only those
/// days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// The `WHERE` conjuncts (each already parenthesized); empty for an open range.
    pub fn predicates(&self) -> Vec<String> {
        let mut out = Vec::new();
        let day = |d: NaiveDate| d.format("%Y/%m/%d").to_string();
        if let Some(since) = self.since {
            let first = since.date_naive().checked_sub_days(Days::new(1));
            if let Some(first) = first {
                out.push(format!("(day >= '{}')", day(first)));
            }
            out.push(format!(
                "(eventtime >= '{}')",
                since.format("%Y-%m-%dT%H:%M:%SZ")
            ));
        }
        if let Some(until) = self.until {
            let last = until.date_naive().checked_add_days(Days::new(1));
            if let Some(last) = last {
                out.push(format!("(day <= '{}')", day(last)));
            }
            out.push(format!(
                "(eventtime < '{}')",
                until.format("%Y-%m-%dT%H:%M:%SZ")
            ));
        }
        out
    }
}

/// A string as a SQL literal.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// One rule's query, or why it has none: what `rules sql` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSql {
    pub rule_id: String,
    pub sql: Result<String, NoSqlForm>,
}

/// Every rule of the engine, in its order, with its query or the reason it has none.
pub fn engine_queries(engine: &Engine, table: &str, range: &TimeRange) -> Vec<RuleSql> {
    engine
        .rules()
        .iter()
        .map(|rule| RuleSql {
            rule_id: rule.id().to_owned(),
            sql: rule_query(engine, rule, table, range),
        })
        .collect()
}

/// The columns every rule query returns after `rule_id`, `title` and `severity`: the finding's fields, named as
/// in [`rules::finding::Finding`] (`eventid` keeps the table's name so every query has it).
pub const FINDING_COLUMNS: &str = "eventid, \
eventid AS event_id, \
eventname AS event_name, \
eventsource AS event_source, \
eventtime AS event_time, \
coalesce(recipientaccountid, useridentity.accountid) AS account_id, \
awsregion AS region, \
coalesce(useridentity.arn, useridentity.principalid, useridentity.username, useridentity.invokedby, useridentity.type) AS principal, \
useridentity.type AS principal_type, \
useridentity.accountid AS principal_account_id, \
useridentity.accesskeyid AS access_key_id, \
sourceipaddress AS source_ip, \
useragent AS user_agent, \
errorcode AS error_code";

/// The query for one rule of `engine` (its exclusions from the engine's config included): the events it
/// matches within `range`, with `rule_id`, `title`, `severity` and [`FINDING_COLUMNS`], oldest first.
///
/// # Errors
/// [`NoSqlForm`] for a code rule, a threshold rule, or a pattern (rule or exclusion) that uses what the table
/// cannot tell apart (see the module documentation).
pub fn rule_query(
    engine: &Engine,
    rule: &CompiledRule,
    table: &str,
    range: &TimeRange,
) -> Result<String, NoSqlForm> {
    query(engine, rule, table, range, Translation::Faithful)
}

/// [`rule_query`] with a deliberate bug: `!=` also holds on a missing field (or a `null`, a boolean, an object,
/// an array). Only for the conformance test, which must catch it.
#[doc(hidden)]
pub fn rule_query_with_planted_bug(
    engine: &Engine,
    rule: &CompiledRule,
    table: &str,
    range: &TimeRange,
) -> Result<String, NoSqlForm> {
    query(engine, rule, table, range, Translation::PlantedBug)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Translation {
    Faithful,
    PlantedBug,
}

fn query(
    engine: &Engine,
    rule: &CompiledRule,
    table: &str,
    range: &TimeRange,
    how: Translation,
) -> Result<String, NoSqlForm> {
    let no = |reason: String| NoSqlForm {
        rule_id: rule.id().to_owned(),
        reason,
    };
    if let Some(t) = rule.threshold() {
        return Err(no(format!(
            "threshold rule ({}): it fires on the event that completes a window in the order records \
             arrive and absorbs the later ones, which a query cannot reproduce; run `trailwarden scan` for it",
            t.describe()
        )));
    }
    let Some(pattern) = rule.pattern() else {
        return Err(no(
            "code rule (Rust code, not a filter pattern): run `trailwarden scan` for it".to_owned(),
        ));
    };
    let condition = node(pattern.ast(), how).map_err(|r| no(format!("pattern: {r}")))?;
    let mut conjuncts = vec![format!("COALESCE({condition}, FALSE)")];
    for exclusion in applicable_exclusions(engine, rule) {
        let excluded = node(exclusion.pattern().ast(), how)
            .map_err(|r| no(format!("exclusion {}: {r}", exclusion.id)))?;
        let when = match &exclusion.expires {
            // An exclusion applies to events up to its last day (a record without eventTime: today).
            Some(last) => format!(
                " AND substr(COALESCE(eventtime, CAST(current_date AS VARCHAR)), 1, 10) <= {}",
                quote(last)
            ),
            None => String::new(),
        };
        conjuncts.push(format!(
            "NOT COALESCE(({excluded}){when}, FALSE) /* exclusion {} */",
            exclusion.id.replace("*/", "* /")
        ));
    }
    conjuncts.extend(range.predicates());
    let mut sql = format!(
        "SELECT {} AS rule_id, {} AS title, {} AS severity, {FINDING_COLUMNS}\nFROM {table}\nWHERE ",
        quote(rule.id()),
        quote(rule.title()),
        quote(rule.severity().as_str()),
    );
    for (i, c) in conjuncts.iter().enumerate() {
        if i > 0 {
            sql.push_str("\n  AND ");
        }
        sql.push_str(c);
    }
    sql.push_str("\nORDER BY eventtime, eventid");
    Ok(sql)
}

/// The exclusions of the engine that apply to `rule` (all rules, or a list naming it).
fn applicable_exclusions<'a>(
    engine: &'a Engine,
    rule: &'a CompiledRule,
) -> impl Iterator<Item = &'a Exclusion> + 'a {
    engine.exclusions().iter().filter(move |x| {
        x.rules
            .as_ref()
            .is_none_or(|ids| ids.iter().any(|i| i == rule.id()))
    })
}

/// A pattern as a SQL boolean expression (it may be `NULL` where the pattern is false: wrap it in
/// `COALESCE(…, FALSE)` before negating it).
///
/// # Errors
/// Why the pattern has no SQL form over the table.
pub fn pattern_condition(pattern: &Pattern) -> Result<String, String> {
    node(pattern.ast(), Translation::Faithful)
}

fn node(n: &Node, how: Translation) -> Result<String, String> {
    match n {
        Node::Or(items) | Node::And(items) => {
            let op = if matches!(n, Node::Or(_)) {
                " OR "
            } else {
                " AND "
            };
            let parts = items
                .iter()
                .map(|i| node(i, how))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!("({})", parts.join(op)))
        }
        Node::Term(t) => term(t, how),
    }
}

/// Where a selector path lands in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Access {
    /// Nowhere: the engine sees a missing field on every CloudTrail record.
    Missing,
    /// A STRING column or struct field that CloudTrail writes as a JSON string (`bool: false`) or boolean
    /// (`bool: true`); SQL `NULL` when absent.
    Plain { expr: String, bool: bool },
    /// A struct or array (column, field or element): never a value node; SQL `NULL` when absent.
    Compound { expr: String },
    /// Inside a JSON-text column: `path` is the JSONPath within it (`$` for the column itself).
    Json { column: &'static str, path: String },
}

/// A field of the table: CloudTrail's key, the column's name, its shape.
struct Field {
    key: &'static str,
    column: &'static str,
    shape: Shape,
}

enum Shape {
    String,
    Bool,
    Json,
    Struct(&'static [Field]),
    ArrayOf(&'static [Field]),
    /// A column the translation does not reach into (a map).
    Opaque,
}

const fn f(key: &'static str, column: &'static str, shape: Shape) -> Field {
    Field { key, column, shape }
}

const SESSION_ISSUER: &[Field] = &[
    f("type", "type", Shape::String),
    f("principalId", "principalid", Shape::String),
    f("arn", "arn", Shape::String),
    f("accountId", "accountid", Shape::String),
    f("userName", "username", Shape::String),
];

const SESSION_CONTEXT: &[Field] = &[
    f(
        "attributes",
        "attributes",
        Shape::Struct(&[
            f("mfaAuthenticated", "mfaauthenticated", Shape::String),
            f("creationDate", "creationdate", Shape::String),
        ]),
    ),
    f(
        "sessionIssuer",
        "sessionissuer",
        Shape::Struct(SESSION_ISSUER),
    ),
    f("sourceIdentity", "sourceidentity", Shape::String),
    f("ec2RoleDelivery", "ec2roledelivery", Shape::String),
    f(
        "webIdFederationData",
        "webidfederationdata",
        Shape::Struct(&[
            f("federatedProvider", "federatedprovider", Shape::String),
            f("attributes", "attributes", Shape::Opaque),
        ]),
    ),
];

const USER_IDENTITY: &[Field] = &[
    f("type", "type", Shape::String),
    f("principalId", "principalid", Shape::String),
    f("arn", "arn", Shape::String),
    f("accountId", "accountid", Shape::String),
    f("invokedBy", "invokedby", Shape::String),
    f("accessKeyId", "accesskeyid", Shape::String),
    f("userName", "username", Shape::String),
    f(
        "onBehalfOf",
        "onbehalfof",
        Shape::Struct(&[
            f("userId", "userid", Shape::String),
            f("identityStoreArn", "identitystorearn", Shape::String),
        ]),
    ),
    f(
        "sessionContext",
        "sessioncontext",
        Shape::Struct(SESSION_CONTEXT),
    ),
];

/// The table's columns, by CloudTrail's keys (the order of [`TABLE_DDL`]).
const COLUMNS: &[Field] = &[
    f("eventVersion", "eventversion", Shape::String),
    f("userIdentity", "useridentity", Shape::Struct(USER_IDENTITY)),
    f("eventTime", "eventtime", Shape::String),
    f("eventSource", "eventsource", Shape::String),
    f("eventName", "eventname", Shape::String),
    f("awsRegion", "awsregion", Shape::String),
    f("sourceIPAddress", "sourceipaddress", Shape::String),
    f("userAgent", "useragent", Shape::String),
    f("errorCode", "errorcode", Shape::String),
    f("errorMessage", "errormessage", Shape::String),
    f("requestParameters", "requestparameters", Shape::Json),
    f("responseElements", "responseelements", Shape::Json),
    f("additionalEventData", "additionaleventdata", Shape::Json),
    f("requestID", "requestid", Shape::String),
    f("eventID", "eventid", Shape::String),
    f("readOnly", "readonly", Shape::Bool),
    f(
        "resources",
        "resources",
        Shape::ArrayOf(&[
            f("ARN", "arn", Shape::String),
            f("accountId", "accountid", Shape::String),
            f("type", "type", Shape::String),
        ]),
    ),
    f("eventType", "eventtype", Shape::String),
    f("apiVersion", "apiversion", Shape::String),
    f("managementEvent", "managementevent", Shape::Bool),
    f("recipientAccountId", "recipientaccountid", Shape::String),
    f("serviceEventDetails", "serviceeventdetails", Shape::Json),
    f("sharedEventID", "sharedeventid", Shape::String),
    f("vpcEndpointId", "vpcendpointid", Shape::String),
    f(
        "vpcEndpointAccountId",
        "vpcendpointaccountid",
        Shape::String,
    ),
    f("eventCategory", "eventcategory", Shape::String),
    f(
        "addendum",
        "addendum",
        Shape::Struct(&[
            f("reason", "reason", Shape::String),
            f("updatedFields", "updatedfields", Shape::String),
            f("originalRequestID", "originalrequestid", Shape::String),
            f("originalEventID", "originaleventid", Shape::String),
        ]),
    ),
    f(
        "sessionCredentialFromConsole",
        "sessioncredentialfromconsole",
        Shape::String,
    ),
    f("edgeDeviceDetails", "edgedevicedetails", Shape::Json),
    f(
        "tlsDetails",
        "tlsdetails",
        Shape::Struct(&[
            f("tlsVersion", "tlsversion", Shape::String),
            f("cipherSuite", "ciphersuite", Shape::String),
            f(
                "clientProvidedHostHeader",
                "clientprovidedhostheader",
                Shape::String,
            ),
        ]),
    ),
];

/// Where `path` lands; `Err` for a field that is not in the table (it may exist in records: refusing is the
/// only faithful answer).
fn access(path: &[PathStep]) -> Result<Access, String> {
    let shown = display_path(path);
    let Some((PathStep::Key(first), rest)) = path.split_first() else {
        return Ok(Access::Missing);
    };
    let Some(column) = COLUMNS.iter().find(|c| c.key == &**first) else {
        if COLUMNS.iter().any(|c| c.key.eq_ignore_ascii_case(first)) {
            // Spelled differently from CloudTrail's key: no CloudTrail record has it.
            return Ok(Access::Missing);
        }
        return Err(format!("{shown}: `{first}` is not a column of the table"));
    };
    walk(column, column.column.to_owned(), rest, &shown)
}

fn walk(field: &Field, expr: String, rest: &[PathStep], shown: &str) -> Result<Access, String> {
    match (&field.shape, rest.split_first()) {
        (Shape::String, None) => Ok(Access::Plain { expr, bool: false }),
        (Shape::Bool, None) => Ok(Access::Plain { expr, bool: true }),
        // Inside a string or a boolean: nothing.
        (Shape::String | Shape::Bool, Some(_)) => Ok(Access::Missing),
        (Shape::Json, _) => {
            let mut json_path = String::from("$");
            for step in rest {
                match step {
                    PathStep::Key(k) => {
                        if !k.is_empty()
                            && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                            && !k.as_bytes()[0].is_ascii_digit()
                        {
                            let _ = write!(json_path, ".{k}");
                        } else {
                            // Keys are letters, digits, `-` and `_`: nothing to escape in the quotes.
                            let _ = write!(json_path, "[\"{k}\"]");
                        }
                    }
                    PathStep::Index(i) => {
                        let _ = write!(json_path, "[{i}]");
                    }
                }
            }
            Ok(Access::Json {
                column: field.column,
                path: json_path,
            })
        }
        (Shape::Struct(_) | Shape::ArrayOf(_), None) => Ok(Access::Compound { expr }),
        (Shape::Struct(fields), Some((PathStep::Key(k), rest))) => {
            match fields.iter().find(|c| c.key == &**k) {
                Some(sub) => walk(sub, format!("{expr}.{}", sub.column), rest, shown),
                None if fields.iter().any(|c| c.key.eq_ignore_ascii_case(k)) => Ok(Access::Missing),
                None => Err(format!(
                    "{shown}: `{k}` is not a field of the table's `{}` struct",
                    field.key
                )),
            }
        }
        (Shape::Struct(_), Some((PathStep::Index(_), _))) => Ok(Access::Missing),
        (Shape::ArrayOf(fields), Some((PathStep::Index(i), rest))) => {
            let element = Field {
                key: field.key,
                column: field.column,
                shape: Shape::Struct(fields),
            };
            // SQL arrays count from 1; element_at is NULL past the end.
            walk(
                &element,
                format!("element_at({expr}, {})", i + 1),
                rest,
                shown,
            )
        }
        (Shape::ArrayOf(_), Some((PathStep::Key(_), _))) => Ok(Access::Missing),
        (Shape::Opaque, _) => Err(format!(
            "{shown}: `{}` is a map in the table; the translation does not reach into it",
            field.key
        )),
    }
}

fn display_path(path: &[PathStep]) -> String {
    let mut s = String::from("$");
    for step in path {
        match step {
            PathStep::Key(k) => {
                let _ = write!(s, ".{k}");
            }
            PathStep::Index(i) => {
                let _ = write!(s, "[{i}]");
            }
        }
    }
    s
}

/// The regular expression of the filter syntax's NUMBER (a string field compares as a number only when it is
/// entirely one).
const NUMBER_RE: &str = "^[+-]?[0-9]+(\\.[0-9]+)?([eE][+-]?[0-9]+)?$";

/// A number as a SQL DOUBLE literal.
fn double(x: f64) -> String {
    if x.is_finite() {
        format!("CAST({} AS DOUBLE)", quote(&format!("{x:e}")))
    } else if x > 0.0 {
        "infinity()".to_owned()
    } else {
        "-infinity()".to_owned()
    }
}

fn term(t: &Term, how: Translation) -> Result<String, String> {
    let access = access(&t.path)?;
    let shown = display_path(&t.path);
    // The field's text when it is a value node (a string, or a number's text), else NULL.
    let value: Option<String> = match &access {
        Access::Missing | Access::Compound { .. } | Access::Plain { bool: true, .. } => None,
        Access::Plain { expr, bool: false } => Some(expr.clone()),
        Access::Json { column, path } => Some(format!(
            "CASE WHEN json_format(json_extract({column}, {p})) IN ('true', 'false') THEN NULL \
             ELSE json_extract_scalar({column}, {p}) END",
            p = quote(path)
        )),
    };
    let json_text =
        |column: &str, path: &str| format!("json_format(json_extract({column}, {}))", quote(path));
    Ok(match &t.test {
        Test::Equals(lit) => match &value {
            Some(v) => equals(v, lit),
            None => "FALSE".to_owned(),
        },
        Test::NotEquals(lit) => match &value {
            Some(v) if how == Translation::PlantedBug => {
                format!("NOT COALESCE({}, FALSE)", equals(v, lit))
            }
            None if how == Translation::PlantedBug => "TRUE".to_owned(),
            Some(v) => format!("({v} IS NOT NULL AND NOT COALESCE({}, FALSE))", equals(v, lit)),
            None => "FALSE".to_owned(),
        },
        Test::Compare(op, n) => match &value {
            Some(v) => numeric(v, *op, n.to_f64()),
            None => "FALSE".to_owned(),
        },
        Test::IsNull => match &access {
            Access::Missing => "FALSE".to_owned(),
            Access::Json { column, path } if path != "$" => {
                format!("({} = 'null')", json_text(column, path))
            }
            _ => {
                return Err(format!(
                    "{shown} IS NULL: the table reads JSON null and an absent field alike (SQL NULL)"
                ))
            }
        },
        Test::IsTrue | Test::IsFalse => {
            let word = if matches!(t.test, Test::IsTrue) { "true" } else { "false" };
            match &access {
                Access::Plain { expr, bool: true } => format!("({expr} = '{word}')"),
                Access::Json { column, path } if path != "$" => {
                    format!("({} = '{word}')", json_text(column, path))
                }
                _ => "FALSE".to_owned(),
            }
        }
        Test::NotExists => match &access {
            Access::Missing => "TRUE".to_owned(),
            Access::Plain { expr, .. } | Access::Compound { expr } => format!("({expr} IS NULL)"),
            Access::Json { column, path } if path != "$" => {
                format!("(json_extract({column}, {}) IS NULL)", quote(path))
            }
            Access::Json { .. } => {
                return Err(format!(
                    "{shown} NOT EXISTS: the table reads JSON null and an absent field alike (SQL NULL)"
                ))
            }
        },
    })
}

/// `v = lit` with CloudWatch's rules, `v` a value node's text (NULL otherwise).
fn equals(v: &str, lit: &Literal) -> String {
    if lit.glob.is_some() {
        let mut like = String::new();
        for c in lit.text.chars() {
            match c {
                '*' => like.push('%'),
                '%' | '_' | '\\' => {
                    like.push('\\');
                    like.push(c);
                }
                _ => like.push(c),
            }
        }
        format!("({v} LIKE {} ESCAPE '\\')", quote(&like))
    } else if let Some(n) = lit.number {
        // An unquoted number: equal when the text is a NUMBER of that value.
        numeric_eq(v, n.to_f64())
    } else {
        format!("({v} = {})", quote(&lit.text))
    }
}

fn numeric_eq(v: &str, x: f64) -> String {
    number_test(v, "=", x)
}

fn numeric(v: &str, op: NumericOp, x: f64) -> String {
    number_test(v, op.text(), x)
}

/// `v <op> x` for a text that is entirely a NUMBER (the filter syntax compares nothing else as a number).
fn number_test(v: &str, op: &str, x: f64) -> String {
    format!(
        "(regexp_like({v}, '{NUMBER_RE}') AND try_cast({v} AS DOUBLE) {op} {})",
        double(x)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(src: &str) -> Result<String, String> {
        pattern_condition(&Pattern::parse(src).unwrap())
    }

    /// The principal column follows the principal fallback of `cloudtrail::vocab` (the order findings use).
    #[test]
    fn the_principal_column_is_the_principal_fallback() {
        let columns: Vec<String> = cloudtrail::vocab::PrincipalField::ALL
            .iter()
            .map(|f| f.selector().to_lowercase())
            .collect();
        let expected = format!("coalesce({}) AS principal", columns.join(", "));
        assert!(FINDING_COLUMNS.contains(&expected), "{FINDING_COLUMNS}");
    }

    #[test]
    fn plain_struct_json_and_array_fields() {
        assert_eq!(
            cond(r#"{ $.eventName = "ConsoleLogin" }"#).unwrap(),
            "(eventname = 'ConsoleLogin')"
        );
        assert_eq!(
            cond(r#"{ $.userIdentity.sessionContext.sessionIssuer.arn = "a'b" }"#).unwrap(),
            "(useridentity.sessioncontext.sessionissuer.arn = 'a''b')"
        );
        assert_eq!(
            cond(r#"{ $.resources[0].ARN = "x" }"#).unwrap(),
            "(element_at(resources, 1).arn = 'x')"
        );
        let json =
            cond(r#"{ $.requestParameters.ip-permissions.items[0].toPort = "22" }"#).unwrap();
        assert!(
            json.contains(
                r#"json_extract_scalar(requestparameters, '$["ip-permissions"].items[0].toPort')"#
            ),
            "{json}"
        );
    }

    #[test]
    fn keys_spelled_unlike_cloudtrail_point_nowhere() {
        assert_eq!(cond(r#"{ $.resources[0].arn = "x" }"#).unwrap(), "FALSE");
        assert_eq!(cond(r#"{ $.EventName NOT EXISTS }"#).unwrap(), "TRUE");
        assert_eq!(cond(r#"{ $.eventName.x NOT EXISTS }"#).unwrap(), "TRUE");
        assert_eq!(cond(r#"{ $.resources.ARN = "*" }"#).unwrap(), "FALSE");
    }

    #[test]
    fn not_equals_is_false_on_a_missing_field() {
        let s = cond(r#"{ $.errorCode != "AccessDenied" }"#).unwrap();
        assert_eq!(
            s,
            "(errorcode IS NOT NULL AND NOT COALESCE((errorcode = 'AccessDenied'), FALSE))"
        );
        assert_eq!(cond(r#"{ $.readOnly != "true" }"#).unwrap(), "FALSE");
        assert_eq!(cond(r#"{ $.userIdentity != "x" }"#).unwrap(), "FALSE");
    }

    #[test]
    fn wildcards_are_like_with_escapes() {
        assert_eq!(
            cond(r#"{ $.errorCode = "*Un_author%ized\\Op*" }"#).unwrap(),
            r"(errorcode LIKE '%Un\_author\%ized\\Op%' ESCAPE '\')"
        );
    }

    #[test]
    fn numbers_booleans_and_refusals() {
        let s = cond("{ $.requestParameters.count >= 5 }").unwrap();
        assert!(s.contains(">= CAST('5e0' AS DOUBLE)"), "{s}");
        assert_eq!(
            cond("{ $.readOnly IS FALSE }").unwrap(),
            "(readonly = 'false')"
        );
        assert_eq!(cond("{ $.eventName IS TRUE }").unwrap(), "FALSE");
        assert!(cond("{ $.errorCode IS NULL }").is_err());
        assert!(cond("{ $.responseElements NOT EXISTS }").is_err());
        assert!(cond(r#"{ $.insightDetails.x = "y" }"#)
            .unwrap_err()
            .contains("not a column"));
        assert_eq!(
            cond("{ $.requestParameters.enable IS FALSE }").unwrap(),
            "(json_format(json_extract(requestparameters, '$.enable')) = 'false')"
        );
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let s = cond(r#"{ $.a1 = "x" || $.eventName = "b" && $.eventSource = "c" }"#);
        assert!(s.is_err(), "a1 is not a column");
        let s =
            cond(r#"{ $.awsRegion = "x" || $.eventName = "b" && $.eventSource = "c" }"#).unwrap();
        assert_eq!(
            s,
            "((awsregion = 'x') OR ((eventname = 'b') AND (eventsource = 'c')))"
        );
    }

    #[test]
    fn time_range_prunes_days_with_a_margin() {
        let r = TimeRange {
            since: Some("2024-01-15T00:00:00Z".parse().unwrap()),
            until: Some("2024-02-01T00:00:00Z".parse().unwrap()),
        };
        assert_eq!(
            r.predicates(),
            vec![
                "(day >= '2024/01/14')",
                "(eventtime >= '2024-01-15T00:00:00Z')",
                "(day <= '2024/02/02')",
                "(eventtime < '2024-02-01T00:00:00Z')",
            ]
        );
    }

    #[test]
    fn every_cis_rule_has_a_query_and_code_rules_say_why_not() {
        let engine = Engine::profile(rules::profile::Profile::Cis).unwrap();
        let queries = engine_queries(&engine, DEFAULT_TABLE, &TimeRange::default());
        assert_eq!(queries.len(), 16);
        for q in &queries {
            let sql = q.sql.as_ref().unwrap();
            assert!(sql.contains("eventid"), "{sql}");
        }
        let all = Engine::builtin().unwrap();
        let code = all
            .rules()
            .iter()
            .find(|r| r.prefilter().is_some())
            .unwrap();
        let err = rule_query(&all, code, DEFAULT_TABLE, &TimeRange::default()).unwrap_err();
        assert!(err.reason.contains("code rule"), "{err}");
    }
}
