//! The exit statuses of `trailwarden` besides 0.

/// Exit status for failures: a file that could not be read, a missing path, an S3 prefix that cannot be
/// listed, an invalid config file or pattern, an invalid command line (the status clap itself uses for usage
/// errors).
pub const ERROR: u8 = 2;

/// Exit status of `scan --fail-on-findings` when there are findings.
pub const FINDINGS: u8 = 1;
