//! S3 inputs (`s3://bucket/prefix`): listing with pagination, pruning whole days by the date in the key,
//! classifying keys exactly as the Lambda does, and streaming objects into the log reader.
//!
//! The SDK is async; the CLI's workers are plain threads. One tokio runtime serves every thread: listing and
//! GetObject run with `block_on`, and an object's body is read through [`SyncIoBridge`], so an object is
//! decompressed and parsed as it arrives, never held whole in memory.

use crate::location::{Found, LogFile, OpenError, Skip};
use crate::window::{DatePosition, Window};
use anyhow::Context as _;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::ProvideCredentials;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::Client;
use cloudtrail::{classify_object, key_date, KeyDate, KeyKind, LogReader, ReaderOptions};
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tokio::runtime::Runtime;
use tokio_util::io::SyncIoBridge;

/// The region used when none is configured (profile, environment): only to find the bucket's own region.
const FALLBACK_REGION: &str = "us-east-1";

/// AWS access for a run: the runtime, the SDK configuration (credentials from `--aws-profile` or the default
/// chain) and one client per bucket, in the bucket's region.
pub struct S3 {
    rt: Runtime,
    sdk: aws_config::SdkConfig,
    /// Per bucket: the client for its region, or why the bucket cannot be used.
    clients: Mutex<HashMap<String, Result<Client, String>>>,
}

impl S3 {
    /// Loads the AWS configuration (`--aws-profile NAME`, else the default credential chain).
    pub fn connect(profile: Option<&str>) -> anyhow::Result<S3> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime for S3")?;
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
        if let Some(name) = profile {
            loader = loader.profile_name(name);
        }
        let sdk = rt.block_on(loader.load());
        // Without credentials nothing can be read: say so once, clearly, rather than once per prefix.
        if let Some(provider) = sdk.credentials_provider() {
            if let Err(e) = rt.block_on(provider.provide_credentials()) {
                anyhow::bail!(
                    "cannot load AWS credentials for the s3:// paths{}: {}",
                    profile
                        .map(|p| format!(" (--aws-profile {p})"))
                        .unwrap_or_default(),
                    chain(&e)
                );
            }
        }
        Ok(S3 {
            rt,
            sdk,
            clients: Mutex::new(HashMap::new()),
        })
    }

    /// A client for `region` (or the configured one), built as the Lambda builds it
    /// ([`trailwarden_aws::s3_config`]: path-style addressing when an endpoint override is set).
    fn client_in(&self, region: Option<&str>) -> Client {
        let mut conf = trailwarden_aws::s3_config(&self.sdk);
        match region {
            Some(r) => conf = conf.region(aws_sdk_s3::config::Region::new(r.to_owned())),
            None if self.sdk.region().is_none() => {
                conf = conf.region(aws_sdk_s3::config::Region::new(FALLBACK_REGION))
            }
            None => {}
        }
        Client::from_conf(conf.build())
    }

    /// The client for a bucket: HeadBucket tells its region (also from the error of a wrong-region call),
    /// and whether it exists and may be read. Cached per bucket.
    pub fn client(&self, bucket: &str) -> Result<Client, String> {
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = clients.get(bucket) {
            return found.clone();
        }
        let found = self.rt.block_on(self.resolve(bucket));
        clients.insert(bucket.to_owned(), found.clone());
        found
    }

    async fn resolve(&self, bucket: &str) -> Result<Client, String> {
        let client = self.client_in(None);
        let configured = client.config().region().map(|r| r.as_ref().to_owned());
        match client.head_bucket().bucket(bucket).send().await {
            Ok(out) => match out.bucket_region() {
                Some(r) if Some(r) != configured.as_deref() => Ok(self.client_in(Some(r))),
                _ => Ok(client),
            },
            Err(e) => {
                let region = e
                    .raw_response()
                    .and_then(|r| r.headers().get("x-amz-bucket-region"))
                    .map(str::to_owned);
                match region {
                    Some(r) if Some(r.as_str()) != configured.as_deref() => {
                        let regional = self.client_in(Some(&r));
                        regional
                            .head_bucket()
                            .bucket(bucket)
                            .send()
                            .await
                            .map_err(|e| describe_head(&e))?;
                        Ok(regional)
                    }
                    _ => Err(describe_head(&e)),
                }
            }
        }
    }

    /// The objects under `s3://bucket/prefix`, as the walk of a local directory gives files.
    pub fn list<'a>(
        &'a self,
        bucket: &str,
        prefix: &str,
        window: Window,
    ) -> Listing<SdkLister<'a>> {
        let client = self.client(bucket);
        Listing::new(
            SdkLister {
                s3: self,
                bucket: bucket.to_owned(),
                client,
            },
            bucket,
            prefix,
            window,
        )
    }

    /// Opens an object for reading record by record, streaming its body.
    pub fn open(
        &self,
        bucket: &str,
        key: &str,
        options: ReaderOptions,
    ) -> Result<LogReader<'static>, OpenError> {
        let client = self.client(bucket).map_err(OpenError::Fetch)?;
        let out = self
            .rt
            .block_on(client.get_object().bucket(bucket).key(key).send())
            .map_err(|e| OpenError::Fetch(describe(&e)))?;
        let body =
            SyncIoBridge::new_with_handle(out.body.into_async_read(), self.rt.handle().clone());
        LogReader::new(body, options).map_err(OpenError::Read)
    }
}

/// Why HeadBucket failed: HEAD responses have no body, so the status says what the error is.
fn describe_head<E>(e: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match e.raw_response().map(|r| r.status().as_u16()) {
        Some(404) => "NoSuchBucket: the bucket does not exist".to_owned(),
        Some(403) => {
            "AccessDenied: not allowed to list the bucket (check --aws-profile and the bucket policy)"
                .to_owned()
        }
        _ => describe(e),
    }
}

/// A short reason for an S3 error: the service's code and message when there is one, else the SDK's full
/// error chain (e.g. a connection or credentials problem).
fn describe<E>(e: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    if let Some(service) = e.as_service_error() {
        match (service.code(), service.message()) {
            (Some(code), Some(message)) => return format!("{code}: {message}"),
            (Some(code), None) => return code.to_owned(),
            _ => {}
        }
    }
    if let SdkError::ServiceError(s) = e {
        return format!("HTTP {}", s.raw().status().as_u16());
    }
    chain(e)
}

/// An error and its causes, `: `-separated (without the SDK's debug dump of the whole error).
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let next = c.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        cause = c.source();
    }
    text
}

/// One ListObjectsV2 request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub prefix: String,
    /// Continue a listing.
    pub token: Option<String>,
    /// Start a new listing after this key (to jump over days out of the window).
    pub start_after: Option<String>,
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    pub key: String,
    pub size: Option<i64>,
}

/// One page of a listing.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub objects: Vec<Object>,
    /// Set when the listing continues.
    pub next_token: Option<String>,
}

/// ListObjectsV2, abstracted so the pruning can be tested without S3.
pub trait ListObjects {
    fn list(&mut self, request: &Request) -> Result<Page, String>;
}

/// The SDK's ListObjectsV2.
pub struct SdkLister<'a> {
    s3: &'a S3,
    bucket: String,
    client: Result<Client, String>,
}

impl ListObjects for SdkLister<'_> {
    fn list(&mut self, request: &Request) -> Result<Page, String> {
        let client = self.client.as_ref().map_err(Clone::clone)?;
        let out = self
            .s3
            .rt
            .block_on(
                client
                    .list_objects_v2()
                    .bucket(&self.bucket)
                    .prefix(&request.prefix)
                    .set_continuation_token(request.token.clone())
                    .set_start_after(request.start_after.clone())
                    .send(),
            )
            .map_err(|e| describe(&e))?;
        let objects = out
            .contents()
            .iter()
            .filter_map(|o| {
                Some(Object {
                    key: o.key()?.to_owned(),
                    size: o.size(),
                })
            })
            .collect();
        let next_token = if out.is_truncated() == Some(true) {
            out.next_continuation_token().map(str::to_owned)
        } else {
            None
        };
        Ok(Page {
            objects,
            next_token,
        })
    }
}

enum Next {
    Start,
    Token(String),
    StartAfter(String),
    Done,
}

/// The [`Found`] items of an S3 prefix, page by page.
///
/// With `--since`/`--until`, a key whose date is before the window makes the listing jump (`StartAfter`) to
/// the first day of the window under the same `…/<region>/`, and a key after the window makes it jump past
/// that region: whole days, and the rest of a region, are never listed.
pub struct Listing<L> {
    lister: L,
    bucket: String,
    prefix: String,
    window: Window,
    next: Next,
    buffered: VecDeque<Found>,
}

impl<L: ListObjects> Listing<L> {
    pub fn new(lister: L, bucket: &str, prefix: &str, window: Window) -> Self {
        Listing {
            lister,
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            window,
            next: Next::Start,
            buffered: VecDeque::new(),
        }
    }

    /// Takes one page's objects; returns where to jump when a key is out of the window.
    fn take(&mut self, objects: Vec<Object>) -> Option<String> {
        for object in objects {
            // An object named exactly is always read, as a file named on the command line is.
            if object.key == self.prefix {
                self.buffered.push_back(self.file(object.key));
                continue;
            }
            if let Some(KeyDate {
                prefix: region_prefix,
                date,
            }) = key_date(&object.key)
            {
                match self.window.position(date) {
                    DatePosition::Inside => {}
                    DatePosition::Before => {
                        let first = self.window.first_day()?;
                        return Some(format!("{region_prefix}{}", first.format("%Y/%m/%d")));
                    }
                    DatePosition::After => return Some(past(region_prefix)),
                }
            }
            self.buffered
                .push_back(match classify_object(&object.key, object.size) {
                    KeyKind::Log(_) => self.file(object.key),
                    KeyKind::Skip(r) => Found::Skipped(Skip::from(r)),
                });
        }
        None
    }

    fn file(&self, key: String) -> Found {
        Found::File(LogFile::S3 {
            bucket: self.bucket.clone(),
            key,
        })
    }
}

/// The smallest key after every key that starts with `prefix` (which ends in `/`): `/` + 1 is `0`.
fn past(prefix: &str) -> String {
    let base = prefix.strip_suffix('/').unwrap_or(prefix);
    format!("{base}0")
}

impl<L: ListObjects> Iterator for Listing<L> {
    type Item = Found;

    fn next(&mut self) -> Option<Found> {
        loop {
            if let Some(found) = self.buffered.pop_front() {
                return Some(found);
            }
            let (token, start_after) = match std::mem::replace(&mut self.next, Next::Done) {
                Next::Done => return None,
                Next::Start => (None, None),
                Next::Token(t) => (Some(t), None),
                Next::StartAfter(k) => (None, Some(k)),
            };
            let request = Request {
                prefix: self.prefix.clone(),
                token,
                start_after,
            };
            match self.lister.list(&request) {
                Err(error) => {
                    return Some(Found::Failed {
                        name: format!("s3://{}/{}", self.bucket, self.prefix),
                        error,
                    })
                }
                Ok(page) => {
                    if let Some(t) = page.next_token {
                        self.next = Next::Token(t);
                    }
                    if let Some(jump) = self.take(page.objects) {
                        self.next = Next::StartAfter(jump);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::Bound;

    /// An in-memory bucket that pages like S3 (sorted keys, `page` keys per page) and records the requests.
    struct Fake {
        keys: Vec<(String, i64)>,
        page: usize,
        requests: Vec<Request>,
    }

    impl ListObjects for Fake {
        fn list(&mut self, request: &Request) -> Result<Page, String> {
            self.requests.push(request.clone());
            let after = request
                .token
                .as_deref()
                .or(request.start_after.as_deref())
                .unwrap_or("");
            let matching: Vec<&(String, i64)> = self
                .keys
                .iter()
                .filter(|(k, _)| k.starts_with(&request.prefix) && k.as_str() > after)
                .collect();
            let objects: Vec<Object> = matching
                .iter()
                .take(self.page)
                .map(|(k, s)| Object {
                    key: k.clone(),
                    size: Some(*s),
                })
                .collect();
            let next_token =
                (matching.len() > self.page).then(|| objects.last().unwrap().key.clone());
            Ok(Page {
                objects,
                next_token,
            })
        }
    }

    fn log(region: &str, day: &str, n: u32) -> String {
        let a = "111122223333";
        format!(
            "AWSLogs/{a}/CloudTrail/{region}/{day}/{a}_CloudTrail_{region}_{}T0000Z_{n}.json.gz",
            day.replace('/', "")
        )
    }

    fn bucket() -> Vec<(String, i64)> {
        let mut keys = Vec::new();
        for region in ["eu-west-1", "us-east-1"] {
            for day in 1..=9 {
                for n in 0..3 {
                    keys.push((log(region, &format!("2024/01/{day:02}"), n), 100));
                }
            }
        }
        keys.push((
            "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/05/d.json.gz".into(),
            100,
        ));
        keys.push(("AWSLogs/111122223333/CloudTrail/".into(), 0));
        keys.push((
            "AWSLogs/111122223333/Config/ConfigWritabilityCheckFile".into(),
            10,
        ));
        keys.push((log("us-east-1", "2024/01/05", 9), 0));
        keys.sort();
        keys
    }

    fn run(prefix: &str, window: Window, page: usize) -> (Vec<String>, Vec<String>, Vec<Request>) {
        let fake = Fake {
            keys: bucket(),
            page,
            requests: Vec::new(),
        };
        let mut listing = Listing::new(fake, "b", prefix, window);
        let (mut files, mut skips) = (Vec::new(), Vec::new());
        for found in listing.by_ref() {
            match found {
                Found::File(LogFile::S3 { key, .. }) => files.push(key),
                Found::Skipped(s) => skips.push(s.to_string()),
                other => panic!("{other:?}"),
            }
        }
        (files, skips, listing.lister.requests)
    }

    #[test]
    fn lists_every_page_and_skips_like_the_lambda() {
        let (files, mut skips, requests) = run("AWSLogs/", Window::default(), 7);
        assert_eq!(files.len(), 2 * 9 * 3);
        skips.sort();
        assert_eq!(
            skips,
            ["digest", "empty_object", "empty_object", "not_cloudtrail"]
        );
        // 58 keys, 7 per page.
        assert_eq!(requests.len(), 9);
        assert!(requests[1..].iter().all(|r| r.token.is_some()));
    }

    #[test]
    fn jumps_over_days_outside_the_window() {
        let w = Window::new(
            Some(Bound::parse("2024-01-04").unwrap()),
            Some(Bound::parse("2024-01-05").unwrap()),
        )
        .unwrap();
        let (files, skips, requests) = run("AWSLogs/", w, 1000);
        // Days 3..=6 (one day of margin on each side), both regions.
        assert_eq!(files.len(), 2 * 4 * 3, "{files:#?}");
        for key in &files {
            assert!(
                ["03", "04", "05", "06"]
                    .iter()
                    .any(|d| key.contains(&format!("/2024/01/{d}/"))),
                "{key}"
            );
        }
        assert_eq!(
            skips,
            ["digest", "empty_object", "empty_object", "not_cloudtrail"]
        );
        let jumps: Vec<&str> = requests
            .iter()
            .filter_map(|r| r.start_after.as_deref())
            .collect();
        assert_eq!(
            jumps,
            [
                "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/01/03",
                "AWSLogs/111122223333/CloudTrail/eu-west-10",
                "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/03",
                "AWSLogs/111122223333/CloudTrail/us-east-10",
            ]
        );
    }

    #[test]
    fn an_object_named_exactly_is_read() {
        let key = "AWSLogs/111122223333/Config/ConfigWritabilityCheckFile";
        let (files, skips, _) = run(key, Window::default(), 1000);
        assert_eq!(files, [key]);
        assert!(skips.is_empty());
    }

    #[test]
    fn past_a_prefix() {
        assert_eq!(past("a/us-east-1/"), "a/us-east-10");
        assert!("a/us-east-1/2099/12/31/x" < past("a/us-east-1/").as_str());
        assert!("a/us-east-2/" > past("a/us-east-1/").as_str());
    }
}
