//! SNS as a channel: each finding storm control lets through is rendered for people and programs (email, SMS
//! and JSON bodies, [`render`], within SNS's size budget) and handed to the sink port
//! ([`AlertSink`], the SNS adapter [`crate::adapters::sns`] in production: batching,
//! retries) in batches of [`FLUSH_SIZE`], through the dedup table when there is one; the storm digests go at
//! the end of the invocation. It settles each finding's [`Fate`], and its failures fail the item.

pub mod render;

use crate::ports::{
    AlertSink, Dedup, DedupError, DedupFuture, Delivery, Fate, ItemEnd, OutgoingAlert, Outlet,
    OutletFuture, Settled, SinkError, Taken,
};
use crate::report::Report;
use crate::storm::{Admission, StormDigest};
use render::finding::{render_finding_with, RenderOptions};
use render::storm_digest::render_storm_digest;
use tracing::{info, warn};

/// Alerts handed to the sink at a time (one SNS PublishBatch call holds 10; the sink packs as it needs).
pub const FLUSH_SIZE: usize = 10;

/// How long one dedup table call may take before the findings are published without its answer (and
/// `DedupUnavailable` counted): the fast path must not wait for the SDK's own timeouts.
pub const DEDUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What SNS did in one invocation, added to the report when it closes.
#[derive(Debug, Default)]
struct Counts {
    published: u64,
    deduplicated: u64,
    dedup_unavailable: u64,
    dedup_mark_unauthenticated: u64,
    storm_digests: u64,
}

/// The SNS channel's part of one invocation.
pub struct SnsOutlet<'a, K> {
    sink: &'a K,
    /// The table of published finding ids; `None`: every finding is published.
    dedup: Option<&'a dyn Dedup>,
    /// A dedup table call failed or timed out: the table is not asked again in this invocation (each call
    /// would wait).
    dedup_down: bool,
    options: RenderOptions,
    stop_at: Option<tokio::time::Instant>,
    /// The current item's rendered alerts not yet handed to the sink.
    batch: Vec<OutgoingAlert>,
    /// The current item's alerts handed to the sink so far, and its publishing failures.
    handed: usize,
    failures: Vec<SinkError>,
    counts: Counts,
}

impl<'a, K: AlertSink> SnsOutlet<'a, K> {
    /// `stop_at`: when publishing must stop (the invocation's deadline minus its margin).
    pub fn new(
        sink: &'a K,
        dedup: Option<&'a dyn Dedup>,
        options: RenderOptions,
        stop_at: Option<tokio::time::Instant>,
    ) -> Self {
        SnsOutlet {
            sink,
            dedup,
            dedup_down: false,
            options,
            stop_at,
            batch: Vec::with_capacity(FLUSH_SIZE),
            handed: 0,
            failures: Vec::new(),
            counts: Counts::default(),
        }
    }

    /// Publishes the batch: each of its findings' fate, and the batch's error, if any.
    async fn flush(&mut self) -> (Settled, Option<SinkError>) {
        let batch = std::mem::take(&mut self.batch);
        let ids: Vec<String> = batch.iter().map(|a| a.finding_id.clone()).collect();
        let flushed = self.publish_findings(batch).await;
        self.handed += flushed.handed;
        self.counts.published += flushed.published;
        let settled = ids
            .into_iter()
            .map(|id| {
                let fate = flushed.fate(&id);
                (id, fate)
            })
            .collect();
        (settled, flushed.error)
    }

    /// Publishes rendered findings. With a dedup table: the ones it has seen are held back (`Deduplicated`),
    /// the others are handed to the sink one per call, all at once, so that exactly the ones it accepted are
    /// then marked; a table that fails or does not answer within [`DEDUP_TIMEOUT`] is not waited for (the
    /// findings are published, `DedupUnavailable` counted, and it is not asked again in this invocation).
    async fn publish_findings(&mut self, batch: Vec<OutgoingAlert>) -> Flushed {
        let stop_at = self.stop_at;
        let Some(table) = self.dedup else {
            let n = batch.len();
            let result = self.sink.publish_until(&batch, stop_at).await;
            let unpublished = result.as_ref().err().map_or(0, |e| e.unpublished().min(n));
            return Flushed {
                handed: n,
                published: (n - unpublished) as u64,
                error: result.err(),
                accepted: None,
                held_back: std::collections::HashSet::new(),
            };
        };
        let ids: Vec<String> = batch.iter().map(|a| a.finding_id.clone()).collect();
        let seen = if self.dedup_down {
            None
        } else {
            match bounded(table.seen(&ids), stop_at).await {
                Ok(seen) => Some(seen),
                Err(e) => {
                    warn!(error = %e, findings = ids.len(), "dedup table unavailable: publishing without it");
                    self.dedup_down = true;
                    None
                }
            }
        };
        let mut held_back = std::collections::HashSet::new();
        if let Some(seen) = &seen {
            for id in &seen.unauthenticated {
                self.counts.dedup_mark_unauthenticated += 1;
                warn!(finding_id = %id, "dedup mark not written by this function (no valid mac): ignored, the finding is published");
            }
        }
        let fresh: Vec<OutgoingAlert> = match &seen {
            Some(seen) => batch
                .into_iter()
                .filter(|a| {
                    let published = seen.published.contains(&a.finding_id);
                    if published {
                        held_back.insert(a.finding_id.clone());
                        self.counts.deduplicated += 1;
                        info!(finding_id = %a.finding_id, "finding already published (dedup table): not published again");
                    }
                    !published
                })
                .collect(),
            None => {
                self.counts.dedup_unavailable += batch.len() as u64;
                batch
            }
        };
        let results = futures_util::future::join_all(
            fresh
                .iter()
                .map(|a| self.sink.publish_until(std::slice::from_ref(a), stop_at)),
        )
        .await;
        let mut accepted = Vec::with_capacity(fresh.len());
        let mut failures = Vec::new();
        for (alert, result) in fresh.iter().zip(results) {
            match result {
                Ok(()) => accepted.push(alert.finding_id.clone()),
                Err(e) => failures.push(e),
            }
        }
        // Marked only after the sink accepted them: a crash before this line can cause a duplicate, never a
        // loss. Not bounded by the invocation's stop time: its margin is there to finish what was published.
        if !accepted.is_empty() && !self.dedup_down {
            if let Err(e) = bounded(table.mark(&accepted), None).await {
                warn!(error = %e, findings = accepted.len(), "published findings could not be marked: a later copy may be published again");
                self.dedup_down = true;
                self.counts.dedup_unavailable += accepted.len() as u64;
            }
        }
        let handed = fresh.len();
        Flushed {
            handed,
            published: accepted.len() as u64,
            error: combine(failures, handed),
            accepted: Some(accepted.into_iter().collect()),
            held_back,
        }
    }
}

impl<K: AlertSink> Outlet for SnsOutlet<'_, K> {
    fn finding<'s>(&'s mut self, d: Delivery<'s>) -> OutletFuture<'s, Taken> {
        Box::pin(async move {
            if d.admission == Admission::Fold {
                return Taken::default();
            }
            self.batch
                .push(render_finding_with(d.alert, d.rule, self.options));
            if self.batch.len() < FLUSH_SIZE {
                return Taken::default();
            }
            let (settled, error) = self.flush().await;
            let mut stop = false;
            if let Some(e) = error {
                // One failed batch does not stop the file: the alerts after it are still published, then the
                // file fails. Only the deadline stops it.
                let (bucket, key) = (d.alert.bucket.as_str(), d.alert.key.as_str());
                warn!(bucket, key, error = %e, "alerts not published; publishing the rest of the file");
                stop = matches!(e, SinkError::Deadline { .. });
                self.failures.push(e);
            }
            Taken { settled, stop }
        })
    }

    fn end_item(&mut self, deadline: bool) -> OutletFuture<'_, ItemEnd> {
        Box::pin(async move {
            let mut settled = Vec::new();
            if !deadline && !self.batch.is_empty() {
                let (flushed, error) = self.flush().await;
                settled = flushed;
                if let Some(e) = error {
                    self.failures.push(e);
                }
            }
            // On the deadline, what was rendered and not handed to the sink is not published (its fate stays
            // unknown: not published).
            self.batch.clear();
            let failures = std::mem::take(&mut self.failures);
            let handed = std::mem::take(&mut self.handed);
            ItemEnd {
                settled,
                error: combine(failures, handed),
            }
        })
    }

    fn storm_digests<'s>(
        &'s mut self,
        digests: &'s [StormDigest],
    ) -> OutletFuture<'s, Result<(), SinkError>> {
        Box::pin(async move {
            if digests.is_empty() {
                return Ok(());
            }
            // Digests are not deduplicated: their id names this invocation.
            let messages: Vec<OutgoingAlert> = digests.iter().map(render_storm_digest).collect();
            for s in digests {
                warn!(rule_id = %s.rule_id, folded = s.count, sent_individually = s.sent_individually, "storm: findings folded into a summary");
            }
            self.sink.publish_until(&messages, self.stop_at).await?;
            self.counts.storm_digests = messages.len() as u64;
            self.counts.published += messages.len() as u64;
            Ok(())
        })
    }

    fn close<'s>(self: Box<Self>, report: &'s mut Report) -> OutletFuture<'s, ()>
    where
        Self: 's,
    {
        let c = self.counts;
        report.published += c.published;
        report.deduplicated += c.deduplicated;
        report.dedup_unavailable += c.dedup_unavailable;
        report.dedup_mark_unauthenticated += c.dedup_mark_unauthenticated;
        report.storm_summaries = c.storm_digests;
        Box::pin(async {})
    }
}

/// The publishing failures of one log file as one error: the deadline if it was reached, else the alerts
/// rejected as invalid (named), else the ones left unpublished.
fn combine(failures: Vec<SinkError>, total: usize) -> Option<SinkError> {
    let unpublished = failures.iter().map(SinkError::unpublished).sum();
    let last_error = failures.iter().rev().find_map(|e| match e {
        SinkError::Unpublished { last_error, .. } | SinkError::Rejected { last_error, .. } => {
            Some(last_error.clone())
        }
        SinkError::Deadline { .. } => None,
    });
    let rejected: Vec<String> = failures
        .iter()
        .flat_map(|e| match e {
            SinkError::Rejected { finding_ids, .. } => finding_ids.clone(),
            _ => Vec::new(),
        })
        .collect();
    if failures.is_empty() {
        None
    } else if failures
        .iter()
        .any(|e| matches!(e, SinkError::Deadline { .. }))
    {
        Some(SinkError::Deadline { unpublished, total })
    } else if !rejected.is_empty() {
        Some(SinkError::Rejected {
            finding_ids: rejected,
            unpublished,
            total,
            last_error: last_error.unwrap_or_default(),
        })
    } else {
        Some(SinkError::Unpublished {
            unpublished,
            total,
            last_error: last_error.unwrap_or_default(),
        })
    }
}

/// What one flush of rendered findings did.
struct Flushed {
    /// Alerts handed to the sink (the ones the dedup table held back are not).
    handed: usize,
    /// Alerts the sink accepted.
    published: u64,
    error: Option<SinkError>,
    /// Ids the sink accepted, and ids the dedup table held back (`None`: no table; then, without an error,
    /// every alert was accepted).
    accepted: Option<std::collections::HashSet<String>>,
    held_back: std::collections::HashSet<String>,
}

impl Flushed {
    /// What became of the flushed alert `id`.
    fn fate(&self, id: &str) -> Fate {
        if self.held_back.contains(id) {
            Fate::Deduplicated
        } else if match &self.accepted {
            Some(ids) => ids.contains(id),
            None => self.error.is_none(),
        } {
            Fate::Published
        } else {
            Fate::PublishFailed
        }
    }
}

/// A dedup table call, cut off after [`DEDUP_TIMEOUT`] or at `stop_at`, whichever comes first.
async fn bounded<T>(
    call: DedupFuture<'_, T>,
    stop_at: Option<tokio::time::Instant>,
) -> Result<T, DedupError> {
    let limit = tokio::time::Instant::now() + DEDUP_TIMEOUT;
    let limit = stop_at.map_or(limit, |t| t.min(limit));
    tokio::time::timeout_at(limit, call)
        .await
        .unwrap_or_else(|_| {
            Err(DedupError::Unavailable(format!(
                "no answer within {} ms",
                DEDUP_TIMEOUT.as_millis()
            )))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publishing_failures_combine_into_one_error_deadline_first() {
        let unpublished = |n| SinkError::Unpublished {
            unpublished: n,
            total: 10,
            last_error: "InternalError: x".into(),
        };
        let rejected = |id: &str| SinkError::Rejected {
            finding_ids: vec![id.to_owned()],
            unpublished: 1,
            total: 10,
            last_error: "InvalidParameter: y".into(),
        };
        assert!(combine(vec![], 30).is_none());
        let e = combine(vec![unpublished(2), rejected("a"), rejected("b")], 30).unwrap();
        assert!(
            matches!(&e, SinkError::Rejected { finding_ids, unpublished: 4, total: 30, last_error } if finding_ids == &["a", "b"] && last_error.starts_with("InvalidParameter")),
            "{e:?}"
        );
        let e = combine(
            vec![
                rejected("a"),
                SinkError::Deadline {
                    unpublished: 10,
                    total: 10,
                },
            ],
            30,
        )
        .unwrap();
        assert!(
            matches!(
                e,
                SinkError::Deadline {
                    unpublished: 11,
                    total: 30
                }
            ),
            "{e:?}"
        );
    }
}
