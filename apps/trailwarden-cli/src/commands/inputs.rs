//! The inputs of the commands that read logs (`scan`, `hunt`, `rules test`, `rules explain`), from their
//! PATH arguments and options.

use crate::cli::{AthenaArgs, InputArgs};
use crate::source::Sources;
use crate::window::Window;

/// The [`Sources`] that `args` name: the locations, the `--since`/`--until` window, `--aws-profile` and
/// `--jobs`.
pub fn sources(args: &InputArgs) -> anyhow::Result<Sources> {
    Sources::new(
        args.paths.clone(),
        Window::new(args.since, args.until)?,
        args.aws_profile.as_deref(),
        args.jobs.map(usize::from),
    )
}

/// The local engine's inputs are complete: at least one PATH, and no option of `--engine athena`.
pub fn local(athena: &AthenaArgs, input: &InputArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        !input.paths.is_empty(),
        "a PATH (a log file, directory or s3:// prefix) is required, or --engine athena"
    );
    for (given, option) in [
        (athena.workgroup.is_some(), "--workgroup"),
        (athena.database.is_some(), "--database"),
        (athena.table.is_some(), "--table"),
        (athena.athena_timeout.is_some(), "--athena-timeout"),
    ] {
        anyhow::ensure!(!given, "{option} is an option of --engine athena");
    }
    Ok(())
}
