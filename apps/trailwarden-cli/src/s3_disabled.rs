//! S3 access in a build without the `s3` feature (`make bench` builds the CLI this way, so that measuring
//! the scan pipeline does not first compile the AWS SDK in release mode). `s3://` paths are refused with a
//! clear error; local files are read exactly as in the default build. [`S3`] has no values, so its methods can
//! never run.

use crate::location::{Found, OpenError};
use crate::window::Window;
use cloudtrail::LogReader;

/// No S3 access: this type cannot be constructed.
pub enum S3 {}

impl S3 {
    pub fn connect(_profile: Option<&str>) -> anyhow::Result<S3> {
        anyhow::bail!(
            "this trailwarden was built without S3 support (cargo feature `s3`); build it with default \
             features to read s3:// paths"
        )
    }

    pub fn list(&self, _bucket: &str, _prefix: &str, _window: Window) -> std::iter::Empty<Found> {
        match *self {}
    }

    pub fn open(
        &self,
        _bucket: &str,
        _key: &str,
        _options: cloudtrail::ReaderOptions,
    ) -> Result<LogReader<'static>, OpenError> {
        match *self {}
    }
}
