//! `--engine athena` in a build without the `athena` feature: refused with a clear error (the local engine
//! is unchanged).

use crate::cli::{HuntQuery, ScanArgs};
use std::process::ExitCode;

const WITHOUT: &str =
    "this trailwarden was built without Athena support (cargo feature `athena`); build it \
                       with default features for --engine athena";

pub fn scan(_args: ScanArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!(WITHOUT)
}

pub fn hunt(_args: HuntQuery) -> anyhow::Result<ExitCode> {
    anyhow::bail!(WITHOUT)
}
