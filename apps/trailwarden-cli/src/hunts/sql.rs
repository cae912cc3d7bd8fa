//! What the hunts' Athena (Trino) SQL forms share: the expressions for the values the local hunts compute
//! from a [`cloudtrail::Record`] (the caller, the result, a string inside a JSON column), over the table of
//! `compile::sql::TABLE_DDL`. Each hunt's `sql` returns the columns of its row type, named as its JSON fields.
//!
//! The SQL is checked against the local hunts on the same records by the conformance test
//! (`commands/rules/sql/conformance.rs`), which runs it on DuckDB after sqlglot's Trino → DuckDB transpilation.

use compile::sql::{quote, TimeRange};

/// `Record::principal`: the ARN, else principal id, user name, invoking service, identity type.
pub const PRINCIPAL: &str =
    "coalesce(useridentity.arn, useridentity.principalid, useridentity.username, \
useridentity.invokedby, useridentity.type)";

/// `hunt::caller(r).0`: the identity type, `-` when absent.
pub const CALLER_KIND: &str = "coalesce(useridentity.type, '-')";

/// `hunt::caller(r).1`: an assumed role by its role (the session issuer's ARN), others by [`PRINCIPAL`], `-`.
pub fn caller_name() -> String {
    format!(
        "coalesce(CASE WHEN useridentity.type = 'AssumedRole' THEN \
         useridentity.sessioncontext.sessionissuer.arn END, {PRINCIPAL}, '-')"
    )
}

/// `hunt::result`: `ok`, or the error code, else the error message.
pub const RESULT: &str = "coalesce(errorcode, errormessage, 'ok')";

/// `!Record::succeeded()`: an error code or an error message.
pub const FAILED: &str = "(errorcode IS NOT NULL OR errormessage IS NOT NULL)";

/// The JSON string at `path` (`$.a.b`) of a JSON-text column or JSON value `json`; NULL for anything else (a
/// number, a boolean, null, an object, an array, absent), as `Value::as_str` gives.
pub fn json_string(json: &str, path: &str) -> String {
    let p = quote(path);
    format!(
        "CASE WHEN substr(json_format(json_extract({json}, {p})), 1, 1) = '\"' \
         THEN json_extract_scalar({json}, {p}) END"
    )
}

/// The JSON integer at `path` of `json` as text (`Value::as_i64`'s digits); NULL for anything else.
pub fn json_integer(json: &str, path: &str) -> String {
    let p = quote(path);
    format!(
        "CASE WHEN regexp_like(json_format(json_extract({json}, {p})), '^-?[0-9]+$') \
         THEN json_format(json_extract({json}, {p})) END"
    )
}

/// The elements of the JSON array at `path` of `json` as an `ARRAY(JSON)`, empty when it is not an array.
pub fn json_items(json: &str, path: &str) -> String {
    let p = quote(path);
    format!(
        "coalesce(CASE WHEN substr(json_format(json_extract({json}, {p})), 1, 1) = '[' \
         THEN CAST(json_extract({json}, {p}) AS ARRAY(JSON)) END, CAST(ARRAY[] AS ARRAY(JSON)))"
    )
}

/// The distinct non-null values of `expr` in the group, sorted (a `BTreeSet` collected into a list).
pub fn sorted_set(expr: &str) -> String {
    format!(
        "coalesce(array_sort(array_agg(DISTINCT {expr}) FILTER (WHERE {expr} IS NOT NULL)), \
         CAST(ARRAY[] AS ARRAY(VARCHAR)))"
    )
}

/// `expr IN ('a', 'b', …)`; FALSE for an empty list.
pub fn in_list<S: AsRef<str>>(expr: &str, values: impl IntoIterator<Item = S>) -> String {
    let values: Vec<String> = values.into_iter().map(|v| quote(v.as_ref())).collect();
    if values.is_empty() {
        "FALSE".to_owned()
    } else {
        format!("{expr} IN ({})", values.join(", "))
    }
}

/// `FROM table WHERE …`: the hunt's own conditions and the time range's (TRUE when there are none).
pub fn from_where(table: &str, conditions: &[String], range: &TimeRange) -> String {
    let mut all: Vec<String> = conditions.iter().map(|c| format!("({c})")).collect();
    all.extend(range.predicates());
    if all.is_empty() {
        all.push("TRUE".to_owned());
    }
    format!("FROM {table}\nWHERE {}", all.join("\n  AND "))
}

#[cfg(test)]
mod tests {
    /// [`super::PRINCIPAL`] follows the principal fallback of `cloudtrail::vocab` (what `Record::principal`
    /// uses).
    #[test]
    fn principal_is_the_principal_fallback() {
        let columns: Vec<String> = cloudtrail::vocab::PrincipalField::ALL
            .iter()
            .map(|f| f.selector().to_lowercase())
            .collect();
        assert_eq!(
            super::PRINCIPAL,
            format!("coalesce({})", columns.join(", "))
        );
    }
}
