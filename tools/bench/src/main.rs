//! `trailwarden-bench`: `run` does everything `make bench` reports; the other subcommands are its
//! building blocks, each run in a fresh process so that peak memory is per measurement.

use anyhow::Context as _;
use bench::gen;
use bench::measure::{self, RuleSet};
use bench::run::{self, Opts};
use clap::{Parser, Subcommand};
use rules::Profile;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "trailwarden-bench",
    about = "trailwarden benchmarks (make bench)"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Everything: generate the files, measure the pipeline, the CLI and the Python baseline, print the
    /// report (Markdown) on stdout.
    Run {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// File sizes, in records.
        #[arg(long, value_delimiter = ',', default_value = "100,10000,100000,350000")]
        sizes: Vec<usize>,
        /// Repetitions of the CPU measurements on the largest file (the best is reported).
        #[arg(long, default_value_t = 3)]
        repeats: usize,
        /// Python interpreter for the baseline.
        #[arg(long, default_value = "python3")]
        python: String,
        /// The baseline script [default: python_baseline.py beside this crate].
        #[arg(long)]
        baseline: Option<PathBuf>,
        /// The `trailwarden` binary [default: next to this one].
        #[arg(long)]
        cli: Option<PathBuf>,
        /// Where generated files and results go [default: <target>/bench-data].
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Records in the file used for rule-count scaling.
        #[arg(long, default_value_t = 100_000)]
        scaling_size: usize,
        /// Custom-rule counts for the scaling measurement.
        #[arg(long, value_delimiter = ',', default_value = "15,100,1000")]
        rule_counts: Vec<usize>,
    },
    /// Writes a generated log file (`.json.gz`, or plain JSON if PATH does not end in .gz).
    Gen {
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        records: usize,
        #[arg(long)]
        out: PathBuf,
    },
    /// The product pipeline over one file; prints a JSON result.
    Pipeline {
        file: PathBuf,
        /// Built-in profile: cis, recommended or all.
        #[arg(long, conflicts_with = "rules_toml")]
        profile: Option<String>,
        /// A rules file (TOML), loaded as the Lambda and the CLI load it.
        #[arg(long)]
        rules_toml: Option<PathBuf>,
    },
    /// Stage-by-stage CPU time over one file; prints JSON.
    Stages { file: PathBuf },
    /// Rule evaluation alone over pre-parsed records; prints JSON.
    RulesOnly {
        file: PathBuf,
        #[arg(long)]
        rules_toml: PathBuf,
        #[arg(long, default_value_t = 20_000)]
        sample: usize,
        #[arg(long, default_value_t = 10)]
        rounds: usize,
    },
    /// Rules-file parse + engine compilation, repeated; prints JSON.
    ColdStart {
        #[arg(long)]
        rules_toml: Option<PathBuf>,
        #[arg(long, default_value_t = 200)]
        iterations: usize,
    },
    /// Writes a rules file: profile `all` plus N generated custom rules (as the cold-start measurement uses).
    RulesFile {
        #[arg(long)]
        custom_rules: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// The function binary's init time: process start to its first next-invocation request, against a local
    /// stand-in for the Lambda Runtime API; prints JSON.
    FunctionInit {
        /// The function binary (`target/release/trailwarden-alerter`).
        #[arg(long)]
        bin: PathBuf,
        /// A rules file for the function (TRAILWARDEN_CONFIG); the built-in defaults when absent.
        #[arg(long)]
        rules_file: Option<PathBuf>,
        #[arg(long, default_value_t = 10)]
        runs: usize,
    },
    /// Runs a command, then writes its CPU time and peak RSS (getrusage of the child) to --out as JSON.
    Exec {
        #[arg(long)]
        out: PathBuf,
        /// Runs the command under the limits of this Lambda memory setting (MB): that much memory and
        /// MB/1769 of one CPU, enforced by a control group; adds the wall time, throttling and OOM kills to
        /// the report. Prints SKIP (exit 0, command not run) where no control group can be made.
        #[arg(long)]
        lambda_memory_mb: Option<u64>,
        #[arg(last = true, required = true)]
        cmd: Vec<String>,
    },
    /// The fast path's own added latency: handle_event with an SQS batch of one EventBridge event, receipt to
    /// SNS accepting the alerts, warm, dedup table on and off, and the dedup table's calls alone, against a
    /// moto_server started (and stopped) here; prints the Markdown section, writes the JSON to --out.
    FastPath {
        /// Measured events per mode, each a distinct record.
        #[arg(long, default_value_t = 500)]
        events: usize,
        /// Events per mode handled first and not counted.
        #[arg(long, default_value_t = 50)]
        warmup: usize,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// (Used by `exec --lambda-memory-mb`.) Joins the control group(s) whose `cgroup.procs` files are
    /// given, then replaces itself with the command.
    #[command(hide = true)]
    CgroupEnter {
        #[arg(long, required = true)]
        procs: Vec<PathBuf>,
        #[arg(last = true, required = true)]
        cmd: Vec<String>,
    },
}

fn rule_set(profile: Option<&str>, toml: Option<&Path>) -> anyhow::Result<RuleSet> {
    Ok(match (profile, toml) {
        (_, Some(p)) => RuleSet::Toml(
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        ),
        (Some(p), None) => RuleSet::Profile(p.parse::<Profile>()?),
        (None, None) => RuleSet::Profile(Profile::All),
    })
}

#[allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "each subcommand's JSON result is its output on stdout; SKIP lines go to stderr"
)]
fn main() -> anyhow::Result<ExitCode> {
    match Cli::parse().command {
        Cmd::Run {
            seed,
            sizes,
            repeats,
            python,
            baseline,
            cli,
            data_dir,
            scaling_size,
            rule_counts,
        } => {
            let exe = std::env::current_exe()?;
            let exe_dir = exe.parent().context("executable directory")?.to_path_buf();
            let opts = Opts {
                seed,
                sizes,
                repeats,
                python,
                baseline: baseline.unwrap_or_else(|| {
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("python_baseline.py")
                }),
                cli: cli.unwrap_or_else(|| exe_dir.join("trailwarden")),
                data_dir: data_dir.unwrap_or_else(|| exe_dir.join("../bench-data")),
                scaling_size,
                rule_counts,
            };
            run::run(&opts)?;
        }
        Cmd::Gen { seed, records, out } => {
            let stats = if out.extension().is_some_and(|e| e == "gz") {
                gen::write_gz_file(&out, seed, records)?
            } else {
                let file = std::io::BufWriter::new(std::fs::File::create(&out)?);
                gen::write_log(file, seed, records)?
            };
            println!("{}", serde_json::to_string(&stats)?);
        }
        Cmd::Pipeline {
            file,
            profile,
            rules_toml,
        } => {
            let rules = rule_set(profile.as_deref(), rules_toml.as_deref())?;
            let r = measure::pipeline(&file, &rules)?;
            println!("{}", serde_json::to_string(&r)?);
        }
        Cmd::Stages { file } => {
            println!("{}", serde_json::to_string(&measure::stages(&file)?)?);
        }
        Cmd::RulesOnly {
            file,
            rules_toml,
            sample,
            rounds,
        } => {
            let rules = rule_set(None, Some(&rules_toml))?;
            let r = measure::rules_only(&file, &rules, sample, rounds)?;
            println!("{}", serde_json::to_string(&r)?);
        }
        Cmd::ColdStart {
            rules_toml,
            iterations,
        } => {
            let text = match &rules_toml {
                Some(p) => std::fs::read_to_string(p)?,
                None => String::new(),
            };
            let mut times = measure::cold_start(&text, iterations.max(1))?;
            let first = times[0];
            let rules = rules::Engine::from_config(
                &rules::RulesConfig::parse(&text, "defaults")?,
                measure::TODAY,
            )?
            .rules()
            .len();
            times.sort_by(f64::total_cmp);
            println!(
                "{}",
                serde_json::to_string(&run::ColdStart {
                    label: String::new(),
                    rules,
                    first_s: first,
                    min_s: times[0],
                    median_s: times[times.len() / 2],
                })?
            );
        }
        Cmd::RulesFile {
            custom_rules,
            seed,
            out,
        } => {
            std::fs::write(
                &out,
                bench::rulegen::rules_toml_all_plus(custom_rules, seed),
            )
            .with_context(|| format!("writing {}", out.display()))?;
        }
        Cmd::FunctionInit {
            bin,
            rules_file,
            runs,
        } => {
            let times = bench::init::function_init(&bin, rules_file.as_deref(), runs)?;
            println!("{}", serde_json::to_string(&times)?);
        }
        Cmd::Exec {
            out,
            lambda_memory_mb: None,
            cmd,
        } => {
            let code = run::exec(&out, &cmd)?;
            return Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)));
        }
        Cmd::Exec {
            out,
            lambda_memory_mb: Some(mb),
            cmd,
        } => match bench::cgroup::exec_limited(mb, &cmd)? {
            Ok(report) => {
                run::write_json(&out, &report)?;
                return Ok(match report.exec.code {
                    Some(0) => ExitCode::SUCCESS,
                    _ => ExitCode::FAILURE,
                });
            }
            Err(reason) => {
                eprintln!("exec --lambda-memory-mb {mb}: SKIP: {reason}");
                run::write_json(&out, &serde_json::json!({ "skipped": reason }))?;
            }
        },
        Cmd::FastPath {
            events,
            warmup,
            out,
        } => {
            let report = bench::fast_path::run(&bench::fast_path::Opts { events, warmup })?;
            if let Some(out) = out {
                run::write_json(&out, &report)?;
            }
            print!("{}", bench::fast_path::markdown(&report));
        }
        Cmd::CgroupEnter { procs, cmd } => bench::cgroup::enter_and_exec(&procs, &cmd)?,
    }
    Ok(ExitCode::SUCCESS)
}
