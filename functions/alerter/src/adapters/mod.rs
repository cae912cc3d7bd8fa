//! The alerter's adapters: its ports implemented on the AWS SDK (and, beside them, the in-memory ones tests
//! use). Each depends on the ports it implements, never on the handler.

pub mod archive;
pub mod dedup;
pub mod s3_source;
pub mod sns;
