//! In-process measurements, each run in a fresh child process by the orchestrator (see [`crate::run`]) so
//! that peak memory is per measurement.

use crate::usage::{cpu_time, proc_status_kib, self_usage};
use anyhow::{bail, Context as _};
use cloudtrail::{Dom, LogReader, ReaderOptions};
use flate2::bufread::MultiGzDecoder;
use rules::{scan_log, Engine, Profile, RulesConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, Read};
use std::path::Path;
use std::time::Instant;

/// The date rules are compiled for (exclusion expiry only; the generated files carry their own times).
pub const TODAY: &str = "2026-01-01";

/// Which rules a pipeline run uses.
#[derive(Debug, Clone)]
pub enum RuleSet {
    /// A built-in profile, as `Engine::profile` compiles it.
    Profile(Profile),
    /// A rules file, as the Lambda and the CLI load it (`RulesConfig::parse` + `Engine::from_config`).
    Toml(String),
}

impl RuleSet {
    /// Compiles the engine.
    pub fn engine(&self) -> anyhow::Result<Engine> {
        Ok(match self {
            RuleSet::Profile(p) => Engine::profile(*p)?,
            RuleSet::Toml(text) => {
                let cfg = RulesConfig::parse(text, "bench-rules.toml")?;
                Engine::from_config(&cfg, TODAY)?
            }
        })
    }
}

/// One run of the product pipeline over one file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PipelineResult {
    pub file: String,
    pub records: u64,
    pub findings: u64,
    pub malformed: u64,
    pub uncompressed_bytes: u64,
    pub compressed_bytes: u64,
    pub rules: usize,
    /// CPU seconds of the scan itself (engine already compiled).
    pub cpu_s: f64,
    pub wall_s: f64,
    /// Seconds to compile the engine.
    pub engine_s: f64,
    /// Findings per rule id.
    pub per_rule: BTreeMap<String, u64>,
    /// Peak resident memory of this process, KiB (`VmHWM`).
    pub peak_rss_kib: u64,
}

/// Opens a log file the way the CLI does (`File` into `LogReader`, which buffers and decompresses).
pub fn open(path: &Path) -> anyhow::Result<LogReader<'static>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    Ok(LogReader::new(file, ReaderOptions::default())?)
}

/// `LogReader` → `scan_log` (parse, rules, `Finding` construction) over `path`, timed in CPU seconds.
pub fn pipeline(path: &Path, rules: &RuleSet) -> anyhow::Result<PipelineResult> {
    let t = Instant::now();
    let engine = rules.engine()?;
    let engine_s = t.elapsed().as_secs_f64();
    let ids: Vec<String> = engine.rules().iter().map(|r| r.id().to_owned()).collect();
    let mut counts = vec![0u64; ids.len()];
    let index: std::collections::HashMap<&str, usize> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut reader = open(path)?;
    let (stats, cpu_s, wall) = cpu_time(|| {
        scan_log(&mut reader, &engine, |finding| {
            if let Some(&i) = index.get(finding.rule_id.as_str()) {
                counts[i] += 1;
            }
            black_box(&finding);
            Ok::<(), Infallible>(())
        })
    });
    let stats = stats.map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(PipelineResult {
        file: path.display().to_string(),
        records: stats.records,
        findings: stats.findings,
        malformed: stats.malformed,
        uncompressed_bytes: stats.bytes,
        compressed_bytes: std::fs::metadata(path)?.len(),
        rules: ids.len(),
        cpu_s,
        wall_s: wall.as_secs_f64(),
        engine_s,
        per_rule: ids
            .into_iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .collect(),
        peak_rss_kib: proc_status_kib("VmHWM").unwrap_or(self_usage().max_rss_kib),
    })
}

/// The cost of one stage of the pipeline, cumulative (each stage includes the ones before it, unless
/// `alternative` says it replaces the parse).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stage {
    pub name: String,
    pub records: u64,
    pub cpu_s: f64,
    /// Matches (rule hits) where the stage evaluates rules.
    pub matches: Option<u64>,
    /// A measured alternative to the product's parse step, not part of the product pipeline.
    pub alternative: bool,
}

/// Times the pipeline stage by stage over one file: decompression alone, the record reader alone, the
/// reader plus each parse, rules, findings; and alternatives to `serde_json::Value`.
pub fn stages(path: &Path) -> anyhow::Result<Vec<Stage>> {
    let all = Engine::profile(Profile::All)?;
    let cis = Engine::profile(Profile::Cis)?;
    let mut out = Vec::new();
    let mut push = |name: &str, records: u64, cpu_s: f64, matches: Option<u64>, alternative| {
        out.push(Stage {
            name: name.to_owned(),
            records,
            cpu_s,
            matches,
            alternative,
        });
    };

    // 1. gzip decompression alone (same buffering as the reader: 64 KiB in, 256 KiB out).
    let (bytes, cpu, _) = cpu_time(|| -> anyhow::Result<u64> {
        let file = File::open(path)?;
        let mut gz = MultiGzDecoder::new(BufReader::with_capacity(64 * 1024, file));
        let mut buf = vec![0u8; cloudtrail::reader::DECODED_BUFFER_BYTES];
        let mut total = 0u64;
        loop {
            let n = gz.read(&mut buf)?;
            if n == 0 {
                break;
            }
            total += n as u64;
        }
        Ok(total)
    });
    let bytes = bytes?;
    push("gzip decompression (flate2/zlib-rs)", 0, cpu, None, false);

    // 2. + the reader parsing each record in place: the product's read path (boundaries found by the parse).
    let (records, cpu) = over_records(path, |r, dom| {
        let mut n = 0u64;
        while let Some(rec) = r.next_parsed(dom)? {
            black_box(rec.parsed?);
            n += 1;
        }
        Ok(n)
    })?;
    let label = "+ LogReader::next_parsed (records found and parsed in one pass)";
    push(label, records, cpu, None, false);

    // 3. + evaluate the rules (no Finding construction).
    for (label, engine) in [
        ("+ evaluate CIS rules (16)", &cis),
        ("+ evaluate all built-in rules", &all),
    ] {
        let (hits, cpu) = over_records(path, |r, dom| {
            let mut hits = 0u64;
            while let Some(rec) = r.next_parsed(dom)? {
                hits += engine.evaluate(rec.parsed?).count() as u64;
            }
            Ok(hits)
        })?;
        push(label, records, cpu, Some(hits), false);
    }

    // 4. The whole product pipeline: scan_log with all rules, Finding construction included.
    let (findings, cpu) = over_records(path, |r, _| {
        let stats = scan_log(r, &all, |f| {
            black_box(&f);
            Ok::<(), Infallible>(())
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(stats.findings)
    })?;
    let label = "= scan_log, all rules + findings";
    push(label, records, cpu, Some(findings), false);

    // Other ways to read and parse, for comparison (not the product).
    type Alternative = fn(&mut LogReader<'static>, &mut Dom) -> anyhow::Result<u64>;
    let alternatives: [(&str, Alternative); 5] = [
        (
            "alt: LogReader::next_record only (boundary scan + copy, no parse)",
            |r, _| {
                while let Some(rec) = r.next_record()? {
                    black_box(rec.bytes);
                }
                Ok(0)
            },
        ),
        ("alt: next_record + Dom::parse (two passes)", |r, dom| {
            while let Some(rec) = r.next_record()? {
                black_box(dom.parse(rec.bytes)?);
            }
            Ok(0)
        }),
        (
            "alt: reader + serde_json validation only (IgnoredAny)",
            |r, _| {
                while let Some(rec) = r.next_record()? {
                    serde_json::from_slice::<serde::de::IgnoredAny>(rec.bytes)?;
                }
                Ok(0)
            },
        ),
        ("alt: reader + typed cloudtrail::Record (serde)", |r, _| {
            while let Some(rec) = r.next_record()? {
                black_box(serde_json::from_slice::<cloudtrail::Record>(rec.bytes)?);
            }
            Ok(0)
        }),
        (
            "alt: reader + serde_json::Value (the parse before Dom)",
            |r, _| {
                while let Some(rec) = r.next_record()? {
                    black_box(serde_json::from_slice::<Value>(rec.bytes)?);
                }
                Ok(0)
            },
        ),
    ];
    for (label, body) in alternatives {
        let (_, cpu) = over_records(path, body)?;
        push(label, records, cpu, None, true);
    }

    if bytes == 0 {
        bail!("{}: no data", path.display());
    }
    Ok(out)
}

/// Opens `path` and runs `body` over its reader with a fresh [`Dom`], timing the CPU it takes.
fn over_records(
    path: &Path,
    body: impl FnOnce(&mut LogReader<'static>, &mut Dom) -> anyhow::Result<u64>,
) -> anyhow::Result<(u64, f64)> {
    let (out, cpu, _) = cpu_time(|| -> anyhow::Result<u64> {
        let mut reader = open(path)?;
        body(&mut reader, &mut Dom::new())
    });
    Ok((out?, cpu))
}

/// Rule evaluation alone, in nanoseconds per record: the first `sample` records are parsed in chunks of 64
/// (small enough to stay in cache, as each record is in the pipeline) and each chunk is evaluated `rounds`
/// times; only the evaluation is timed (CPU time of the process, read around each chunk). Also returns
/// the average number of rules the engine's index leaves to evaluate per record, and the matches per
/// pass.
pub fn rules_only(
    path: &Path,
    rules: &RuleSet,
    sample: usize,
    rounds: usize,
) -> anyhow::Result<RulesOnly> {
    const CHUNK: usize = 64;
    let engine = rules.engine()?;
    let mut r = open(path)?;
    let mut raw: Vec<Vec<u8>> = Vec::with_capacity(sample);
    while let Some(rec) = r.next_record()? {
        raw.push(rec.bytes.to_vec());
        if raw.len() == sample {
            break;
        }
    }
    let rounds = rounds.max(1);
    let mut eval_cpu = 0.0;
    let mut hits = 0u64;
    let mut candidates = 0u64;
    for chunk in raw.chunks(CHUNK) {
        let values = chunk
            .iter()
            .map(|b| cloudtrail::Parsed::new(b))
            .collect::<Result<Vec<_>, _>>()?;
        let (h, cpu, _) = cpu_time(|| {
            let mut h = 0u64;
            for _ in 0..rounds {
                for v in &values {
                    h += engine.evaluate(black_box(v.root())).count() as u64;
                }
            }
            h
        });
        eval_cpu += cpu;
        hits += h;
        // What the engine's index leaves to evaluate (outside the timed part).
        for v in &values {
            candidates += engine.candidate_count(v.root()) as u64;
        }
    }
    let n = raw.len().max(1) as f64;
    Ok(RulesOnly {
        ns_per_record: eval_cpu * 1e9 / (n * rounds as f64),
        candidates_per_record: candidates as f64 / n,
        matches_per_pass: hits / rounds as u64,
        records: raw.len(),
    })
}

/// What [`rules_only`] measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RulesOnly {
    pub ns_per_record: f64,
    pub candidates_per_record: f64,
    pub matches_per_pass: u64,
    pub records: usize,
}

/// Cold start of the function's rules: parse the (default, empty) rules file and compile the engine, as
/// the Lambda's `Config::rules` does at init. Returns seconds per iteration, in order.
pub fn cold_start(rules_text: &str, iterations: usize) -> anyhow::Result<Vec<f64>> {
    let mut times = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        let cfg = RulesConfig::parse(black_box(rules_text), "defaults")?;
        let engine = Engine::from_config(&cfg, TODAY)?;
        let settings = cfg.alert_settings();
        black_box((&engine, &settings));
        times.push(t.elapsed().as_secs_f64());
    }
    Ok(times)
}
