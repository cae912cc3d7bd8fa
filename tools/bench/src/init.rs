//! The function binary's init time, measured the way Lambda reports "Init Duration": from starting the process
//! to its first request for an invocation.
//!
//! A minimal Lambda Runtime API (one TCP listener on 127.0.0.1) stands in for the Lambda service. The function
//! starts with the environment Lambda gives it (dummy credentials, a region, the function settings) and does its
//! whole init: logging, `Config::from_env`, the AWS SDK configuration and clients, reading and compiling the
//! rules. Its first `GET /2018-06-01/runtime/invocation/next` ends the measurement; the process is then killed
//! by PID (also when the measurement fails). No request leaves the machine: the SDK resolves credentials only
//! when it first calls AWS, which init does not do unless the rules file is in S3 (a local file is used here).

use anyhow::{bail, Context};
use serde::Serialize;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long one start may take before the measurement gives up.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The request a Lambda runtime makes when it is ready for work.
const NEXT_INVOCATION: &str = "GET /2018-06-01/runtime/invocation/next ";

/// Init times of repeated cold starts, in milliseconds.
#[derive(Debug, Serialize)]
pub struct InitTimes {
    pub rules_file: Option<String>,
    pub runs: usize,
    pub min_ms: f64,
    pub median_ms: f64,
    pub max_ms: f64,
}

/// A started function process, killed and reaped when dropped (whatever happened in between).
struct Started(Child);

impl Drop for Started {
    fn drop(&mut self) {
        // Already exited is fine; either way, reap it.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `bin` `runs` times and measures each start up to its first next-invocation request.
pub fn function_init(
    bin: &Path,
    rules_file: Option<&Path>,
    runs: usize,
) -> anyhow::Result<InitTimes> {
    if runs == 0 {
        bail!("--runs must be at least 1");
    }
    let listener = TcpListener::bind("127.0.0.1:0").context("binding the fake Runtime API")?;
    listener.set_nonblocking(true)?;
    let api = listener.local_addr()?.to_string();
    let scratch = std::env::temp_dir().join(format!("trailwarden-init-{}", std::process::id()));
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        times.push(one_start(bin, rules_file, &listener, &api, &scratch)?);
    }
    times.sort_by(f64::total_cmp);
    Ok(InitTimes {
        rules_file: rules_file.map(|p| p.display().to_string()),
        runs,
        min_ms: times[0],
        median_ms: times[times.len() / 2],
        max_ms: times[times.len() - 1],
    })
}

fn one_start(
    bin: &Path,
    rules_file: Option<&Path>,
    listener: &TcpListener,
    api: &str,
    scratch: &Path,
) -> anyhow::Result<f64> {
    // Connections left over from an earlier start (a killed process's) must not be taken for this one's.
    while listener.accept().is_ok() {}
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "trailwarden-init-bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env(
            "AWS_LAMBDA_LOG_GROUP_NAME",
            "/aws/lambda/trailwarden-init-bench",
        )
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "not-a-real-secret")
        // No shared config files and no instance metadata: nothing outside this process is consulted.
        .env("AWS_CONFIG_FILE", scratch.join("no-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            scratch.join("no-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env(
            "TOPIC_ARN",
            "arn:aws:sns:us-east-1:111122223333:trailwarden-init-bench",
        )
        .env("AWS_LAMBDA_LOG_LEVEL", "WARN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(path) = rules_file {
        cmd.env("TRAILWARDEN_CONFIG", path);
    }
    let start = Instant::now();
    let mut child = Started(
        cmd.spawn()
            .with_context(|| format!("starting {}", bin.display()))?,
    );
    let stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Some(status) = child.0.try_wait()? {
                    let mut stderr = String::new();
                    if let Some(mut err) = child.0.stderr.take() {
                        std::io::Read::read_to_string(&mut err, &mut stderr).ok();
                    }
                    bail!("the function exited during init ({status}): {stderr}");
                }
                if start.elapsed() > START_TIMEOUT {
                    bail!("no request for an invocation within {START_TIMEOUT:?}");
                }
                std::thread::sleep(Duration::from_micros(200));
            }
            Err(e) => return Err(e).context("accepting the function's connection"),
        }
    };
    // The connection may come before the request line; the measurement ends at the request itself.
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(START_TIMEOUT))?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .context("reading the function's first request")?;
    let elapsed = start.elapsed();
    if !line.starts_with(NEXT_INVOCATION) {
        bail!("the function's first request was {line:?}, not a next-invocation request");
    }
    drop(child);
    Ok(elapsed.as_secs_f64() * 1e3)
}
