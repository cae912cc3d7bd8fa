//! `trailwarden-bench run`: everything `make bench` reports, each measurement in a fresh child process
//! (through `trailwarden-bench exec`, which reports the child's CPU time and peak RSS from `getrusage`).

use crate::gen::{self, GenStats};
use crate::measure::{PipelineResult, RulesOnly, Stage};
use crate::noise::{self, Noise};
use crate::rulegen;
use crate::usage::Usage;
use anyhow::{bail, Context as _};
use rules::Profile;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Instant;

/// Options of `run`.
#[derive(Debug, Clone)]
pub struct Opts {
    pub seed: u64,
    pub sizes: Vec<usize>,
    /// Repetitions of the CPU measurements on the largest file (the best is reported).
    pub repeats: usize,
    pub python: String,
    pub baseline: PathBuf,
    pub cli: PathBuf,
    pub data_dir: PathBuf,
    /// Record count of the file used for rule-count scaling.
    pub scaling_size: usize,
    pub rule_counts: Vec<usize>,
}

/// What `exec` reports about the command it ran.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ExecReport {
    pub usage: Usage,
    pub wall_s: f64,
    pub code: Option<i32>,
}

/// `exec`: runs `cmd` with inherited stdio, waits, writes an [`ExecReport`] to `out`, returns its exit code.
pub fn exec(out: &Path, cmd: &[String]) -> anyhow::Result<i32> {
    let (prog, args) = cmd.split_first().context("exec: no command")?;
    let (report, status) = measured(Command::new(prog).args(args))?;
    write_json(out, &report)?;
    Ok(status.code().unwrap_or(1))
}

/// Runs `cmd` to its end: its exit status, the wall time, and the CPU time and peak RSS of this process's
/// waited-for children (so `cmd` should be the only child started).
pub fn measured(cmd: &mut Command) -> anyhow::Result<(ExecReport, ExitStatus)> {
    let t = Instant::now();
    let status = cmd
        .status()
        .with_context(|| format!("starting {}", cmd.get_program().to_string_lossy()))?;
    let report = ExecReport {
        usage: crate::usage::children_usage(),
        wall_s: t.elapsed().as_secs_f64(),
        code: status.code(),
    };
    Ok((report, status))
}

/// Writes `value` to `out` as JSON.
pub fn write_json(out: &Path, value: &impl Serialize) -> anyhow::Result<()> {
    std::fs::write(out, serde_json::to_vec(value)?)
        .with_context(|| format!("writing {}", out.display()))
}

struct Runner {
    exe: PathBuf,
    scratch: PathBuf,
    counter: usize,
}

/// A child's stdout and its resource usage.
struct Measured {
    stdout: String,
    report: ExecReport,
}

impl Runner {
    /// Runs `cmd` under `exec` in a fresh process; stdout captured (or discarded), stderr captured and shown
    /// on failure.
    fn measure(&mut self, cmd: &[String], keep_stdout: bool) -> anyhow::Result<Measured> {
        self.counter += 1;
        let report_path = self.scratch.join(format!("exec-{}.json", self.counter));
        let output = Command::new(&self.exe)
            .arg("exec")
            .arg("--out")
            .arg(&report_path)
            .arg("--")
            .args(cmd)
            .stdin(Stdio::null())
            .stdout(if keep_stdout {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stderr(Stdio::piped())
            .output()
            .with_context(|| format!("running {}", cmd.join(" ")))?;
        if !output.status.success() {
            bail!(
                "`{}` failed ({}):\n{}",
                cmd.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let report: ExecReport = serde_json::from_slice(&std::fs::read(&report_path)?)?;
        let _ = std::fs::remove_file(&report_path);
        Ok(Measured {
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            report,
        })
    }

    fn me(&self, args: &[&str]) -> Vec<String> {
        std::iter::once(self.exe.display().to_string())
            .chain(args.iter().map(|s| (*s).to_owned()))
            .collect()
    }

    fn pipeline(
        &mut self,
        file: &Path,
        rules: &[&str],
    ) -> anyhow::Result<(PipelineResult, ExecReport)> {
        let f = file.display().to_string();
        let mut args = vec!["pipeline", f.as_str()];
        args.extend_from_slice(rules);
        let m = self.measure(&self.me(&args), true)?;
        Ok((serde_json::from_str(&m.stdout)?, m.report))
    }
}

/// The Python baseline's report (see `tools/bench/python_baseline.py`).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PythonResult {
    pub records: u64,
    pub uncompressed_bytes: u64,
    pub total_matches: u64,
    pub matches: BTreeMap<String, u64>,
    pub cpu_s: f64,
    pub wall_s: f64,
    pub peak_rss_kib: u64,
    pub python: String,
}

#[derive(Debug, Clone, Serialize)]
struct SizeRow {
    records: usize,
    gen: GenStats,
    pipeline: PipelineResult,
    pipeline_exec: ExecReport,
    cis: PipelineResult,
    /// The default profile on the largest file (the noise budget's counts).
    recommended: Option<PipelineResult>,
    cli: ExecReport,
    python: Option<PythonResult>,
    python_exec: Option<ExecReport>,
}

#[derive(Debug, Clone, Serialize)]
struct ScalingRow {
    rules: usize,
    unindexed: usize,
    records: u64,
    cpu_s: f64,
    findings: u64,
    rules_only: RulesOnly,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdStart {
    pub label: String,
    pub rules: usize,
    pub first_s: f64,
    pub min_s: f64,
    pub median_s: f64,
}

fn machine() -> BTreeMap<&'static str, String> {
    let mut m = BTreeMap::new();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    };
    m.insert(
        "cpu",
        field("model name").unwrap_or_else(|| "unknown".into()),
    );
    if let Some(mhz) = field("cpu MHz") {
        m.insert("mhz", mhz);
    }
    m.insert(
        "cores",
        std::thread::available_parallelism()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into()),
    );
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    if let Some(kb) = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
    {
        m.insert("memory", format!("{:.1} GiB", kb / 1024.0 / 1024.0));
    }
    m.insert(
        "kernel",
        std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned(),
    );
    m.insert("arch", std::env::consts::ARCH.to_owned());
    m
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn thousands(x: f64) -> String {
    let n = x.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        0.0
    } else {
        v[v.len() / 2]
    }
}

fn best<T: Clone>(runs: &[(T, f64)]) -> T {
    runs.iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(t, _)| t.clone())
        .expect("at least one run")
}

/// Prints progress on stderr (the report goes to stdout).
macro_rules! progress {
    ($($arg:tt)*) => {{
        #[allow(clippy::print_stderr, reason = "progress lines for the person running `make bench`")]
        {
            eprintln!("[bench] {}", format!($($arg)*));
        }
    }};
}

/// Runs everything and prints the report. Fails (after printing) when Rust and Python disagree on a
/// CIS match count.
pub fn run(opts: &Opts) -> anyhow::Result<()> {
    let started = Instant::now();
    let load_start = loadavg();
    std::fs::create_dir_all(&opts.data_dir)
        .with_context(|| format!("creating {}", opts.data_dir.display()))?;
    if !opts.cli.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p trailwarden-cli)",
            opts.cli.display()
        );
    }
    let mut runner = Runner {
        exe: std::env::current_exe()?,
        scratch: opts.data_dir.clone(),
        counter: 0,
    };

    // 1. Data files (cached: the generator is deterministic, the name carries seed and version).
    let mut sizes = opts.sizes.clone();
    sizes.sort_unstable();
    sizes.dedup();
    let mut files = Vec::new();
    for &n in sizes.iter().chain(std::iter::once(&opts.scaling_size)) {
        let path = opts.data_dir.join(gen::file_name(opts.seed, n));
        if !path.exists() {
            let t = Instant::now();
            let s = gen::write_gz_file(&path, opts.seed, n)?;
            progress!(
                "generated {} ({} records, {:.1} MB JSON, {:.1} MB gzip) in {:.1}s",
                path.display(),
                n,
                mb(s.uncompressed_bytes),
                mb(s.compressed_bytes),
                t.elapsed().as_secs_f64()
            );
        }
        files.push((n, path));
    }
    let file_of = |n: usize| -> PathBuf {
        files
            .iter()
            .find(|(m, _)| *m == n)
            .map(|(_, p)| p.clone())
            .expect("generated")
    };

    // 2. Per size: pipeline (all rules), pipeline (CIS), CLI, Python.
    let largest = *sizes.last().context("no sizes")?;
    let mut rows = Vec::new();
    let mut mismatches = Vec::new();
    for &n in &sizes {
        let path = file_of(n);
        let f = path.display().to_string();
        let repeats = if n == largest { opts.repeats.max(1) } else { 1 };
        progress!("{n} records: pipeline (all rules) x{repeats}");
        let mut runs = Vec::new();
        for _ in 0..repeats {
            let (r, x) = runner.pipeline(&path, &["--profile", "all"])?;
            let cpu = r.cpu_s;
            runs.push(((r, x), cpu));
        }
        let peak_rss = runs
            .iter()
            .map(|((_, x), _)| x.usage.max_rss_kib)
            .max()
            .unwrap_or(0);
        let (pipeline, mut pipeline_exec) = best(&runs);
        pipeline_exec.usage.max_rss_kib = peak_rss;

        progress!("{n} records: pipeline (CIS rules)");
        let (cis, _) = runner.pipeline(&path, &["--profile", "cis"])?;

        let recommended = if n == largest {
            progress!("{n} records: pipeline (recommended profile, per-rule findings)");
            Some(runner.pipeline(&path, &["--profile", "recommended"])?.0)
        } else {
            None
        };

        progress!("{n} records: trailwarden scan x{repeats}");
        let mut cli_runs = Vec::new();
        for _ in 0..repeats {
            let m = runner.measure(
                &[
                    opts.cli.display().to_string(),
                    "scan".into(),
                    "--profile".into(),
                    "all".into(),
                    "--format".into(),
                    "jsonl".into(),
                    f.clone(),
                ],
                false,
            )?;
            let cpu = m.report.usage.cpu_s();
            cli_runs.push((m.report, cpu));
        }
        let cli_peak = cli_runs
            .iter()
            .map(|(r, _)| r.usage.max_rss_kib)
            .max()
            .unwrap_or(0);
        let mut cli = best(&cli_runs);
        cli.usage.max_rss_kib = cli_peak;

        progress!("{n} records: Python baseline");
        let m = runner.measure(
            &[
                opts.python.clone(),
                opts.baseline.display().to_string(),
                "--json".into(),
                f.clone(),
            ],
            true,
        )?;
        let py: PythonResult = serde_json::from_str(m.stdout.trim())
            .with_context(|| format!("python baseline output: {}", m.stdout))?;
        if py.matches != cis.per_rule
            || py.total_matches != cis.findings
            || py.records != cis.records
        {
            mismatches.push(format!(
                "{n} records: Rust CIS {} matches {:?}\n               Python   {} matches {:?}",
                cis.findings, cis.per_rule, py.total_matches, py.matches
            ));
        }
        let gen = GenStats {
            records: pipeline.records,
            uncompressed_bytes: pipeline.uncompressed_bytes,
            compressed_bytes: pipeline.compressed_bytes,
        };
        rows.push(SizeRow {
            records: n,
            gen,
            pipeline,
            pipeline_exec,
            cis,
            recommended,
            cli,
            python: Some(py),
            python_exec: Some(m.report),
        });
    }

    // 3. Stage breakdown on the largest file.
    progress!("stage breakdown on {largest} records");
    let big = file_of(largest).display().to_string();
    // Twice, keeping the lower CPU time of each stage: the increments between stages are small
    // differences of large numbers.
    let mut stages: Vec<Stage> = Vec::new();
    for _ in 0..2 {
        let m = runner.measure(&runner.me(&["stages", &big]), true)?;
        let run: Vec<Stage> = serde_json::from_str(&m.stdout)?;
        if stages.is_empty() {
            stages = run;
        } else {
            for (best, st) in stages.iter_mut().zip(run) {
                best.cpu_s = best.cpu_s.min(st.cpu_s);
            }
        }
    }

    // 4. Rule-count scaling.
    let scaling_file = file_of(opts.scaling_size).display().to_string();
    let mut scaling = Vec::new();
    let series = std::iter::once((0, true))
        .chain(opts.rule_counts.iter().map(|&n| (n, true)))
        .chain(opts.rule_counts.last().map(|&n| (n, false)));
    for (n, with_unindexed) in series {
        progress!("rule scaling: {n} custom rules");
        let toml_path = opts.data_dir.join(format!(
            "rules-{n}{}.toml",
            if with_unindexed { "" } else { "-indexed" }
        ));
        std::fs::write(
            &toml_path,
            rulegen::rules_toml(n, with_unindexed, opts.seed),
        )?;
        let t = toml_path.display().to_string();
        let mut runs = Vec::new();
        for _ in 0..2 {
            let (r, _) = runner.pipeline(Path::new(&scaling_file), &["--rules-toml", &t])?;
            let cpu = r.cpu_s;
            runs.push((r, cpu));
        }
        let r = best(&runs);
        let m = runner.measure(
            &runner.me(&["rules-only", &scaling_file, "--rules-toml", &t]),
            true,
        )?;
        let ro: RulesOnly = serde_json::from_str(&m.stdout)?;
        scaling.push(ScalingRow {
            rules: n,
            unindexed: rulegen::unindexed(n, with_unindexed),
            records: r.records,
            cpu_s: r.cpu_s,
            findings: r.findings,
            rules_only: ro,
        });
    }

    // 5. Cold start: in-process (default rules file, and 1,000 custom rules), then whole process.
    progress!("cold start");
    let mut cold = Vec::new();
    for (label, toml) in [
        ("default rules file (recommended profile)", None),
        (
            "profile all + 1,000 custom rules",
            Some(opts.data_dir.join("rules-1000-all.toml")),
        ),
    ] {
        let mut args = vec!["cold-start".to_owned()];
        if let Some(p) = &toml {
            std::fs::write(p, rulegen::rules_toml_all_plus(1000, opts.seed))?;
            args.push("--rules-toml".into());
            args.push(p.display().to_string());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let m = runner.measure(&runner.me(&argv), true)?;
        let mut c: ColdStart = serde_json::from_str(&m.stdout)?;
        c.label = label.to_owned();
        cold.push(c);
    }
    let mut process_start = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let status = Command::new(&runner.exe)
            .args(["cold-start", "--iterations", "1"])
            .stdout(Stdio::null())
            .status()?;
        if !status.success() {
            bail!("cold-start child failed");
        }
        process_start.push(t.elapsed().as_secs_f64());
    }
    let process_min = process_start.iter().copied().fold(f64::INFINITY, f64::min);
    let process_median = median(&mut process_start);

    let noise = match rows.last().and_then(|r| r.recommended.as_ref()) {
        Some(r) => Some(noise::noise(Profile::Recommended, r)?),
        None => None,
    };

    let load_end = loadavg();
    let report = Report {
        opts,
        machine: machine(),
        load_start,
        load_end,
        rows: &rows,
        stages: &stages,
        scaling: &scaling,
        cold: &cold,
        process_min,
        process_median,
        elapsed_s: started.elapsed().as_secs_f64(),
        mismatches: &mismatches,
        noise: noise.as_ref(),
    };
    let text = report.render();
    #[allow(
        clippy::print_stdout,
        reason = "the Markdown report is `make bench`'s output"
    )]
    {
        print!("{text}");
    }
    std::fs::write(opts.data_dir.join("report.md"), &text)?;
    std::fs::write(
        opts.data_dir.join("results.json"),
        serde_json::to_vec_pretty(&serde_json::json!({
            "machine": report.machine,
            "load_start": report.load_start,
            "load_end": report.load_end,
            "sizes": rows,
            "stages": stages,
            "scaling": scaling,
            "cold_start": cold,
            "noise": noise,
            "process_start_min_s": process_min,
            "process_start_median_s": process_median,
        }))?,
    )?;
    if !mismatches.is_empty() {
        bail!(
            "CIS match counts differ between trailwarden and the Python baseline:\n{}",
            mismatches.join("\n")
        );
    }
    Ok(())
}

struct Report<'a> {
    opts: &'a Opts,
    machine: BTreeMap<&'static str, String>,
    load_start: String,
    load_end: String,
    rows: &'a [SizeRow],
    stages: &'a [Stage],
    scaling: &'a [ScalingRow],
    cold: &'a [ColdStart],
    process_min: f64,
    process_median: f64,
    elapsed_s: f64,
    mismatches: &'a [String],
    noise: Option<&'a Noise>,
}

impl Report<'_> {
    #[allow(clippy::too_many_lines)]
    fn render(&self) -> String {
        let mut s = String::new();
        let m = &self.machine;
        let get = |k: &str| m.get(k).cloned().unwrap_or_default();
        let _ = writeln!(s, "\n# trailwarden benchmark\n");
        let _ = writeln!(
            s,
            "Machine: {} ({} cores available, {}, Linux {}, {}); load average {} at start, {} at end; Python {}.",
            get("cpu"),
            get("cores"),
            get("memory"),
            get("kernel"),
            get("arch"),
            self.load_start,
            self.load_end,
            self.rows
                .iter()
                .find_map(|r| r.python.as_ref().map(|p| p.python.clone()))
                .unwrap_or_default(),
        );
        let _ = writeln!(
            s,
            "Generated files: seed {}, generator v{}; CPU = user + system seconds of the process (getrusage), best of {} on the largest file; peak RSS = the process's high-water mark (ru_maxrss).\n",
            self.opts.seed,
            gen::GENERATOR_VERSION,
            self.opts.repeats
        );

        // Main table on the largest file.
        let Some(big) = self.rows.last() else {
            return s;
        };
        let json_mb = mb(big.gen.uncompressed_bytes);
        let _ = writeln!(
            s,
            "## Throughput and memory: {} records, {:.0} MB of JSON, {:.1} MB gzipped\n",
            thousands(big.records as f64),
            json_mb,
            mb(big.gen.compressed_bytes)
        );
        let _ = writeln!(
            s,
            "| run | rules | CPU s | records/s per CPU-s | MB/s per CPU-s (JSON) | peak RSS | CPU vs Python | peak RSS vs Python |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|---:|");
        let py = big.python.as_ref();
        let py_rss = big.python_exec.map(|x| x.usage.max_rss_kib);
        let ratio = |ours: f64, theirs: Option<f64>| match theirs {
            Some(t) if ours > 0.0 && (t - ours).abs() > f64::EPSILON => {
                format!("{:.1}× less", t / ours)
            }
            Some(_) => "—".to_owned(),
            _ => "n/a".to_owned(),
        };
        let mut line = |name: &str, rules: usize, cpu: f64, rss_kib: u64| {
            let _ = writeln!(
                s,
                "| {name} | {rules} | {cpu:.2} | {} | {:.0} | {} | {} | {} |",
                thousands(big.gen.records as f64 / cpu),
                json_mb / cpu,
                mib(rss_kib),
                ratio(cpu, py.map(|p| p.cpu_s)),
                ratio(rss_kib as f64, py_rss.map(|r| r as f64)),
            );
        };
        line(
            "trailwarden pipeline (LogReader → scan_log → Finding), profile all",
            big.pipeline.rules,
            big.pipeline.cpu_s,
            big.pipeline_exec.usage.max_rss_kib,
        );
        line(
            "trailwarden pipeline, CIS rules only",
            big.cis.rules,
            big.cis.cpu_s,
            big.cis.peak_rss_kib,
        );
        line(
            "`trailwarden scan --profile all --format jsonl` (whole process)",
            big.pipeline.rules,
            big.cli.usage.cpu_s(),
            big.cli.usage.max_rss_kib,
        );
        if let (Some(p), Some(x)) = (py, big.python_exec) {
            line(
                "Python baseline (gzip + json.loads + 16 CIS predicates)",
                16,
                p.cpu_s,
                x.usage.max_rss_kib,
            );
        }
        let _ = writeln!(
            s,
            "\nPython ratios compare with trailwarden doing more work (all {} built-in rules vs 16 CIS predicates) except in the CIS row.",
            big.pipeline.rules
        );

        // Memory vs size.
        let _ = writeln!(s, "\n## Memory vs file size (a fresh process per size)\n");
        let _ = writeln!(
            s,
            "| records | JSON MB | gzip MB | pipeline peak RSS | scan CLI peak RSS | Python peak RSS | pipeline records/s per CPU-s | Python records/s per CPU-s |"
        );
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        for r in self.rows {
            let rate = |cpu: f64| {
                if cpu > 0.005 {
                    thousands(r.gen.records as f64 / cpu)
                } else {
                    "(too short)".to_owned()
                }
            };
            let _ = writeln!(
                s,
                "| {} | {:.1} | {:.2} | {} | {} | {} | {} | {} |",
                thousands(r.records as f64),
                mb(r.gen.uncompressed_bytes),
                mb(r.gen.compressed_bytes),
                mib(r.pipeline_exec.usage.max_rss_kib),
                mib(r.cli.usage.max_rss_kib),
                r.python_exec
                    .map(|x| mib(x.usage.max_rss_kib))
                    .unwrap_or_default(),
                rate(r.pipeline.cpu_s),
                r.python.as_ref().map(|p| rate(p.cpu_s)).unwrap_or_default(),
            );
        }

        // Match counts.
        let _ = writeln!(
            s,
            "\n## CIS match counts, trailwarden vs Python (asserted equal, rule by rule)\n"
        );
        let _ = writeln!(s, "| records | trailwarden (CIS profile) | Python baseline | equal | findings, profile all |");
        let _ = writeln!(s, "|---:|---:|---:|:---:|---:|");
        for r in self.rows {
            let p = r.python.as_ref();
            let equal =
                p.is_some_and(|p| p.matches == r.cis.per_rule && p.total_matches == r.cis.findings);
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                thousands(r.records as f64),
                r.cis.findings,
                p.map(|p| p.total_matches.to_string()).unwrap_or_default(),
                if equal { "yes" } else { "**NO**" },
                r.pipeline.findings
            );
        }
        let _ = writeln!(
            s,
            "\nPer rule on the largest file: {}",
            big.cis
                .per_rule
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        );

        // Noise budget.
        if let (Some(noise), Some(rec)) = (self.noise, big.recommended.as_ref()) {
            let _ = writeln!(
                s,
                "\n## Noise budget: findings per 100,000 records per rule, profile {} ({} rules, {} records)\n",
                noise.profile,
                noise.rules,
                thousands(noise.records as f64)
            );
            let _ = writeln!(
                s,
                "The pipeline measurement's own counts (LogReader → scan_log; threshold rules count their windows within the file). The same run: {} records/s per CPU-s, {} findings.\n",
                thousands(rec.records as f64 / rec.cpu_s),
                rec.findings
            );
            s.push_str(&noise::render(noise));
        }

        // Stages.
        let _ = writeln!(
            s,
            "\n## Where the time goes ({} records, CPU seconds, best of 2; each stage includes the ones above it)\n",
            thousands(big.records as f64)
        );
        let _ = writeln!(
            s,
            "| stage | CPU s | ns/record | increment ns/record | MB/s of JSON | matches |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
        let n = big.gen.records.max(1) as f64;
        let mut prev = 0.0;
        for st in self.stages.iter().filter(|st| !st.alternative) {
            let inc = st.cpu_s - prev;
            let _ = writeln!(
                s,
                "| {} | {:.2} | {:.0} | {:+.0} | {:.0} | {} |",
                st.name,
                st.cpu_s,
                st.cpu_s * 1e9 / n,
                inc * 1e9 / n,
                json_mb / st.cpu_s,
                st.matches.map(|m| m.to_string()).unwrap_or_default()
            );
            // The CIS-only evaluation row is a side branch: the all-rules row builds on the parse row.
            if !st.name.contains("CIS") {
                prev = st.cpu_s;
            }
        }
        let _ = writeln!(
            s,
            "\nAlternatives to the parse step (measured here, not in the product):\n"
        );
        let _ = writeln!(s, "| alternative | CPU s | ns/record | matches |");
        let _ = writeln!(s, "|---|---:|---:|---:|");
        for st in self.stages.iter().filter(|st| st.alternative) {
            let _ = writeln!(
                s,
                "| {} | {:.2} | {:.0} | {} |",
                st.name.trim_start_matches("alt: "),
                st.cpu_s,
                st.cpu_s * 1e9 / n,
                st.matches.map(|m| m.to_string()).unwrap_or_default()
            );
        }

        // Scaling.
        let scaling_records = self.scaling.first().map_or(0, |r| r.records);
        let _ = writeln!(
            s,
            "\n## Rule-count scaling ({} records, custom rules only, built via RulesConfig::parse + Engine::from_config)\n",
            thousands(scaling_records as f64)
        );
        let _ = writeln!(s, "| custom rules | without eventName term | rules evaluated per record (after the index) | rule evaluation ns/record | records/s per CPU-s (end to end) | findings |");
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|");
        for r in self.scaling {
            let _ = writeln!(
                s,
                "| {} | {} | {:.1} | {:.0} | {} | {} |",
                thousands(r.rules as f64),
                r.unindexed,
                r.rules_only.candidates_per_record,
                r.rules_only.ns_per_record,
                thousands(r.records as f64 / r.cpu_s),
                r.findings
            );
        }
        let by = |n: usize| {
            self.scaling
                .iter()
                .find(|r| r.rules == n && (n == 0 || r.unindexed > 0))
        };
        let counts = &self.opts.rule_counts;
        if let (Some(&lo), Some(&hi)) = (counts.first(), counts.last()) {
            if let (Some(a), Some(b)) = (by(lo), by(hi)) {
                let _ = writeln!(
                    s,
                    "\nFrom {lo} to {hi} rules ({:.1}× the rules): end-to-end CPU per record × {:.2}, rule evaluation per record × {:.1}.",
                    hi as f64 / lo as f64,
                    (b.cpu_s / b.records.max(1) as f64) / (a.cpu_s / a.records.max(1) as f64),
                    b.rules_only.ns_per_record / a.rules_only.ns_per_record
                );
                if let Some(c) = self
                    .scaling
                    .iter()
                    .find(|r| r.rules == hi && r.unindexed == 0)
                {
                    let _ = writeln!(
                        s,
                        "With every one of the {hi} rules naming an event (last row), rule evaluation costs {:.0} ns/record ({:.1}× the {lo}-rule set): the `eventName` index leaves {:.1} rules per record to evaluate. Rules without an `eventName` term are indexed on another field they pin to exact values where they have one; the rest (wildcard-only patterns here) are evaluated on every record, so their cost grows linearly with their number.",
                        c.rules_only.ns_per_record,
                        c.rules_only.ns_per_record / a.rules_only.ns_per_record,
                        c.rules_only.candidates_per_record
                    );
                }
            }
        }

        // Cold start.
        let _ = writeln!(
            s,
            "\n## Cold start (rules file parse + rule compilation, as the Lambda's init does)\n"
        );
        let _ = writeln!(s, "| configuration | rules | first call | min | median |");
        let _ = writeln!(s, "|---|---:|---:|---:|---:|");
        for c in self.cold {
            let _ = writeln!(
                s,
                "| {} | {} | {:.2} ms | {:.2} ms | {:.2} ms |",
                c.label,
                c.rules,
                c.first_s * 1e3,
                c.min_s * 1e3,
                c.median_s * 1e3
            );
        }
        let _ = writeln!(
            s,
            "\nA whole process (exec, init of the default rules, exit): min {:.1} ms, median {:.1} ms (the bench binary). The function binary's own init (Lambda runtime, AWS SDK clients, rules) is measured by `make bench-lambda` (`trailwarden-bench function-init`).",
            self.process_min * 1e3,
            self.process_median * 1e3
        );

        // Targets.
        let _ = writeln!(s, "\n## Targets (issue #8)\n");
        let _ = writeln!(s, "| target | measured | met |");
        let _ = writeln!(s, "|---|---|:---:|");
        let rate = big.gen.records as f64 / big.pipeline.cpu_s;
        let max_rss = self
            .rows
            .iter()
            .map(|r| r.pipeline_exec.usage.max_rss_kib)
            .max()
            .unwrap_or(0);
        let yes = |b: bool| if b { "yes" } else { "**no**" };
        let _ = writeln!(
            s,
            "| ≥ 250,000 records/s per core end to end | {} records/s per CPU-s (pipeline, profile all) | {} |",
            thousands(rate),
            yes(rate >= 250_000.0)
        );
        let _ = writeln!(
            s,
            "| peak RSS ≤ 16 MiB whatever the file size | {} at most (pipeline), {} (scan CLI, largest file) | {} |",
            mib(max_rss),
            mib(big.cli.usage.max_rss_kib),
            yes(max_rss <= 16 * 1024)
        );
        if let (Some(p), Some(x)) = (py, big.python_exec) {
            let cpu_ratio = p.cpu_s / big.pipeline.cpu_s;
            let mem_ratio = x.usage.max_rss_kib as f64 / big.pipeline_exec.usage.max_rss_kib as f64;
            let _ = writeln!(
                s,
                "| ≥ 10× less CPU than Python | {cpu_ratio:.1}× (profile all; {:.1}× with the same 16 CIS rules) | {} |",
                p.cpu_s / big.cis.cpu_s,
                yes(cpu_ratio >= 10.0)
            );
            let _ = writeln!(
                s,
                "| ≥ 50× less peak memory than Python | {mem_ratio:.0}× ({} vs {}) | {} |",
                mib(big.pipeline_exec.usage.max_rss_kib),
                mib(x.usage.max_rss_kib),
                yes(mem_ratio >= 50.0)
            );
        }
        let lo = counts.first().copied().unwrap_or(0);
        let hi = counts.last().copied().unwrap_or(0);
        let indexed_hi = self
            .scaling
            .iter()
            .find(|r| r.rules == hi && r.unindexed == 0);
        if let (Some(a), Some(b), Some(c)) = (by(lo), by(hi), indexed_hi) {
            let per_record = |r: &ScalingRow| r.cpu_s / r.records.max(1) as f64;
            let e2e = per_record(b) / per_record(a);
            let eval = b.rules_only.ns_per_record / a.rules_only.ns_per_record;
            let indexed = c.rules_only.ns_per_record / a.rules_only.ns_per_record;
            let growth = hi as f64 / lo.max(1) as f64;
            let _ = writeln!(
                s,
                "| rule cost grows sublinearly with the rule count | {lo} → {hi} rules (×{growth:.1}): end to end ×{e2e:.2}; rule evaluation ×{eval:.1} with 5% of rules without `eventName`, ×{indexed:.1} when all name an event | {} |",
                if e2e < growth && indexed < growth / 10.0 {
                    if eval < growth / 4.0 {
                        "yes"
                    } else {
                        "yes for indexed rules; linear for rules without `eventName`"
                    }
                } else {
                    "**no**"
                }
            );
        }
        if !self.mismatches.is_empty() {
            let _ = writeln!(
                s,
                "\n**CIS MATCH COUNTS DIFFER**:\n```\n{}\n```",
                self.mismatches.join("\n")
            );
        }
        let _ = writeln!(s, "\n(benchmark run took {:.0} s)", self.elapsed_s);
        s
    }
}
