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
//! dependencies once; the handler's `Invocation` takes each event's items from the [`envelope`], reads each
//! log file through the [`ports`] (the S3 adapter is [`adapters::s3_source`]) or evaluates each delivered
//! record, folds storms ([`storm`]), hands every finding with its context to the [`channels`] (SNS,
//! [`channels::sns`], renders and publishes it through the sink port, whose adapter is [`adapters::sns`]; the
//! findings archive, [`channels::archive`], records it), and reports what the invocation did ([`report`],
//! [`metrics`], [`errors`]). The AWS adapters ([`adapters`]: S3 source, SNS sink, DynamoDB marks and KMS MAC,
//! S3 archive) depend on the ports only; the SNS channel's size budget measures alerts with the SNS adapter's
//! encoding, so the SNS size limit has one owner. Who uses whom (`lib.rs` only declares modules and
//! re-exports; `tests/module_graph.rs` checks this list against the sources and fails on any cycle):
//!
//! - `adapters`
//! - `adapters::archive` → `alert`, `config`, `ports`
//! - `adapters::dedup` → `config`, `ports`
//! - `adapters::s3_source` → `ports`
//! - `adapters::sns` → `ports`
//! - `alert`
//! - `channels` → `config`, `ports`
//! - `channels::archive` → `adapters::archive`, `config`, `ports`, `report`, `storm`
//! - `channels::sns` → `channels::sns::render::finding`, `channels::sns::render::storm_digest`, `ports`, `report`, `storm`
//! - `channels::sns::render` → `channels::sns::render::finding`, `channels::sns::render::storm_digest`, `channels::sns::render::text`, `ports`
//! - `channels::sns::render::budget` → `adapters::sns`, `channels::sns::render::text`, `ports`
//! - `channels::sns::render::finding` → `alert`, `channels::sns::render::budget`, `channels::sns::render::text`, `ports`
//! - `channels::sns::render::storm_digest` → `channels::sns::render::budget`, `channels::sns::render::text`, `ports`, `storm`
//! - `channels::sns::render::text`
//! - `cold_start` → `adapters::dedup`, `adapters::s3_source`, `adapters::sns`, `channels`, `config`, `handler`
//! - `config`
//! - `envelope`
//! - `errors` → `ports`
//! - `handler` → `alert`, `channels::archive`, `channels::sns`, `channels::sns::render::finding`, `config`, `envelope`, `errors`, `metrics`, `ports`, `report`, `storm`
//! - `metrics` → `report`
//! - `ports` → `alert`, `report`, `storm`
//! - `report`
//! - `storm` → `alert`

pub mod adapters;
pub mod alert;
pub mod channels;
pub mod cold_start;
pub mod config;
pub mod envelope;
pub mod errors;
pub mod handler;
pub mod metrics;
pub mod ports;

pub mod report;
pub mod storm;

pub use adapters::archive::{ArchiveLine, ArchiveStatus, MemArchive, S3Archive};
pub use adapters::dedup::{
    kms_client, DynamoDbMarks, KmsMac, MacDedup, MemDedup, MemMac, MemMarks,
};
pub use adapters::s3_source::S3Source;
pub use adapters::sns::{
    sns_client, sns_sink, RetryPolicy, RetryingSink, SnsBatchPublisher, SnsSink,
};
pub use alert::Alert;
pub use cold_start::{build_deps, cold_start, init_logging, read_rules_file, ColdStart};
pub use config::{Config, ConfigError, RulesLocation};
pub use errors::{HandlerError, ObjectError};
pub use handler::{handle_event, Deps};
pub use ports::{
    AlertSink, ArchiveError, ArchiveSink, Dedup, DedupError, MacError, MarkMac, MarkStore,
    ObjectBody, ObjectSource, OutgoingAlert, Seen, SinkError, SourceError, StoredMark,
};
pub use report::{Report, Response};
/// The shared S3 client set-up (path-style under an endpoint override), for callers that build [`Deps`]
/// themselves.
pub use trailwarden_aws::s3_client;
