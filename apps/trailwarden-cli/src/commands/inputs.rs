//! The inputs of the commands that read logs (`scan`, `hunt`, `rules test`, `rules explain`), from their
//! PATH arguments and options.

use crate::cli::InputArgs;
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
