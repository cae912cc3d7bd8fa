//! trailwarden's Lambda: an S3 `ObjectCreated` event for a CloudTrail log file comes in; the object is streamed
//! from S3, decompressed and read record by record; every record is checked against the compiled rules; every
//! finding is published to SNS.
//!
//! The handler depends on two small ports, [`ObjectSource`] and [`AlertSink`], so tests call it directly with
//! in-memory fakes or with real SDK clients pointed at a local emulator. `main.rs` only wires things together:
//! [`init_logging`], [`cold_start()`], and the runtime loop around [`handle_event`].
//!
//! # Module graph
//!
//! The modules follow the record's path: [`cold_start`](mod@cold_start) builds the [`handler`]'s
//! dependencies once; the handler reads each log file through the [`ports`] (the S3 adapter is [`aws`]),
//! folds storms ([`storm`]), renders alerts ([`render`]), hands them to the sink port (the SNS adapter is
//! [`publish`]), and sums the invocation up ([`summary`], [`metrics`], [`errors`]). The adapters depend on
//! the ports only; the render budget measures alerts with the SNS adapter's encoding, so the SNS size limit
//! has one owner. Who uses whom (`lib.rs` only declares modules and re-exports; `tests/module_graph.rs`
//! checks this list against the sources and fails on any cycle):
//!
//! - `alert`
//! - `archive` → `alert`, `config`, `ports`
//! - `aws` → `ports`
//! - `cold_start` → `archive`, `aws`, `config`, `dedup`, `handler`, `publish`
//! - `config`
//! - `dedup` → `config`, `ports`
//! - `envelope`
//! - `errors` → `ports`
//! - `handler` → `alert`, `archive`, `config`, `envelope`, `errors`, `metrics`, `ports`, `render::finding`, `render::summary`, `storm`, `summary`
//! - `metrics` → `summary`
//! - `ports`
//! - `publish` → `ports`
//! - `render` → `render::finding`, `render::summary`, `render::text`
//! - `render::budget` → `ports`, `publish`, `render::text`
//! - `render::finding` → `alert`, `ports`, `render::budget`, `render::text`
//! - `render::summary` → `ports`, `render::budget`, `render::text`, `storm`
//! - `render::text`
//! - `storm` → `alert`
//! - `summary`

pub mod alert;
pub mod archive;
pub mod aws;
pub mod cold_start;
pub mod config;
pub mod dedup;
pub mod envelope;
pub mod errors;
pub mod handler;
pub mod metrics;
pub mod ports;
pub mod publish;
pub mod render;
pub mod storm;
pub mod summary;

pub use alert::Alert;
pub use archive::{ArchiveLine, ArchiveStatus, MemArchive, S3Archive};
pub use aws::S3Source;
pub use cold_start::{build_deps, cold_start, init_logging, read_rules_file, ColdStart};
pub use config::{Config, ConfigError, RulesLocation};
pub use dedup::{kms_client, DynamoDbMarks, KmsMac, MacDedup, MemDedup, MemMac, MemMarks};
pub use errors::{HandlerError, ObjectError};
pub use handler::{handle_event, Deps};
pub use ports::{
    AlertSink, ArchiveError, ArchiveSink, Dedup, DedupError, MacError, MarkMac, MarkStore,
    ObjectBody, ObjectSource, OutgoingAlert, Seen, SinkError, SourceError, StoredMark,
};
pub use publish::{sns_client, sns_sink, RetryPolicy, RetryingSink, SnsBatchPublisher, SnsSink};
pub use summary::{Response, Summary};
/// The shared S3 client set-up (path-style under an endpoint override), for callers that build [`Deps`]
/// themselves.
pub use trailwarden_aws::s3_client;
