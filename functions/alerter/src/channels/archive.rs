//! The findings archive as a channel: every finding of an invocation as one JSON line
//! ([`crate::adapters::archive::ArchiveLine`], with its fate in SNS as `status`), all of them written as ONE
//! object at the end of the invocation through the [`ArchiveSink`] port (S3 in production). A failure or a
//! write slower than [`ARCHIVE_TIMEOUT`] is logged and counted in `archive_failed` (findings), never an error
//! of the invocation: the alerts are out, and a retry would publish them again for the sake of a copy.

use crate::adapters::archive::{self, ArchiveLine};
use crate::config::Config;
use crate::ports::{ArchiveSink, Channel, Delivery, Fate, ItemEnd, Outlet, OutletFuture, Taken};
use crate::report::Report;
use crate::storm::Admission;
use std::sync::Arc;
use tracing::{info, warn};

/// How long the archive's one write per invocation may take; a write that takes longer is given up and counted
/// (`ArchiveFailed`), the invocation does not fail for it.
pub const ARCHIVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The archive channel: where its object goes.
pub struct ArchiveChannel {
    sink: Arc<dyn ArchiveSink>,
}

impl ArchiveChannel {
    pub fn new(sink: Arc<dyn ArchiveSink>) -> Self {
        ArchiveChannel { sink }
    }

}

/// The channel `ARCHIVE_BUCKET` configures; `None` without it.
pub fn from_config(config: &Config, s3: &aws_sdk_s3::Client) -> Option<Arc<dyn Channel>> {
    let sink = archive::from_config(config, s3)?;
    Some(Arc::new(ArchiveChannel::new(sink)))
}

impl Channel for ArchiveChannel {
    fn open(&self, request_id: &str) -> Box<dyn Outlet + '_> {
        Box::new(ArchiveOutlet {
            sink: self.sink.as_ref(),
            request_id: request_id.to_owned(),
            lines: Vec::new(),
            pending: Vec::new(),
        })
    }
}

/// One invocation's lines.
struct ArchiveOutlet<'a> {
    sink: &'a dyn ArchiveSink,
    request_id: String,
    /// Lines whose fate is known, in the order it became known.
    lines: Vec<ArchiveLine>,
    /// Lines of findings handed to SNS whose fate is not known yet.
    pending: Vec<ArchiveLine>,
}

impl Outlet for ArchiveOutlet<'_> {
    fn finding<'s>(&'s mut self, d: Delivery<'s>) -> OutletFuture<'s, Taken> {
        match d.admission {
            // Folded findings are settled at once: storm control decided.
            Admission::Fold => self.lines.push(ArchiveLine::new(
                d.alert,
                d.finding_id.to_owned(),
                Fate::Folded,
            )),
            Admission::Send => self.pending.push(ArchiveLine::new(
                d.alert,
                d.finding_id.to_owned(),
                Fate::PublishFailed,
            )),
        }
        Box::pin(async { Taken::default() })
    }

    fn settled(&mut self, fates: &[(String, Fate)]) {
        if fates.is_empty() {
            return;
        }
        let (done, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|line| fates.iter().any(|(id, _)| id == &line.finding_id));
        self.pending = waiting;
        for mut line in done {
            if let Some((_, fate)) = fates.iter().find(|(id, _)| id == &line.finding_id) {
                line.status = *fate;
            }
            self.lines.push(line);
        }
    }

    fn end_item(&mut self, _deadline: bool) -> OutletFuture<'_, ItemEnd> {
        // Rendered but never handed to SNS (the deadline): archived as not published.
        self.lines.append(&mut self.pending);
        Box::pin(async { ItemEnd::default() })
    }

    fn close<'s>(mut self: Box<Self>, report: &'s mut Report) -> OutletFuture<'s, ()>
    where
        Self: 's,
    {
        Box::pin(async move {
            if self.lines.is_empty() {
                return;
            }
            let day = chrono::Utc::now().format("%Y-%m-%d").to_string();
            let body = archive::object(&mut self.lines, &self.request_id);
            let n = self.lines.len() as u64;
            let write = self.sink.write(&day, &self.request_id, body);
            match tokio::time::timeout(ARCHIVE_TIMEOUT, write).await {
                Ok(Ok(())) => {
                    info!(findings = n, day = %day, "findings archived");
                    report.archived = n;
                }
                Ok(Err(e)) => {
                    warn!(findings = n, error = %e, "findings archive not written: alerting is unaffected");
                    report.archive_failed = n;
                }
                Err(_) => {
                    warn!(
                        findings = n,
                        timeout_ms = ARCHIVE_TIMEOUT.as_millis() as u64,
                        "findings archive not written in time: alerting is unaffected"
                    );
                    report.archive_failed = n;
                }
            }
        })
    }
}
