//! Athena: queries started in a workgroup, polled until they end, their results paged, and what they scanned
//! (`--engine athena` of `scan` and `hunt`; `commands::athena` makes the queries and prints the rows).
//!
//! The calls Athena answers are behind a small port, [`AthenaApi`] (start, status, one page of results, stop),
//! so the polling and paging of [`run_all`] (states, a failed or cancelled query, the workgroup's
//! bytes-scanned limit, the overall time limit, pagination) are tested with a fake; [`Sdk`] is the port over
//! the AWS SDK, tested against moto_server (`tests/athena.rs`).

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

/// Athena's list price: US dollars per TB scanned (us-east-1; "Amazon Athena pricing", SQL queries). The one
/// place the price is kept.
pub const USD_PER_TB_SCANNED: f64 = 5.0;
/// A TB as Athena bills it (1,024 GB of 1,024 MB).
pub const BYTES_PER_TB: u64 = 1 << 40;
/// Each query is billed rounded up to the megabyte...
pub const BILLED_BYTES_UNIT: u64 = 1 << 20;
/// ...with a minimum of 10 MB per query.
pub const BILLED_BYTES_MIN: u64 = 10 << 20;

/// The bytes a query with `scanned` bytes is billed for: rounded up to the megabyte, at least 10 MB.
pub fn billed_bytes(scanned: u64) -> u64 {
    scanned
        .div_ceil(BILLED_BYTES_UNIT)
        .saturating_mul(BILLED_BYTES_UNIT)
        .max(BILLED_BYTES_MIN)
}

/// The cost at list price of bytes billed.
pub fn cost_usd(billed: u64) -> f64 {
    billed as f64 / BYTES_PER_TB as f64 * USD_PER_TB_SCANNED
}

/// Bytes for people: `123 B`, `4.5 MB`, `1.20 GB` (binary units, as Athena's console shows them).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

/// The line `scan` and `hunt` print on stderr after their queries: what was scanned and its cost.
pub fn cost_line(scanned: &[u64]) -> String {
    let total: u64 = scanned.iter().sum();
    let billed: u64 = scanned.iter().map(|&s| billed_bytes(s)).sum();
    format!(
        "athena: {} scanned ({total} bytes) by {} {}; cost ${:.4} at list price, us-east-1 (${USD_PER_TB_SCANNED} per TB \
         scanned, each query rounded up to the MB, at least 10 MB: {} billed)",
        human_bytes(total),
        scanned.len(),
        if scanned.len() == 1 { "query" } else { "queries" },
        cost_usd(billed),
        human_bytes(billed),
    )
}

/// Where queries run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub workgroup: String,
    /// The query execution context's database.
    pub database: String,
}

/// A query's state, as `GetQueryExecution` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// A query's status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub state: State,
    /// `Status.StateChangeReason`.
    pub reason: Option<String>,
    /// `Status.AthenaError.ErrorType` and `ErrorMessage`, when Athena gives them.
    pub error: Option<String>,
    /// `Statistics.DataScannedInBytes` so far.
    pub scanned: u64,
}

/// A result column: its name and Athena type (`varchar`, `bigint`, `array`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: String,
}

/// One page of `GetQueryResults`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// `ResultSetMetadata.ColumnInfo`.
    pub columns: Vec<Column>,
    /// Each row's values; `None` is SQL `NULL` (a datum without `VarCharValue`).
    pub rows: Vec<Vec<Option<String>>>,
    pub next: Option<String>,
}

/// An Athena call that did not answer (throttled, denied, unreachable, no such workgroup, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ApiError(pub String);

/// The Athena calls [`run_all`] makes.
pub trait AthenaApi {
    /// `StartQueryExecution`: the query execution id.
    async fn start(&self, sql: &str, place: &Place) -> Result<String, ApiError>;
    /// `GetQueryExecution`.
    async fn status(&self, id: &str) -> Result<Status, ApiError>;
    /// `GetQueryResults`: the page after `token` (the first without).
    async fn page(&self, id: &str, token: Option<&str>) -> Result<Page, ApiError>;
    /// `StopQueryExecution`.
    async fn stop(&self, id: &str) -> Result<(), ApiError>;
}

/// Why a query gave no rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("query {id} failed: {reason}")]
    Failed { id: String, reason: String },
    #[error("query {id} was cancelled: {reason}")]
    Cancelled { id: String, reason: String },
    /// The workgroup's per-query data usage control: Athena cancels a query that scans more (AWS documents
    /// the query as cancelled; its reason says "Bytes scanned limit was exceeded"; a FAILED query with that
    /// reason is taken the same way).
    #[error(
        "query {id} stopped at the workgroup's bytes-scanned limit after {} scanned: {reason} (narrow it \
         with --since/--until, or raise the workgroup's bytes_scanned_cutoff_per_query)",
        human_bytes(*scanned)
    )]
    BytesScannedLimit {
        id: String,
        reason: String,
        scanned: u64,
    },
    /// Still running at the overall time limit (`--athena-timeout`): stopped, or never started.
    #[error("{} after the {}s limit (--athena-timeout)", match id { Some(id) => format!("query {id} stopped"), None => "query not started".to_owned() }, after.as_secs())]
    Timeout { id: Option<String>, after: Duration },
    #[error("{0}")]
    Api(#[from] ApiError),
}

/// The rows of a query that succeeded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    pub id: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Rows {
    /// The index of the column `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

/// One query's end: its rows or why there are none, and the bytes it scanned (billed either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub result: Result<Rows, QueryError>,
    pub scanned: u64,
}

/// How [`run_all`] runs queries.
#[derive(Debug, Clone)]
pub struct Settings {
    pub place: Place,
    /// Between two rounds of `GetQueryExecution`.
    pub poll: Duration,
    /// The whole run: queries still running then are stopped.
    pub timeout: Duration,
    /// Queries running at once (Athena's quota on active queries is per account and region).
    pub max_running: usize,
}

/// What [`run_all`] reports as it goes, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started {
        index: usize,
        id: String,
    },
    Ended {
        index: usize,
        ok: bool,
        scanned: u64,
    },
}

/// Runs `queries` (at most [`Settings::max_running`] at once, in order), polls them until each ends, pages
/// the results of those that succeeded, and stops those still running at [`Settings::timeout`]. One
/// [`Outcome`] per query, in the queries' order.
pub async fn run_all<A: AthenaApi>(
    api: &A,
    queries: &[String],
    settings: &Settings,
    on: &mut dyn FnMut(Event),
) -> Vec<Outcome> {
    let deadline = tokio::time::Instant::now() + settings.timeout;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; queries.len()];
    let mut pending: VecDeque<usize> = (0..queries.len()).collect();
    let mut running: Vec<(usize, String)> = Vec::new();
    loop {
        while running.len() < settings.max_running.max(1) {
            let Some(index) = pending.pop_front() else {
                break;
            };
            match api.start(&queries[index], &settings.place).await {
                Ok(id) => {
                    on(Event::Started {
                        index,
                        id: id.clone(),
                    });
                    running.push((index, id));
                }
                Err(e) => {
                    outcomes[index] = Some(Outcome {
                        result: Err(QueryError::Api(e)),
                        scanned: 0,
                    });
                    on(Event::Ended {
                        index,
                        ok: false,
                        scanned: 0,
                    });
                }
            }
        }
        let mut still = Vec::with_capacity(running.len());
        for (index, id) in running {
            let outcome = match api.status(&id).await {
                Err(e) => Outcome {
                    result: Err(QueryError::Api(e)),
                    scanned: 0,
                },
                Ok(status) => match ended(api, &id, status).await {
                    Some(outcome) => outcome,
                    None => {
                        still.push((index, id));
                        continue;
                    }
                },
            };
            on(Event::Ended {
                index,
                ok: outcome.result.is_ok(),
                scanned: outcome.scanned,
            });
            outcomes[index] = Some(outcome);
        }
        running = still;
        if running.is_empty() && pending.is_empty() {
            break;
        }
        if tokio::time::Instant::now() >= deadline {
            for (index, id) in running {
                // Stopping is best effort: the query is reported as timed out whatever StopQueryExecution says
                // (its id is in the message, to stop it by hand).
                let _ = api.stop(&id).await;
                let scanned = api.status(&id).await.map(|s| s.scanned).unwrap_or(0);
                outcomes[index] = Some(Outcome {
                    result: Err(QueryError::Timeout {
                        id: Some(id),
                        after: settings.timeout,
                    }),
                    scanned,
                });
                on(Event::Ended {
                    index,
                    ok: false,
                    scanned,
                });
            }
            for index in pending {
                outcomes[index] = Some(Outcome {
                    result: Err(QueryError::Timeout {
                        id: None,
                        after: settings.timeout,
                    }),
                    scanned: 0,
                });
            }
            break;
        }
        tokio::time::sleep(settings.poll).await;
    }
    outcomes
        .into_iter()
        .map(|o| {
            o.unwrap_or(Outcome {
                result: Err(QueryError::Api(ApiError(
                    "the query was never run".to_owned(),
                ))),
                scanned: 0,
            })
        })
        .collect()
}

/// The outcome of a query in `status`, or `None` while it is queued or running.
async fn ended<A: AthenaApi>(api: &A, id: &str, status: Status) -> Option<Outcome> {
    let scanned = status.scanned;
    let reason = || {
        let mut r = status
            .reason
            .clone()
            .unwrap_or_else(|| "no reason given".to_owned());
        if let Some(e) = &status.error {
            r.push_str(&format!(" ({e})"));
        }
        r
    };
    let limit = status
        .reason
        .iter()
        .chain(&status.error)
        .any(|r| r.to_ascii_lowercase().contains("bytes scanned limit"));
    let result = match status.state {
        State::Queued | State::Running => return None,
        State::Succeeded => all_pages(api, id).await,
        State::Failed | State::Cancelled if limit => Err(QueryError::BytesScannedLimit {
            id: id.to_owned(),
            reason: reason(),
            scanned,
        }),
        State::Failed => Err(QueryError::Failed {
            id: id.to_owned(),
            reason: reason(),
        }),
        State::Cancelled => Err(QueryError::Cancelled {
            id: id.to_owned(),
            reason: reason(),
        }),
    };
    Some(Outcome { result, scanned })
}

/// Every page of a query's results. The first row of the first page is the column names (Athena's header
/// row for a SELECT) and is left out.
async fn all_pages<A: AthenaApi>(api: &A, id: &str) -> Result<Rows, QueryError> {
    let mut rows = Rows {
        id: id.to_owned(),
        ..Rows::default()
    };
    let mut token: Option<String> = None;
    let mut first = true;
    loop {
        let page = api.page(id, token.as_deref()).await?;
        let mut page_rows = page.rows.into_iter();
        if first {
            rows.columns = page.columns;
            let header: Vec<Option<String>> =
                rows.columns.iter().map(|c| Some(c.name.clone())).collect();
            let mut peek = page_rows.clone();
            if peek.next().as_ref() == Some(&header) {
                page_rows.next();
            }
            first = false;
        }
        rows.rows.extend(page_rows);
        match page.next {
            Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
            _ => break,
        }
    }
    Ok(rows)
}

/// [`AthenaApi`] over the AWS SDK, with the shared client set-up ([`trailwarden_aws::athena_client`]).
pub struct Sdk {
    client: aws_sdk_athena::Client,
}

impl Sdk {
    pub fn new(sdk: &aws_config::SdkConfig) -> Sdk {
        Sdk {
            client: trailwarden_aws::athena_client(sdk),
        }
    }
}

/// An SDK error with its service message (the `Display` of an SDK error is only "service error").
fn api_error<E: std::error::Error>(op: &str, e: E) -> ApiError {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    ApiError(format!("athena {op}: {text}"))
}

impl AthenaApi for Sdk {
    async fn start(&self, sql: &str, place: &Place) -> Result<String, ApiError> {
        let context = aws_sdk_athena::types::QueryExecutionContext::builder()
            .database(&place.database)
            .build();
        let out = self
            .client
            .start_query_execution()
            .query_string(sql)
            .work_group(&place.workgroup)
            .query_execution_context(context)
            .send()
            .await
            .map_err(|e| api_error("StartQueryExecution", e.into_service_error()))?;
        out.query_execution_id
            .ok_or_else(|| ApiError("athena StartQueryExecution: no query execution id".to_owned()))
    }

    async fn status(&self, id: &str) -> Result<Status, ApiError> {
        use aws_sdk_athena::types::QueryExecutionState as S;
        let out = self
            .client
            .get_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(|e| api_error("GetQueryExecution", e.into_service_error()))?;
        let execution = out
            .query_execution
            .unwrap_or_else(|| aws_sdk_athena::types::QueryExecution::builder().build());
        let status = execution
            .status
            .unwrap_or_else(|| aws_sdk_athena::types::QueryExecutionStatus::builder().build());
        let state = match status.state {
            Some(S::Queued) => State::Queued,
            Some(S::Running) => State::Running,
            Some(S::Succeeded) => State::Succeeded,
            Some(S::Failed) => State::Failed,
            Some(S::Cancelled) => State::Cancelled,
            other => {
                return Err(ApiError(format!(
                    "athena GetQueryExecution: query {id} in an unknown state {other:?}"
                )))
            }
        };
        let error = status.athena_error.map(|e| {
            format!(
                "error type {}{}",
                e.error_type.unwrap_or_default(),
                e.error_message
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            )
        });
        let scanned = execution
            .statistics
            .and_then(|s| s.data_scanned_in_bytes)
            .and_then(|b| u64::try_from(b).ok())
            .unwrap_or(0);
        Ok(Status {
            state,
            reason: status.state_change_reason,
            error,
            scanned,
        })
    }

    async fn page(&self, id: &str, token: Option<&str>) -> Result<Page, ApiError> {
        let out = self
            .client
            .get_query_results()
            .query_execution_id(id)
            .set_next_token(token.map(str::to_owned))
            .max_results(1000)
            .send()
            .await
            .map_err(|e| api_error("GetQueryResults", e.into_service_error()))?;
        let set = out
            .result_set
            .unwrap_or_else(|| aws_sdk_athena::types::ResultSet::builder().build());
        let columns = set
            .result_set_metadata
            .and_then(|m| m.column_info)
            .unwrap_or_default()
            .into_iter()
            .map(|c| Column {
                name: c.name,
                kind: c.r#type,
            })
            .collect();
        let rows = set
            .rows
            .unwrap_or_default()
            .into_iter()
            .map(|r| {
                r.data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| d.var_char_value)
                    .collect()
            })
            .collect();
        Ok(Page {
            columns,
            rows,
            next: out.next_token,
        })
    }

    async fn stop(&self, id: &str) -> Result<(), ApiError> {
        self.client
            .stop_query_execution()
            .query_execution_id(id)
            .send()
            .await
            .map_err(|e| api_error("StopQueryExecution", e.into_service_error()))?;
        Ok(())
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Queued => "QUEUED",
            State::Running => "RUNNING",
            State::Succeeded => "SUCCEEDED",
            State::Failed => "FAILED",
            State::Cancelled => "CANCELLED",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// A scripted Athena: each query (by its SQL) goes through its list of statuses, one per
    /// `GetQueryExecution`, staying at the last; its results are pages by token.
    #[derive(Default)]
    struct Fake {
        script: HashMap<String, (Vec<Status>, Vec<Page>)>,
        started: RefCell<Vec<String>>,
        polls: RefCell<HashMap<String, usize>>,
        stopped: RefCell<Vec<String>>,
        pages_read: RefCell<Vec<(String, Option<String>)>>,
        refuse_start: Option<String>,
    }

    fn status(state: State, scanned: u64) -> Status {
        Status {
            state,
            reason: None,
            error: None,
            scanned,
        }
    }

    fn cols(names: &[&str]) -> Vec<Column> {
        names
            .iter()
            .map(|n| Column {
                name: (*n).to_owned(),
                kind: "varchar".to_owned(),
            })
            .collect()
    }

    fn row(values: &[&str]) -> Vec<Option<String>> {
        values.iter().map(|v| Some((*v).to_owned())).collect()
    }

    impl Fake {
        fn with(mut self, sql: &str, statuses: Vec<Status>, pages: Vec<Page>) -> Fake {
            self.script.insert(sql.to_owned(), (statuses, pages));
            self
        }
    }

    impl AthenaApi for Fake {
        async fn start(&self, sql: &str, place: &Place) -> Result<String, ApiError> {
            assert_eq!(place.workgroup, "wg");
            if let Some(msg) = &self.refuse_start {
                return Err(ApiError(msg.clone()));
            }
            self.started.borrow_mut().push(sql.to_owned());
            Ok(format!("id-{sql}"))
        }

        async fn status(&self, id: &str) -> Result<Status, ApiError> {
            let sql = id.trim_start_matches("id-");
            let mut polls = self.polls.borrow_mut();
            let n = polls.entry(sql.to_owned()).or_default();
            let statuses = &self.script[sql].0;
            let s = statuses[(*n).min(statuses.len() - 1)].clone();
            *n += 1;
            Ok(s)
        }

        async fn page(&self, id: &str, token: Option<&str>) -> Result<Page, ApiError> {
            let sql = id.trim_start_matches("id-");
            self.pages_read
                .borrow_mut()
                .push((sql.to_owned(), token.map(str::to_owned)));
            let i = token.map_or(0, |t| t.parse::<usize>().unwrap());
            Ok(self.script[sql].1[i].clone())
        }

        async fn stop(&self, id: &str) -> Result<(), ApiError> {
            self.stopped.borrow_mut().push(id.to_owned());
            Ok(())
        }
    }

    fn settings(timeout: Duration, max_running: usize) -> Settings {
        Settings {
            place: Place {
                workgroup: "wg".into(),
                database: "db".into(),
            },
            poll: Duration::ZERO,
            timeout,
            max_running,
        }
    }

    fn run(fake: &Fake, queries: &[&str], settings: &Settings) -> (Vec<Outcome>, Vec<Event>) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let queries: Vec<String> = queries.iter().map(|q| (*q).to_owned()).collect();
        let mut events = Vec::new();
        let outcomes = rt.block_on(run_all(fake, &queries, settings, &mut |e| events.push(e)));
        (outcomes, events)
    }

    const LONG: Duration = Duration::from_secs(3600);

    #[test]
    fn results_are_paged_to_the_end_without_the_header_row() {
        let header = row(&["rule_id", "eventid"]);
        let fake = Fake::default().with(
            "q",
            vec![
                status(State::Queued, 0),
                status(State::Running, 10),
                status(State::Succeeded, 1234),
            ],
            vec![
                Page {
                    columns: cols(&["rule_id", "eventid"]),
                    rows: vec![header, row(&["r", "e1"]), row(&["r", "e2"])],
                    next: Some("1".into()),
                },
                Page {
                    columns: cols(&["rule_id", "eventid"]),
                    rows: vec![row(&["r", "e3"])],
                    next: Some("2".into()),
                },
                Page {
                    columns: cols(&["rule_id", "eventid"]),
                    // A later page's first row is data, even when it looks like the header.
                    rows: vec![row(&["rule_id", "eventid"]), vec![Some("r".into()), None]],
                    next: None,
                },
            ],
        );
        let (outcomes, events) = run(&fake, &["q"], &settings(LONG, 4));
        let rows = outcomes[0].result.clone().unwrap();
        assert_eq!(outcomes[0].scanned, 1234);
        let ids: Vec<Option<&str>> = rows.rows.iter().map(|r| r[1].as_deref()).collect();
        assert_eq!(
            ids,
            [Some("e1"), Some("e2"), Some("e3"), Some("eventid"), None]
        );
        assert_eq!(rows.index("eventid"), Some(1));
        assert_eq!(
            *fake.pages_read.borrow(),
            [
                ("q".to_owned(), None),
                ("q".to_owned(), Some("1".to_owned())),
                ("q".to_owned(), Some("2".to_owned()))
            ]
        );
        assert_eq!(fake.polls.borrow()["q"], 3, "polled until SUCCEEDED");
        assert_eq!(
            events,
            [
                Event::Started {
                    index: 0,
                    id: "id-q".into()
                },
                Event::Ended {
                    index: 0,
                    ok: true,
                    scanned: 1234
                }
            ]
        );
    }

    #[test]
    fn a_failed_query_carries_its_reason_and_the_others_still_run() {
        let mut failed = status(State::Failed, 99);
        failed.reason = Some("COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved".into());
        failed.error = Some("error type 1006".into());
        let mut cancelled = status(State::Cancelled, 5);
        cancelled.reason = Some("Query cancelled by user".into());
        let ok = Page {
            columns: cols(&["a"]),
            rows: vec![row(&["a"]), row(&["1"])],
            next: None,
        };
        let fake = Fake::default()
            .with("bad", vec![status(State::Running, 0), failed], vec![])
            .with("gone", vec![cancelled], vec![])
            .with("good", vec![status(State::Succeeded, 7)], vec![ok]);
        let (outcomes, _) = run(&fake, &["bad", "gone", "good"], &settings(LONG, 1));
        assert_eq!(
            outcomes[0].result,
            Err(QueryError::Failed {
                id: "id-bad".into(),
                reason:
                    "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved (error type 1006)"
                        .into()
            })
        );
        assert_eq!(outcomes[0].scanned, 99);
        assert_eq!(
            outcomes[1].result,
            Err(QueryError::Cancelled {
                id: "id-gone".into(),
                reason: "Query cancelled by user".into()
            })
        );
        assert_eq!(outcomes[2].result.as_ref().unwrap().rows, [row(&["1"])]);
        // One at a time: each started after the previous ended.
        assert_eq!(*fake.started.borrow(), ["bad", "gone", "good"]);
        let message = outcomes[0].result.clone().unwrap_err().to_string();
        assert!(message.contains("failed: COLUMN_NOT_FOUND"), "{message}");
    }

    #[test]
    fn the_bytes_scanned_limit_is_named_whether_cancelled_or_failed() {
        let mut cancelled = status(State::Cancelled, 10_485_760);
        cancelled.reason = Some("Bytes scanned limit was exceeded".into());
        let mut failed = status(State::Failed, 20 << 20);
        failed.reason = Some("Query exhausted resources".into());
        failed.error = Some("error type 1101: Bytes Scanned Limit was exceeded".into());
        let fake =
            Fake::default()
                .with("a", vec![cancelled], vec![])
                .with("b", vec![failed], vec![]);
        let (outcomes, _) = run(&fake, &["a", "b"], &settings(LONG, 8));
        assert!(matches!(
            &outcomes[0].result,
            Err(QueryError::BytesScannedLimit {
                scanned: 10_485_760,
                ..
            })
        ));
        assert!(matches!(
            &outcomes[1].result,
            Err(QueryError::BytesScannedLimit { .. })
        ));
        let message = outcomes[0].result.clone().unwrap_err().to_string();
        assert!(
            message.contains("bytes-scanned limit after 10.00 MB scanned")
                && message.contains("--since/--until"),
            "{message}"
        );
    }

    #[test]
    fn queries_still_running_at_the_time_limit_are_stopped() {
        let fake = Fake::default()
            .with("slow", vec![status(State::Running, 42)], vec![])
            .with("waiting", vec![status(State::Running, 0)], vec![])
            .with(
                "quick",
                vec![status(State::Succeeded, 1)],
                vec![Page::default()],
            );
        // Two at once: `waiting` is never started.
        let (outcomes, _) = run(
            &fake,
            &["quick", "slow", "waiting"],
            &settings(Duration::ZERO, 2),
        );
        assert!(outcomes[0].result.is_ok(), "a query that ended is kept");
        assert_eq!(
            outcomes[1].result,
            Err(QueryError::Timeout {
                id: Some("id-slow".into()),
                after: Duration::ZERO
            })
        );
        assert_eq!(outcomes[1].scanned, 42);
        assert_eq!(
            outcomes[2].result,
            Err(QueryError::Timeout {
                id: None,
                after: Duration::ZERO
            })
        );
        assert_eq!(*fake.stopped.borrow(), ["id-slow"]);
        assert_eq!(*fake.started.borrow(), ["quick", "slow"]);
    }

    #[test]
    fn a_refused_start_is_an_api_error_of_that_query() {
        let fake = Fake {
            refuse_start: Some("InvalidRequestException: WorkGroup does not exist".into()),
            ..Fake::default()
        };
        let (outcomes, events) = run(&fake, &["q"], &settings(LONG, 1));
        assert_eq!(
            outcomes[0].result,
            Err(QueryError::Api(ApiError(
                "InvalidRequestException: WorkGroup does not exist".into()
            )))
        );
        assert_eq!(
            events,
            [Event::Ended {
                index: 0,
                ok: false,
                scanned: 0
            }]
        );
    }

    #[test]
    fn cost_is_list_price_per_tb_with_athenas_rounding() {
        assert_eq!(billed_bytes(0), 10 << 20);
        assert_eq!(billed_bytes((10 << 20) + 1), 11 << 20);
        assert_eq!(billed_bytes(1 << 40), 1 << 40);
        assert!((cost_usd(1 << 40) - 5.0).abs() < 1e-9);
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(3 << 30), "3.00 GB");
        let line = cost_line(&[1 << 40, 0]);
        assert!(
            line.starts_with("athena: 1.00 TB scanned (1099511627776 bytes) by 2 queries; cost $5.0000 at list price, us-east-1"),
            "{line}"
        );
    }
}
