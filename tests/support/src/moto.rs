//! A real local AWS endpoint (`moto_server`) started on 127.0.0.1 and a free port, SDK configuration pointed
//! at it, and the SNS -> SQS helpers the end-to-end and CLI tests share.
//!
//! Every server is owned by a [`MotoServer`] guard that kills the process by PID when dropped, which also
//! happens when a test panics.

use crate::paths::repo_root;
use anyhow::{bail, Context as _};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long to wait for moto_server to answer before giving up (a readiness wait, not a timing assertion).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Finds `moto_server`: `$MOTO_SERVER`, then the project's `.venv` (installed by `make`), then `PATH`.
pub fn moto_server_exe() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        return Ok(PathBuf::from(p));
    }
    let venv = repo_root().join(".venv/bin/moto_server");
    if venv.is_file() {
        return Ok(venv);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("moto_server");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!("moto_server not found: run `make test` (it installs moto[server] into .venv) or set MOTO_SERVER")
}

/// A running moto_server, stopped (by PID) when dropped.
pub struct MotoServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

fn free_port() -> anyhow::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// A minimal HTTP/1.0 request to the server, returning the status code.
fn http(port: u16, method: &str, path: &str) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    let text = String::from_utf8_lossy(&head);
    text.get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad HTTP response: {text}")))
}

impl MotoServer {
    /// Starts moto_server on 127.0.0.1 and a free port and waits until it answers.
    pub fn start() -> anyhow::Result<MotoServer> {
        let exe = moto_server_exe()?;
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!("trailwarden-moto-{port}.log"));
        let log_file = std::fs::File::create(&log)?;
        let child = Command::new(&exe)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("starting {}", exe.display()))?;
        let mut server = MotoServer { child, port, log };
        let started = Instant::now();
        loop {
            if let Ok(200) = http(port, "GET", "/moto-api/") {
                return Ok(server);
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("moto_server exited ({status}): {}", server.log_tail());
            }
            if started.elapsed() > READY_TIMEOUT {
                bail!(
                    "moto_server did not answer on port {port}: {}",
                    server.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The body of a GET on the server, e.g. `/moto-api/data.json` (moto's view of every resource, including
    /// each SNS topic's `sent_notifications`).
    pub fn get(&self, path: &str) -> anyhow::Result<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")?;
        let mut response = String::new();
        s.read_to_string(&mut response)?;
        let (head, body) = response
            .split_once("\r\n\r\n")
            .ok_or_else(|| anyhow::anyhow!("bad HTTP response from moto"))?;
        if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
            bail!("GET {path}: {}", head.lines().next().unwrap_or_default());
        }
        Ok(body.to_owned())
    }

    /// Forgets every resource (`POST /moto-api/reset`).
    pub fn reset(&self) -> anyhow::Result<()> {
        match http(self.port, "POST", "/moto-api/reset")? {
            200 => Ok(()),
            s => bail!("moto reset returned HTTP {s}"),
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let start = text.len().saturating_sub(2000);
        text.get(start..).unwrap_or_default().to_owned()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// SDK configuration for the emulator: fixed dummy credentials, us-east-1, the endpoint override.
pub async fn sdk_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "trailwarden-e2e",
        ))
        .load()
        .await
}

/// A new SQS queue: its URL and its ARN (what SNS subscriptions and EventBridge targets name).
pub async fn queue(sqs: &aws_sdk_sqs::Client, name: &str) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName;
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    (url, arn)
}

/// A new SQS queue subscribed to an SNS topic (optionally with a message-attribute filter policy); its URL.
pub async fn subscribed_queue(
    sns: &aws_sdk_sns::Client,
    sqs: &aws_sdk_sqs::Client,
    topic_arn: &str,
    name: &str,
    filter_policy: Option<&str>,
) -> String {
    let (url, arn) = queue(sqs, name).await;
    let mut sub = sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(arn);
    if let Some(policy) = filter_policy {
        sub = sub
            .attributes("FilterPolicyScope", "MessageAttributes")
            .attributes("FilterPolicy", policy);
    }
    sub.send().await.unwrap();
    url
}

/// Every SNS envelope waiting in the queue (SNS→SQS delivery is synchronous in moto), deleting them.
pub async fn drain_queue(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let msgs = got.messages.unwrap_or_default();
        if msgs.is_empty() {
            return out;
        }
        for m in msgs {
            out.push(serde_json::from_str(m.body.as_deref().unwrap()).unwrap());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle.unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

/// The sample S3 `ObjectCreated:Put` notification (`events/s3-put.json`) with its one record's object key set to
/// `key`: what S3 sends the function for a log file. Callers change other fields (bucket, size) as they need.
pub fn s3_put_event(key: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(repo_root().join("events/s3-put.json"))
        .expect("events/s3-put.json");
    let mut event: serde_json::Value =
        serde_json::from_str(&text).expect("events/s3-put.json is JSON");
    event["Records"][0]["s3"]["object"]["key"] = serde_json::Value::from(key);
    event
}
