//! Where alerts go: the channels. Each receives every finding with its context ([`Delivery`]: the finding,
//! its log file and path, its rule's text, storm control's verdict) and renders it for itself:
//!
//! - [`sns`]: the alerting channel. Email, SMS and JSON bodies within SNS's size budget, batched, checked
//!   against the dedup table, retried; it settles each finding's [`Fate`] and its failures fail the item. It is
//!   opened from the handler's sink port ([`crate::ports::AlertSink`]), so tests put their fakes there.
//! - [`archive`]: the findings archive, one object of JSON lines per invocation.
//!
//! Adding a channel: one file here implementing [`Channel`] (and its [`Outlet`]) with a `from_config`, and
//! one line, its module name, in `register_channels!` below.

pub mod sns;

pub use crate::ports::{Channel, Delivery, Fate, Outlet};

use crate::config::Config;
use std::sync::Arc;

/// Declares the channels besides SNS, one line each (the module's name), and [`from_config`], which asks each
/// module's `from_config(config, s3) -> Option<Arc<dyn Channel>>` in that order.
macro_rules! register_channels {
    ($($name:ident),* $(,)?) => {
        $(pub mod $name;)*

        /// The channels besides SNS that the configuration enables, in the order they receive findings.
        pub fn from_config(config: &Config, s3: &aws_sdk_s3::Client) -> Vec<Arc<dyn Channel>> {
            [$($name::from_config(config, s3)),*].into_iter().flatten().collect()
        }
    };
}

register_channels! {
    archive,
}
