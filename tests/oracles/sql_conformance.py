"""Runs trailwarden's Athena (Trino) queries on DuckDB and compares their rows with the Rust engine's answers.

Usage: sql_conformance.py DIR

DIR holds (written by the Rust tests crates/compile/tests/sql_conformance.rs and the CLI's hunt conformance test):
* table.sql     the Athena table's DDL (compile::sql::TABLE_DDL, `{table}` filled in), Hive dialect
* records.jsonl one CloudTrail record per line, as the log files hold them
* queries.json  [{"id": ..., "sql": <Trino SQL>, "compare": "eventid" | "rows"}]
* expected.json {id: [eventid, ...]} for "eventid", {id: [row object, ...]} for "rows"

The table is created in DuckDB with the DDL's own column types (parsed with sqlglot's Hive dialect, written in
DuckDB's), and each record is loaded the way Athena's JSON SerDe reads it: a STRING column takes a JSON string
as is, a number or boolean as its text, an object or array as its JSON text; a STRUCT takes an object's members
by case-insensitive name (others NULL); JSON null and absent keys are NULL. Partition columns come from the
record (recipientAccountId, awsRegion, the day of eventTime). Each query is transpiled from Trino to DuckDB
with sqlglot and run; rows are compared as multisets (event ids per rule; whole rows for hunts).

Exit status: 0 all equal, 1 some query's rows differ (each difference printed), 2 a query failed to transpile or
run (a broken test, not a broken translation).
"""

import json
import sys
from collections import Counter
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp


def columns_of(ddl):
    """(name, sqlglot DataType) for each column, then the partition columns."""
    create = sqlglot.parse_one(ddl.split("ROW FORMAT")[0], read="hive")
    cols = [(c.name, c.args["kind"]) for c in create.this.expressions]
    props = create.args.get("properties")
    if props:
        for p in props.expressions:
            if isinstance(p, exp.PartitionedByProperty):
                for c in p.this.expressions:
                    cols.append((c.name, c.args["kind"]))
    return cols


def serde(value, dtype):
    """A JSON value as Athena's JSON SerDe gives it for a column of this type."""
    if value is None:
        return None
    t = dtype.this
    if t == exp.DataType.Type.STRUCT:
        if not isinstance(value, dict):
            return None
        lowered = {}
        for k, v in value.items():
            lowered.setdefault(k.lower(), v)
        out = {}
        for field in dtype.expressions:
            name = field.name
            out[name] = serde(lowered.get(name.lower()), field.args["kind"])
        return out
    if t == exp.DataType.Type.ARRAY:
        if not isinstance(value, list):
            return None
        (inner,) = dtype.expressions
        return [serde(v, inner) for v in value]
    if t == exp.DataType.Type.MAP:
        if not isinstance(value, dict):
            return None
        return {str(k): serde(v, exp.DataType.build("string")) for k, v in value.items()}
    # A string column.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def load(con, ddl, records, scratch):
    """The table, filled through a JSON-lines file of the rows as the SerDe gives them (read with the DDL's
    types, so DuckDB does no guessing)."""
    cols = columns_of(ddl)
    rows_file = scratch / "rows.jsonl"
    with rows_file.open("w") as out:
        for record in records:
            lowered = {}
            for k, v in record.items():
                lowered.setdefault(k.lower(), v)
            event_time = record.get("eventTime") if isinstance(record.get("eventTime"), str) else None
            partition = {
                "account": record.get("recipientAccountId"),
                "region": record.get("awsRegion"),
                "day": event_time[:10].replace("-", "/") if event_time else None,
            }
            row = {}
            for name, dtype in cols:
                raw = partition[name] if name in partition else lowered.get(name)
                row[name] = serde(raw, dtype)
            out.write(json.dumps(row) + "\n")
    spec = ", ".join("'%s': '%s'" % (n, t.sql("duckdb")) for n, t in cols)
    con.execute(
        "CREATE TABLE cloudtrail AS SELECT * FROM read_json('%s', format = 'newline_delimited', "
        "columns = {%s})" % (str(rows_file).replace("'", "''"), spec)
    )
    (n,) = con.execute("SELECT count(*) FROM cloudtrail").fetchone()
    assert n == len(records), (n, len(records))


def canonical(row):
    return json.dumps(row, sort_keys=True, default=str)


def main():
    d = Path(sys.argv[1])
    ddl = (d / "table.sql").read_text()
    records = [json.loads(line) for line in (d / "records.jsonl").read_text().splitlines() if line]
    queries = json.loads((d / "queries.json").read_text())
    expected = json.loads((d / "expected.json").read_text())

    con = duckdb.connect()
    # sqlglot 30 writes Trino's lambdas (`x -> …`) as DuckDB's arrow lambdas, which DuckDB 2.0 accepts only
    # with this setting (a session setting, not a change to the queries).
    con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
    load(con, ddl, records, d)
    print("sql_conformance: %d records, %d queries" % (len(records), len(queries)))

    failed = errors = 0
    for q in queries:
        qid = q["id"]
        try:
            duck = sqlglot.transpile(q["sql"], read="trino", write="duckdb")[0]
            cur = con.execute(duck)
        except Exception as e:  # noqa: BLE001 - reported and counted
            errors += 1
            print("ERROR %s: %s\n  trino: %s" % (qid, e, q["sql"]))
            continue
        names = [c[0] for c in cur.description]
        rows = [dict(zip(names, r)) for r in cur.fetchall()]
        if q["compare"] == "eventid":
            got = Counter(r["eventid"] for r in rows)
            want = Counter(expected[qid])
        else:
            got = Counter(canonical(r) for r in rows)
            want = Counter(canonical(r) for r in expected[qid])
        if got != want:
            failed += 1
            print("MISMATCH %s: %d rows from SQL, %d expected" % (qid, sum(got.values()), sum(want.values())))
            for k in sorted((got - want).keys(), key=str)[:10]:
                print("  only in SQL:      %s" % (k,))
            for k in sorted((want - got).keys(), key=str)[:10]:
                print("  only in expected: %s" % (k,))
        else:
            print("ok %s: %d rows" % (qid, sum(got.values())))
    print("sql_conformance: %d equal, %d differ, %d errors" % (len(queries) - failed - errors, failed, errors))
    if errors:
        sys.exit(2)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
