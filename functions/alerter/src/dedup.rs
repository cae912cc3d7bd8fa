//! The adapters of the [`Dedup`] port: the DynamoDB table in production ([`DynamoDbDedup`]) and an in-memory
//! table for tests and local runs ([`MemDedup`]).
//!
//! The table (Terraform: on-demand, encrypted with the stack's alert key, time to live on) has the hash key
//! `finding_id` (S) and the TTL attribute `expires_at` (N, epoch seconds). An item means "this finding was
//! accepted by SNS"; it expires after `DEDUP_TTL_HOURS` (default 72), long after the log file carrying the same
//! record arrives (CloudTrail delivers within about 15 minutes) and after Lambda's retries end.

use crate::config::Config;
use crate::ports::{Dedup, DedupError, DedupFuture};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The table's hash key.
pub const KEY: &str = "finding_id";
/// The table's time-to-live attribute (epoch seconds).
pub const EXPIRES_AT: &str = "expires_at";
/// Keys per BatchGetItem call (DynamoDB's limit).
const MAX_GET: usize = 100;
/// Items per BatchWriteItem call (DynamoDB's limit).
const MAX_WRITE: usize = 25;
/// Rounds for the keys or items DynamoDB returns as unprocessed (throttling) before giving up.
const UNPROCESSED_ROUNDS: u32 = 3;

/// The dedup table in DynamoDB: BatchGetItem (consistent reads: a retry seconds later must see the marks of
/// the attempt before it) and BatchWriteItem. The function's IAM allows GetItem, BatchGetItem, PutItem and
/// BatchWriteItem on the table only.
pub struct DynamoDbDedup {
    client: aws_sdk_dynamodb::Client,
    table: String,
    ttl: Duration,
}

impl DynamoDbDedup {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>, ttl: Duration) -> Self {
        DynamoDbDedup {
            client,
            table: table.into(),
            ttl,
        }
    }

    async fn seen_ids(&self, ids: &[String]) -> Result<HashSet<String>, DedupError> {
        let unique: BTreeSet<&String> = ids.iter().collect();
        let unique: Vec<&String> = unique.into_iter().collect();
        let mut found = HashSet::new();
        for chunk in unique.chunks(MAX_GET) {
            let keys: Vec<HashMap<String, AttributeValue>> = chunk
                .iter()
                .map(|id| HashMap::from([(KEY.to_owned(), AttributeValue::S((*id).clone()))]))
                .collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .projection_expression("#k")
                    .expression_attribute_names("#k", KEY)
                    .consistent_read(true)
                    .build()
                    .map_err(|e| DedupError::Unavailable(e.to_string()))?,
            );
            let mut round = 0;
            while let Some(keys) = request.take() {
                round += 1;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, keys)
                    .send()
                    .await
                    .map_err(|e| DedupError::Unavailable(DisplayErrorContext(&e).to_string()))?;
                for item in out
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    if let Some(AttributeValue::S(id)) = item.get(KEY) {
                        found.insert(id.clone());
                    }
                }
                let unprocessed = out
                    .unprocessed_keys
                    .unwrap_or_default()
                    .remove(&self.table)
                    .filter(|k| !k.keys.is_empty());
                if let Some(left) = unprocessed {
                    if round >= UNPROCESSED_ROUNDS {
                        return Err(DedupError::Unavailable(format!(
                            "{} keys still unprocessed after {round} BatchGetItem calls",
                            left.keys.len()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(50 << round)).await;
                    request = Some(left);
                }
            }
        }
        Ok(found)
    }

    async fn mark_ids(&self, ids: &[String]) -> Result<(), DedupError> {
        let expires_at = chrono::Utc::now().timestamp()
            + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let unique: BTreeSet<&String> = ids.iter().collect();
        let unique: Vec<&String> = unique.into_iter().collect();
        for chunk in unique.chunks(MAX_WRITE) {
            let mut writes = Vec::with_capacity(chunk.len());
            for id in chunk {
                let put = PutRequest::builder()
                    .item(KEY, AttributeValue::S((*id).clone()))
                    .item(EXPIRES_AT, AttributeValue::N(expires_at.to_string()))
                    .build()
                    .map_err(|e| DedupError::Unavailable(e.to_string()))?;
                writes.push(WriteRequest::builder().put_request(put).build());
            }
            let mut round = 0;
            while !writes.is_empty() {
                round += 1;
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, std::mem::take(&mut writes))
                    .send()
                    .await
                    .map_err(|e| DedupError::Unavailable(DisplayErrorContext(&e).to_string()))?;
                writes = out
                    .unprocessed_items
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default();
                if !writes.is_empty() {
                    if round >= UNPROCESSED_ROUNDS {
                        return Err(DedupError::Unavailable(format!(
                            "{} items still unprocessed after {round} BatchWriteItem calls",
                            writes.len()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(50 << round)).await;
                }
            }
        }
        Ok(())
    }
}

impl Dedup for DynamoDbDedup {
    fn seen<'a>(&'a self, finding_ids: &'a [String]) -> DedupFuture<'a, HashSet<String>> {
        Box::pin(self.seen_ids(finding_ids))
    }

    fn mark<'a>(&'a self, finding_ids: &'a [String]) -> DedupFuture<'a, ()> {
        Box::pin(self.mark_ids(finding_ids))
    }
}

/// The production dedup table from the configuration (`DEDUP_TABLE`, `DEDUP_TTL_HOURS`): `None` when no table
/// is set (every finding is published; an event retried after it was half published publishes its alerts
/// again).
pub fn from_config(config: &Config, sdk: &aws_config::SdkConfig) -> Option<Arc<dyn Dedup>> {
    let Some(table) = config.dedup_table.as_deref() else {
        tracing::info!("DEDUP_TABLE is not set: findings are not deduplicated");
        return None;
    };
    tracing::info!(
        dedup_table = table,
        dedup_ttl_hours = config.dedup_ttl.as_secs() / 3600,
        "dedup table configured"
    );
    Some(Arc::new(DynamoDbDedup::new(
        trailwarden_aws::dynamodb_client(sdk),
        table,
        config.dedup_ttl,
    )))
}

/// An in-memory dedup table (tests, local runs): the marked ids, the calls made, and a switch that makes
/// every call fail as an unavailable table would.
#[derive(Debug, Default)]
pub struct MemDedup {
    marked: Mutex<BTreeSet<String>>,
    unavailable: AtomicBool,
    seen_calls: AtomicUsize,
    mark_calls: AtomicUsize,
}

impl MemDedup {
    pub fn new() -> Self {
        MemDedup::default()
    }

    /// Makes every later call fail (`true`) or answer again (`false`).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// The ids marked so far, sorted.
    pub fn marked(&self) -> Vec<String> {
        self.marked
            .lock()
            .map(|m| m.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Calls to [`Dedup::seen`] and [`Dedup::mark`] so far.
    pub fn calls(&self) -> (usize, usize) {
        (
            self.seen_calls.load(Ordering::SeqCst),
            self.mark_calls.load(Ordering::SeqCst),
        )
    }

    fn check(&self) -> Result<(), DedupError> {
        if self.unavailable.load(Ordering::SeqCst) {
            Err(DedupError::Unavailable(
                "ProvisionedThroughputExceededException (MemDedup switched off)".to_owned(),
            ))
        } else {
            Ok(())
        }
    }
}

impl Dedup for MemDedup {
    fn seen<'a>(&'a self, finding_ids: &'a [String]) -> DedupFuture<'a, HashSet<String>> {
        Box::pin(async move {
            self.seen_calls.fetch_add(1, Ordering::SeqCst);
            self.check()?;
            let marked = self
                .marked
                .lock()
                .map_err(|_| DedupError::Unavailable("poisoned".to_owned()))?;
            Ok(finding_ids
                .iter()
                .filter(|id| marked.contains(*id))
                .cloned()
                .collect())
        })
    }

    fn mark<'a>(&'a self, finding_ids: &'a [String]) -> DedupFuture<'a, ()> {
        Box::pin(async move {
            self.mark_calls.fetch_add(1, Ordering::SeqCst);
            self.check()?;
            self.marked
                .lock()
                .map_err(|_| DedupError::Unavailable("poisoned".to_owned()))?
                .extend(finding_ids.iter().cloned());
            Ok(())
        })
    }
}
