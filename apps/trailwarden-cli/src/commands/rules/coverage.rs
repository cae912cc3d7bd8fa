//! `trailwarden rules coverage`: the attack coverage map of the built-in rules (`rules::coverage`), as Markdown
//! (what README embeds) or JSON.

use crate::cli::CoverageArgs;
use crate::output::CoverageFormat;
use anyhow::Context;
use rules::coverage::Coverage;
use std::io::{self, Write};
use std::process::ExitCode;

pub fn run(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let map = Coverage::of(rules::BUILTIN);
    let text = match args.format {
        CoverageFormat::Markdown => map.to_markdown(),
        CoverageFormat::Json => {
            let mut json =
                serde_json::to_string_pretty(&map).context("serializing the coverage map")?;
            json.push('\n');
            json
        }
    };
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // `trailwarden rules coverage | head`: the reader has what it wanted.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(e).context("writing the coverage map to stdout failed"),
    }
}
