//! The adapters of the [`Dedup`] port: [`MacDedup`] (the production one: the DynamoDB table
//! [`DynamoDbMarks`], believed only where the KMS HMAC key [`KmsMac`] authenticates a mark), and an in-memory
//! table for tests and local runs ([`MemDedup`]; [`MemMarks`] holds raw items, as anyone who can write the
//! table could).
//!
//! The table (Terraform: on-demand, encrypted with the stack's alert key, time to live on) has the hash key
//! `finding_id` (S), the TTL attribute `expires_at` (N, epoch seconds) and `mac` (B). An item means "this finding
//! was accepted by SNS"; it expires after `DEDUP_TTL_HOURS` (default 72), long after the log file carrying the
//! same record arrives (CloudTrail delivers within about 15 minutes) and after Lambda's retries end.
//!
//! # Nobody else's marks hold an alert back
//! A finding id is public knowledge (SHA-256 of the record's `eventID` and the rule id), so whoever can write
//! the table could pre-write the ids of the alerts they are about to cause. Each mark therefore carries `mac`:
//! KMS GenerateMac (HMAC_SHA_256) with `DEDUP_MAC_KEY_ID`, a key only the function's role may use, over
//! [`mark_message`] (`trailwarden-dedup-v1`, the finding id and `expires_at`, one per line). A found mark holds
//! its alert back only when KMS VerifyMac says its `mac` is valid; without one, or with one KMS refuses, it is
//! ignored (the alert is published), logged with the finding id and counted (`DedupMarkUnauthenticated`). When
//! KMS itself fails the lookup fails: the findings are published and `DedupUnavailable` counted, as when the
//! table fails. Only marks found for findings about to be published are verified; only published findings
//! are signed.

use crate::config::{Config, ConfigError};
use crate::ports::{
    Dedup, DedupError, DedupFuture, MacError, MacFuture, MarkMac, MarkStore, Seen, StoredMark,
};
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use aws_smithy_types::Blob;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The table's hash key.
pub const KEY: &str = "finding_id";
/// The table's time-to-live attribute (epoch seconds).
pub const EXPIRES_AT: &str = "expires_at";
/// The mark's MAC (binary): KMS GenerateMac over [`mark_message`].
pub const MAC: &str = "mac";
/// The first line of every MAC'd message: the format's version.
pub const MARK_MESSAGE_VERSION: &str = "trailwarden-dedup-v1";
/// Keys per BatchGetItem call (DynamoDB's limit).
const MAX_GET: usize = 100;
/// Items per BatchWriteItem call (DynamoDB's limit).
const MAX_WRITE: usize = 25;
/// Rounds for the keys or items DynamoDB returns as unprocessed (throttling) before giving up.
const UNPROCESSED_ROUNDS: u32 = 3;

/// The message a mark's MAC covers: `trailwarden-dedup-v1\n{finding_id}\n{expires_at}`. A finding id is 64
/// lowercase hex digits and `expires_at` a decimal integer, so no two marks share a message.
pub fn mark_message(finding_id: &str, expires_at: i64) -> Vec<u8> {
    format!("{MARK_MESSAGE_VERSION}\n{finding_id}\n{expires_at}").into_bytes()
}

/// The dedup table in DynamoDB, as raw items: BatchGetItem (consistent reads: a retry seconds later must see
/// the marks of the attempt before it) and BatchWriteItem. The function's IAM allows GetItem, BatchGetItem,
/// PutItem and BatchWriteItem on the table only. Trusts nothing it reads: [`MacDedup`] does the believing.
pub struct DynamoDbMarks {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoDbMarks {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        DynamoDbMarks {
            client,
            table: table.into(),
        }
    }

    async fn get_items(&self, ids: &[String]) -> Result<HashMap<String, StoredMark>, DedupError> {
        let unique: BTreeSet<&String> = ids.iter().collect();
        let unique: Vec<&String> = unique.into_iter().collect();
        let mut found = HashMap::new();
        for chunk in unique.chunks(MAX_GET) {
            let keys: Vec<HashMap<String, AttributeValue>> = chunk
                .iter()
                .map(|id| HashMap::from([(KEY.to_owned(), AttributeValue::S((*id).clone()))]))
                .collect();
            let mut request = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .projection_expression("#k, #e, #m")
                    .expression_attribute_names("#k", KEY)
                    .expression_attribute_names("#e", EXPIRES_AT)
                    .expression_attribute_names("#m", MAC)
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
                    if let Some(mark) = stored_mark(&item) {
                        found.insert(mark.finding_id.clone(), mark);
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

    async fn put_items(&self, marks: &[StoredMark]) -> Result<(), DedupError> {
        let mut unique: BTreeSet<&str> = BTreeSet::new();
        let marks: Vec<&StoredMark> = marks
            .iter()
            .filter(|m| unique.insert(&m.finding_id))
            .collect();
        for chunk in marks.chunks(MAX_WRITE) {
            let mut writes = Vec::with_capacity(chunk.len());
            for m in chunk {
                let mut put = PutRequest::builder()
                    .item(KEY, AttributeValue::S(m.finding_id.clone()))
                    .item(EXPIRES_AT, AttributeValue::N(m.expires_at.to_string()));
                if let Some(mac) = &m.mac {
                    put = put.item(MAC, AttributeValue::B(Blob::new(mac.clone())));
                }
                let put = put
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

/// One DynamoDB item as a [`StoredMark`]: `None` without a string `finding_id`. An `expires_at` that is missing
/// or not a number reads as 0 and a `mac` that is not binary as none: such an item authenticates nothing.
fn stored_mark(item: &HashMap<String, AttributeValue>) -> Option<StoredMark> {
    let Some(AttributeValue::S(id)) = item.get(KEY) else {
        return None;
    };
    let expires_at = match item.get(EXPIRES_AT) {
        Some(AttributeValue::N(n)) => n.parse().unwrap_or(0),
        _ => 0,
    };
    let mac = match item.get(MAC) {
        Some(AttributeValue::B(b)) => Some(b.as_ref().to_vec()),
        _ => None,
    };
    Some(StoredMark {
        finding_id: id.clone(),
        expires_at,
        mac,
    })
}

impl MarkStore for DynamoDbMarks {
    fn get<'a>(
        &'a self,
        finding_ids: &'a [String],
    ) -> DedupFuture<'a, HashMap<String, StoredMark>> {
        Box::pin(self.get_items(finding_ids))
    }

    fn put<'a>(&'a self, marks: &'a [StoredMark]) -> DedupFuture<'a, ()> {
        Box::pin(self.put_items(marks))
    }
}

/// A [`Dedup`] over a [`MarkStore`] that believes only the marks its [`MarkMac`] key authenticates (module
/// docs): every mark it writes carries the MAC of [`mark_message`]; a found mark holds its finding back only
/// when the key verifies it.
pub struct MacDedup {
    store: Arc<dyn MarkStore>,
    mac: Arc<dyn MarkMac>,
    ttl: Duration,
}

impl MacDedup {
    pub fn new(store: Arc<dyn MarkStore>, mac: Arc<dyn MarkMac>, ttl: Duration) -> Self {
        MacDedup { store, mac, ttl }
    }

    async fn seen_ids(&self, ids: &[String]) -> Result<Seen, DedupError> {
        let found = self.store.get(ids).await?;
        let mut seen = Seen::default();
        let mut to_verify = Vec::new();
        for mark in found.into_values() {
            // Only the marks asked for (a store answering with other ids proves nothing about these).
            if !ids.contains(&mark.finding_id) {
                continue;
            }
            match mark.mac {
                Some(mac) => to_verify.push((
                    mark.finding_id.clone(),
                    mark_message(&mark.finding_id, mark.expires_at),
                    mac,
                )),
                None => seen.unauthenticated.push(mark.finding_id),
            }
        }
        let verdicts = futures_util::future::join_all(
            to_verify
                .iter()
                .map(|(_, message, mac)| self.mac.verify(message, mac)),
        )
        .await;
        for ((id, _, _), verdict) in to_verify.into_iter().zip(verdicts) {
            match verdict {
                Ok(true) => {
                    seen.published.insert(id);
                }
                Ok(false) => seen.unauthenticated.push(id),
                Err(e) => {
                    return Err(DedupError::Unavailable(format!(
                        "dedup mark of {id} not verified: {e}"
                    )))
                }
            }
        }
        seen.unauthenticated.sort();
        Ok(seen)
    }

    async fn mark_ids(&self, ids: &[String]) -> Result<(), DedupError> {
        let expires_at = chrono::Utc::now().timestamp()
            + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let unique: BTreeSet<&String> = ids.iter().collect();
        let messages: Vec<(String, Vec<u8>)> = unique
            .into_iter()
            .map(|id| (id.clone(), mark_message(id, expires_at)))
            .collect();
        let macs = futures_util::future::join_all(
            messages
                .iter()
                .map(|(_, message)| self.mac.generate(message)),
        )
        .await;
        let mut marks = Vec::with_capacity(messages.len());
        for ((finding_id, _), mac) in messages.into_iter().zip(macs) {
            let mac = mac.map_err(|e| {
                DedupError::Unavailable(format!("dedup mark of {finding_id} not signed: {e}"))
            })?;
            marks.push(StoredMark {
                finding_id,
                expires_at,
                mac: Some(mac),
            });
        }
        self.store.put(&marks).await
    }
}

impl Dedup for MacDedup {
    fn seen<'a>(&'a self, finding_ids: &'a [String]) -> DedupFuture<'a, Seen> {
        Box::pin(self.seen_ids(finding_ids))
    }

    fn mark<'a>(&'a self, finding_ids: &'a [String]) -> DedupFuture<'a, ()> {
        Box::pin(self.mark_ids(finding_ids))
    }
}

/// The KMS HMAC key (`DEDUP_MAC_KEY_ID`: KeySpec HMAC_256, KeyUsage GENERATE_VERIFY_MAC) as a [`MarkMac`]:
/// GenerateMac and VerifyMac with HMAC_SHA_256. VerifyMac answers a MAC that does not verify with
/// `KMSInvalidMacException`: that is `Ok(false)`, every other error [`MacError::Unavailable`].
pub struct KmsMac {
    client: aws_sdk_kms::Client,
    key_id: String,
}

impl KmsMac {
    pub fn new(client: aws_sdk_kms::Client, key_id: impl Into<String>) -> Self {
        KmsMac {
            client,
            key_id: key_id.into(),
        }
    }
}

impl MarkMac for KmsMac {
    fn generate<'a>(&'a self, message: &'a [u8]) -> MacFuture<'a, Vec<u8>> {
        Box::pin(async move {
            let out = self
                .client
                .generate_mac()
                .key_id(&self.key_id)
                .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
                .message(Blob::new(message))
                .send()
                .await
                .map_err(|e| {
                    MacError::Unavailable(format!(
                        "GenerateMac: {}",
                        aws_sdk_kms::error::DisplayErrorContext(&e)
                    ))
                })?;
            out.mac
                .map(Blob::into_inner)
                .filter(|m| !m.is_empty())
                .ok_or_else(|| MacError::Unavailable("GenerateMac returned no MAC".to_owned()))
        })
    }

    fn verify<'a>(&'a self, message: &'a [u8], mac: &'a [u8]) -> MacFuture<'a, bool> {
        Box::pin(async move {
            let result = self
                .client
                .verify_mac()
                .key_id(&self.key_id)
                .mac_algorithm(aws_sdk_kms::types::MacAlgorithmSpec::HmacSha256)
                .message(Blob::new(message))
                .mac(Blob::new(mac))
                .send()
                .await;
            match result {
                Ok(out) => Ok(out.mac_valid),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_kms_invalid_mac_exception()) =>
                {
                    Ok(false)
                }
                Err(e) => Err(MacError::Unavailable(format!(
                    "VerifyMac: {}",
                    aws_sdk_kms::error::DisplayErrorContext(&e)
                ))),
            }
        })
    }
}

/// The KMS client for `sdk`, with the operation timeouts of every other client.
pub fn kms_client(sdk: &aws_config::SdkConfig) -> aws_sdk_kms::Client {
    aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::config::Builder::from(sdk)
            .timeout_config(trailwarden_aws::timeouts(sdk))
            .build(),
    )
}

/// The production dedup table from the configuration (`DEDUP_TABLE`, `DEDUP_MAC_KEY_ID`, `DEDUP_TTL_HOURS`):
/// `None` when no table is set (every finding is published; an event retried after it was half published
/// publishes its alerts again). A table without its MAC key is a configuration error, never a table whose
/// marks are believed unauthenticated.
pub fn from_config(
    config: &Config,
    sdk: &aws_config::SdkConfig,
) -> Result<Option<Arc<dyn Dedup>>, ConfigError> {
    let Some(table) = config.dedup_table.as_deref() else {
        tracing::info!("DEDUP_TABLE is not set: findings are not deduplicated");
        return Ok(None);
    };
    let key = config
        .dedup_mac_key_id
        .as_deref()
        .ok_or(ConfigError::DedupWithoutMacKey)?;
    tracing::info!(
        dedup_table = table,
        dedup_mac_key_id = key,
        dedup_ttl_hours = config.dedup_ttl.as_secs() / 3600,
        "dedup table configured"
    );
    Ok(Some(Arc::new(MacDedup::new(
        Arc::new(DynamoDbMarks::new(
            trailwarden_aws::dynamodb_client(sdk),
            table,
        )),
        Arc::new(KmsMac::new(kms_client(sdk), key)),
        config.dedup_ttl,
    ))))
}

/// Raw items in memory, as a [`MarkStore`] (tests, local runs): what anyone who can write the table can put
/// there ([`MemMarks::insert`]), and what was written.
#[derive(Debug, Default)]
pub struct MemMarks {
    items: Mutex<HashMap<String, StoredMark>>,
}

impl MemMarks {
    pub fn new() -> Self {
        MemMarks::default()
    }

    /// Writes an item directly (another principal writing the table).
    pub fn insert(&self, mark: StoredMark) {
        if let Ok(mut items) = self.items.lock() {
            items.insert(mark.finding_id.clone(), mark);
        }
    }

    /// The item stored for `finding_id`.
    pub fn get_mark(&self, finding_id: &str) -> Option<StoredMark> {
        self.items
            .lock()
            .ok()
            .and_then(|items| items.get(finding_id).cloned())
    }
}

impl MarkStore for MemMarks {
    fn get<'a>(
        &'a self,
        finding_ids: &'a [String],
    ) -> DedupFuture<'a, HashMap<String, StoredMark>> {
        Box::pin(async move {
            let items = self
                .items
                .lock()
                .map_err(|_| DedupError::Unavailable("poisoned".to_owned()))?;
            Ok(finding_ids
                .iter()
                .filter_map(|id| items.get(id).map(|m| (id.clone(), m.clone())))
                .collect())
        })
    }

    fn put<'a>(&'a self, marks: &'a [StoredMark]) -> DedupFuture<'a, ()> {
        Box::pin(async move {
            let mut items = self
                .items
                .lock()
                .map_err(|_| DedupError::Unavailable("poisoned".to_owned()))?;
            for m in marks {
                items.insert(m.finding_id.clone(), m.clone());
            }
            Ok(())
        })
    }
}

/// A stand-in for the KMS key (tests, local runs): the "MAC" is SHA-256 over a secret and the message, which
/// only this value can produce; a switch makes every call fail as an unavailable KMS would; the calls are
/// counted. Not an HMAC: never for production.
#[derive(Debug, Default)]
pub struct MemMac {
    secret: Vec<u8>,
    unavailable: AtomicBool,
    generate_calls: AtomicUsize,
    verify_calls: AtomicUsize,
}

impl MemMac {
    /// A key with this secret (two keys with different secrets do not verify each other's MACs).
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        MemMac {
            secret: secret.into(),
            ..MemMac::default()
        }
    }

    /// Makes every later call fail (`true`) or answer again (`false`).
    pub fn set_unavailable(&self, unavailable: bool) {
        self.unavailable.store(unavailable, Ordering::SeqCst);
    }

    /// Calls to [`MarkMac::generate`] and [`MarkMac::verify`] so far.
    pub fn calls(&self) -> (usize, usize) {
        (
            self.generate_calls.load(Ordering::SeqCst),
            self.verify_calls.load(Ordering::SeqCst),
        )
    }

    fn compute(&self, message: &[u8]) -> Result<Vec<u8>, MacError> {
        use sha2::{Digest, Sha256};
        if self.unavailable.load(Ordering::SeqCst) {
            return Err(MacError::Unavailable(
                "KMSInternalException (MemMac switched off)".to_owned(),
            ));
        }
        let mut h = Sha256::new();
        h.update((self.secret.len() as u64).to_be_bytes());
        h.update(&self.secret);
        h.update(message);
        Ok(h.finalize().to_vec())
    }
}

impl MarkMac for MemMac {
    fn generate<'a>(&'a self, message: &'a [u8]) -> MacFuture<'a, Vec<u8>> {
        Box::pin(async move {
            self.generate_calls.fetch_add(1, Ordering::SeqCst);
            self.compute(message)
        })
    }

    fn verify<'a>(&'a self, message: &'a [u8], mac: &'a [u8]) -> MacFuture<'a, bool> {
        Box::pin(async move {
            self.verify_calls.fetch_add(1, Ordering::SeqCst);
            Ok(self.compute(message)? == mac)
        })
    }
}

/// An in-memory dedup table (tests, local runs) that trusts its own marks (a test double of the [`Dedup`]
/// port, not of the table: see [`MemMarks`] and [`MacDedup`] for that): the marked ids, the calls made, and a
/// switch that makes every call fail as an unavailable table would.
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
    fn seen<'a>(&'a self, finding_ids: &'a [String]) -> DedupFuture<'a, Seen> {
        Box::pin(async move {
            self.seen_calls.fetch_add(1, Ordering::SeqCst);
            self.check()?;
            let marked = self
                .marked
                .lock()
                .map_err(|_| DedupError::Unavailable("poisoned".to_owned()))?;
            Ok(Seen {
                published: finding_ids
                    .iter()
                    .filter(|id| marked.contains(*id))
                    .cloned()
                    .collect::<HashSet<String>>(),
                unauthenticated: Vec::new(),
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn setup() -> (Arc<MemMarks>, Arc<MemMac>, MacDedup) {
        let marks = Arc::new(MemMarks::new());
        let mac = Arc::new(MemMac::new(*b"the function's key"));
        let dedup = MacDedup::new(marks.clone(), mac.clone(), Duration::from_secs(3600));
        (marks, mac, dedup)
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_message_is_versioned_and_names_the_finding_and_its_expiry() {
        assert_eq!(
            mark_message(A, 1_700_000_000),
            format!("trailwarden-dedup-v1\n{A}\n1700000000").into_bytes()
        );
        assert_ne!(mark_message(A, 1), mark_message(A, 2));
        assert_ne!(mark_message(A, 1), mark_message(B, 1));
    }

    #[tokio::test]
    async fn a_mark_the_function_wrote_holds_its_finding_back() {
        let (marks, mac, dedup) = setup();
        dedup.mark(&ids(&[A])).await.unwrap();
        let stored = marks.get_mark(A).unwrap();
        let now = chrono::Utc::now().timestamp();
        assert!((now + 3590..=now + 3610).contains(&stored.expires_at));
        assert_eq!(stored.mac.as_ref().map(Vec::len), Some(32));
        let seen = dedup.seen(&ids(&[A, B])).await.unwrap();
        assert_eq!(seen.published, HashSet::from([A.to_owned()]));
        assert!(seen.unauthenticated.is_empty());
        // One MAC generated; only the one found mark verified (B has none: nothing to verify).
        assert_eq!(mac.calls(), (1, 1));
    }

    #[tokio::test]
    async fn marks_someone_else_wrote_are_ignored_and_named() {
        let (marks, mac, dedup) = setup();
        dedup.mark(&ids(&[A])).await.unwrap();
        let genuine = marks.get_mark(A).unwrap();
        let far = chrono::Utc::now().timestamp() + 3600;
        let c = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
        let d = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
        let e = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
        let other_key = MemMac::new(*b"someone else's key");
        // No mac at all (a plain PutItem).
        marks.insert(StoredMark {
            finding_id: B.into(),
            expires_at: far,
            mac: None,
        });
        // A made-up mac.
        marks.insert(StoredMark {
            finding_id: c.into(),
            expires_at: far,
            mac: Some(vec![0x42; 32]),
        });
        // A genuine mac, copied from the mark of another finding.
        marks.insert(StoredMark {
            finding_id: d.into(),
            expires_at: genuine.expires_at,
            mac: genuine.mac.clone(),
        });
        // A mac made with another key.
        marks.insert(StoredMark {
            finding_id: e.into(),
            expires_at: far,
            mac: Some(other_key.generate(&mark_message(e, far)).await.unwrap()),
        });
        // The genuine mark with its expiry pushed back (the mac no longer matches).
        marks.insert(StoredMark {
            expires_at: genuine.expires_at + 86_400,
            ..genuine.clone()
        });
        let seen = dedup.seen(&ids(&[A, B, c, d, e])).await.unwrap();
        assert!(seen.published.is_empty(), "{seen:?}");
        assert_eq!(seen.unauthenticated, ids(&[A, B, c, d, e]));
        // Four marks carried a mac to verify; the one without none.
        assert_eq!(mac.calls(), (1, 4));
    }

    #[tokio::test]
    async fn kms_failing_fails_the_lookup_and_the_marking() {
        let (marks, mac, dedup) = setup();
        dedup.mark(&ids(&[A])).await.unwrap();
        mac.set_unavailable(true);
        let err = dedup.seen(&ids(&[A])).await.unwrap_err();
        assert!(err.to_string().contains("not verified"), "{err}");
        let err = dedup.mark(&ids(&[B])).await.unwrap_err();
        assert!(err.to_string().contains("not signed"), "{err}");
        assert!(marks.get_mark(B).is_none(), "nothing written unsigned");
        // Without any mark found, KMS is not needed.
        assert!(dedup.seen(&ids(&[B])).await.unwrap() == Seen::default());
    }

    #[test]
    fn items_read_from_dynamodb() {
        let item = |mac: Option<AttributeValue>, exp: Option<AttributeValue>| {
            let mut m = HashMap::from([(KEY.to_owned(), AttributeValue::S(A.to_owned()))]);
            if let Some(v) = mac {
                m.insert(MAC.to_owned(), v);
            }
            if let Some(v) = exp {
                m.insert(EXPIRES_AT.to_owned(), v);
            }
            m
        };
        let full = stored_mark(&item(
            Some(AttributeValue::B(Blob::new(vec![1, 2]))),
            Some(AttributeValue::N("17".into())),
        ))
        .unwrap();
        assert_eq!((full.expires_at, full.mac), (17, Some(vec![1, 2])));
        // A mac written as a string is no mac; a broken expiry reads as 0 (and then verifies nothing).
        let odd = stored_mark(&item(
            Some(AttributeValue::S("AQI=".into())),
            Some(AttributeValue::S("x".into())),
        ))
        .unwrap();
        assert_eq!((odd.expires_at, odd.mac), (0, None));
        assert!(stored_mark(&HashMap::new()).is_none());
    }
}
