//! The SNS adapter: the message encoding, PublishBatch packing, per-entry failure handling and retries, with a
//! fake batch publisher.

use alerter::adapters::sns::{
    account, pack, sns_size, BatchOutcome, BatchPublisher, CallFailure, EntryFailure, RetryPolicy,
    RetryingSink, SnsEntry, MAX_SNS_BYTES, UNACCOUNTED,
};
use alerter::ports::{AlertSink, OutgoingAlert, SinkError};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

fn message(id: &str, body_bytes: usize) -> OutgoingAlert {
    OutgoingAlert {
        finding_id: id.to_owned(),
        subject: format!("[HIGH] test {id}"),
        json: "x".repeat(body_bytes),
        email: String::new(),
        sms: String::new(),
        attributes: vec![
            ("severity", "high".to_owned()),
            ("finding_id", id.to_owned()),
        ],
    }
}

/// Rejects each listed finding id a number of times (or forever), with the given fault; can garble or leave
/// out entries of its result, or hang.
#[derive(Default)]
struct FakeSns {
    reject: Mutex<HashMap<String, (u32, bool)>>,
    whole_call_failures: Mutex<u32>,
    /// Results whose failed entries carry an id that cannot be read.
    garbled_ids: Mutex<u32>,
    /// Results that leave the last entry out (neither successful nor failed).
    short_results: Mutex<u32>,
    /// Every call hangs (for deadline tests, under paused time).
    hang: bool,
    calls: Mutex<Vec<Vec<String>>>,
    /// Every entry sent, in order.
    sent: Mutex<Vec<SnsEntry>>,
    delivered: Mutex<Vec<String>>,
}

impl FakeSns {
    fn reject(self, id: &str, times: u32, sender_fault: bool) -> Self {
        self.reject
            .lock()
            .unwrap()
            .insert(id.to_owned(), (times, sender_fault));
        self
    }
}

fn take_one(n: &Mutex<u32>) -> bool {
    let mut n = n.lock().unwrap();
    let some = *n > 0;
    *n = n.saturating_sub(1);
    some
}

impl BatchPublisher for FakeSns {
    async fn publish_batch(&self, batch: &[&SnsEntry]) -> Result<BatchOutcome, CallFailure> {
        assert!(batch.len() <= 10);
        assert!(batch.iter().map(|m| m.sns_size()).sum::<usize>() <= MAX_SNS_BYTES);
        self.calls
            .lock()
            .unwrap()
            .push(batch.iter().map(|m| m.finding_id.clone()).collect());
        self.sent
            .lock()
            .unwrap()
            .extend(batch.iter().map(|m| (*m).clone()));
        if self.hang {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        if take_one(&self.whole_call_failures) {
            return Err(CallFailure {
                message: "ThrottlingException: Rate exceeded".into(),
                retryable: true,
            });
        }
        let garbled = take_one(&self.garbled_ids);
        let short = take_one(&self.short_results);
        let mut outcome = BatchOutcome::default();
        let mut reject = self.reject.lock().unwrap();
        for (index, m) in batch.iter().enumerate() {
            if short && index + 1 == batch.len() {
                // Published, but left out of the result.
                self.delivered.lock().unwrap().push(m.finding_id.clone());
                continue;
            }
            match reject.get_mut(&m.finding_id) {
                Some((times, sender_fault)) if *times > 0 => {
                    *times -= 1;
                    outcome.failed.push(EntryFailure {
                        id: if garbled {
                            format!("entry-{index}\u{fffd}")
                        } else {
                            index.to_string()
                        },
                        code: if *sender_fault {
                            "InvalidParameter"
                        } else {
                            "InternalError"
                        }
                        .into(),
                        message: "rejected by the fake".into(),
                        sender_fault: *sender_fault,
                    });
                }
                _ => {
                    self.delivered.lock().unwrap().push(m.finding_id.clone());
                    outcome.successful.push(index.to_string());
                }
            }
        }
        Ok(outcome)
    }
}

fn policy(attempts: u32) -> RetryPolicy {
    // No real waiting in tests.
    RetryPolicy {
        attempts,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    }
}

fn ids(n: usize) -> Vec<OutgoingAlert> {
    (0..n).map(|i| message(&format!("f{i:02}"), 100)).collect()
}

#[tokio::test]
async fn rejected_entries_are_retried_until_published() {
    let sink = RetryingSink::new(
        FakeSns::default()
            .reject("f03", 2, false)
            .reject("f11", 1, false),
        policy(5),
    );
    sink.publish(&ids(12)).await.unwrap();
    let fake = sink.publisher();
    let mut delivered = fake.delivered.lock().unwrap().clone();
    delivered.sort();
    assert_eq!(
        delivered,
        ids(12)
            .iter()
            .map(|m| m.finding_id.clone())
            .collect::<Vec<_>>()
    );
    let calls = fake.calls.lock().unwrap();
    assert_eq!(calls[0].len(), 10);
    assert_eq!(calls[1].len(), 2);
    assert_eq!(
        calls[2],
        ["f03", "f11"],
        "only the rejected entries are sent again"
    );
    assert_eq!(calls[3], ["f03"]);
    assert_eq!(calls.len(), 4);
}

#[tokio::test]
async fn entries_that_keep_failing_fail_the_publish() {
    let sink = RetryingSink::new(FakeSns::default().reject("f01", u32::MAX, false), policy(3));
    let err = sink.publish(&ids(4)).await.unwrap_err();
    let SinkError::Unpublished {
        unpublished,
        total,
        last_error,
    } = err
    else {
        panic!("{err:?}")
    };
    assert_eq!((unpublished, total), (1, 4));
    assert!(last_error.contains("InternalError"), "{last_error}");
    assert_eq!(
        sink.publisher().calls.lock().unwrap().len(),
        3,
        "one call per attempt"
    );
    assert_eq!(sink.publisher().delivered.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn sender_faults_are_not_retried_as_is_but_resent_once_minimal() {
    let sink = RetryingSink::new(FakeSns::default().reject("f02", 1, true), policy(5));
    sink.publish(&ids(3)).await.unwrap();
    let calls = sink.publisher().calls.lock().unwrap().clone();
    assert_eq!(calls, [vec!["f00", "f01", "f02"], vec!["f02"]]);
    let sent = sink.publisher().sent.lock().unwrap();
    assert_ne!(
        sent[2].message, sent[3].message,
        "the second time, another rendering"
    );
}

/// Alerts that look like the handler's: a finding's JSON body, attributes, and text from the record.
fn realistic(i: usize) -> OutgoingAlert {
    let id = format!("f{i:02}");
    let key = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/été\u{202e}.json.gz";
    OutgoingAlert {
        finding_id: id.clone(),
        subject: format!("[CRITICAL] CloudTrail logging stopped \u{2028} {id}"),
        json: serde_json::json!({
            "schema_version": 1, "kind": "finding", "finding_id": id,
            "rule_id": "cloudtrail-stopped-or-deleted", "severity": "critical",
            "event_id": format!("evt-{i}"), "bucket": "logs", "key": key,
            "record": {"userAgent": "x".repeat(5000)},
        })
        .to_string(),
        email: format!("email body of {id}\n\u{202e}reversed"),
        sms: format!("sms {id}"),
        attributes: vec![
            ("kind", "finding".to_owned()),
            ("severity", "critical".to_owned()),
            ("rule_id", "cloudtrail-stopped-or-deleted".to_owned()),
            ("event_name", "Stop\u{200b}Logging".to_owned()),
            ("finding_id", id),
        ],
    }
}

#[tokio::test]
async fn one_invalid_alert_among_ten_the_nine_are_published_and_it_is_resent_minimal() {
    let alerts: Vec<OutgoingAlert> = (0..10).map(realistic).collect();
    let sink = RetryingSink::new(FakeSns::default().reject("f04", 1, true), policy(5));
    sink.publish(&alerts).await.unwrap();
    let fake = sink.publisher();
    let mut delivered = fake.delivered.lock().unwrap().clone();
    delivered.sort();
    assert_eq!(
        delivered,
        (0..10).map(|i| format!("f{i:02}")).collect::<Vec<_>>()
    );
    let calls = fake.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1], ["f04"], "only the rejected alert is sent again");
    let sent = fake.sent.lock().unwrap();
    let minimal = sent.last().unwrap();
    // The minimal rendering: ASCII subject and bodies, the ids and the log file's location.
    assert!(minimal.subject.is_ascii() && minimal.subject.chars().all(|c| !c.is_control()));
    assert!(minimal.subject.len() <= 100, "{}", minimal.subject);
    assert!(minimal.subject.contains("CRITICAL"), "{}", minimal.subject);
    assert!(minimal.message.is_ascii(), "{}", minimal.message);
    let structure: Value = serde_json::from_str(&minimal.message).unwrap();
    let body: Value = serde_json::from_str(structure["default"].as_str().unwrap()).unwrap();
    assert_eq!(body["rendering"], "minimal");
    assert_eq!(body["finding_id"], "f04");
    assert_eq!(body["rule_id"], "cloudtrail-stopped-or-deleted");
    assert_eq!(body["severity"], "critical");
    assert_eq!(body["event_id"], "evt-4");
    assert_eq!(body["bucket"], "logs");
    assert_eq!(
        body["key"], "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/15/été\u{202e}.json.gz",
        "the exact key, escaped to ASCII on the wire"
    );
    assert!(body.get("record").is_none());
    assert!(
        minimal.message.len() < 2048,
        "short: {}",
        minimal.message.len()
    );
    for part in ["email", "sms"] {
        let text = structure[part].as_str().unwrap();
        assert!(
            text.chars().all(|c| c == '\n' || (' '..='~').contains(&c)),
            "{part}: {text:?}"
        );
    }
    // Filter policies on severity and rule id still route it; values from the record are dropped.
    let names: Vec<&str> = minimal.attributes.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["kind", "severity", "rule_id", "finding_id"]);
}

#[tokio::test]
async fn an_alert_rejected_also_in_its_minimal_rendering_fails_the_publish_naming_it() {
    let alerts: Vec<OutgoingAlert> = (0..10).map(realistic).collect();
    let sink = RetryingSink::new(FakeSns::default().reject("f04", 2, true), policy(5));
    let err = sink.publish(&alerts).await.unwrap_err();
    let SinkError::Rejected {
        finding_ids,
        unpublished,
        total,
        last_error,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(finding_ids, &["f04"]);
    assert_eq!((*unpublished, *total), (1, 10));
    assert!(last_error.contains("InvalidParameter"), "{last_error}");
    assert!(err.to_string().contains("f04"), "{err}");
    assert_eq!(sink.publisher().delivered.lock().unwrap().len(), 9);
    assert_eq!(
        sink.publisher().calls.lock().unwrap().len(),
        2,
        "sent minimal once, not again"
    );
}

#[tokio::test]
async fn an_entry_whose_id_cannot_be_read_counts_as_failed() {
    // The fake rejects f02 (retryably) under an id that is not one that was sent: before, the entry was
    // never matched and counted as delivered.
    let fake = FakeSns::default().reject("f02", 1, false);
    *fake.garbled_ids.lock().unwrap() = 1;
    let sink = RetryingSink::new(fake, policy(1));
    let err = sink.publish(&ids(3)).await.unwrap_err();
    assert!(
        matches!(err, SinkError::Unpublished { total: 3, .. }),
        "{err:?}"
    );
    assert!(err.unpublished() >= 1, "{err}");
    // With a retry, the unaccounted batch is sent again and f02 arrives.
    let fake = FakeSns::default().reject("f02", 1, false);
    *fake.garbled_ids.lock().unwrap() = 1;
    let sink = RetryingSink::new(fake, policy(2));
    sink.publish(&ids(3)).await.unwrap();
    let calls = sink.publisher().calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 2);
    assert!(calls[1].contains(&"f02".to_owned()), "{calls:?}");
    assert!(sink
        .publisher()
        .delivered
        .lock()
        .unwrap()
        .contains(&"f02".to_owned()));
}

#[tokio::test]
async fn a_result_that_does_not_add_up_fails_the_batch() {
    // 10 sent, 9 reported successful, none failed: the batch counts as failed and is sent again whole.
    let fake = FakeSns::default();
    *fake.short_results.lock().unwrap() = 1;
    let sink = RetryingSink::new(fake, policy(1));
    let err = sink.publish(&ids(10)).await.unwrap_err();
    assert!(
        matches!(
            &err,
            SinkError::Unpublished { unpublished: 10, total: 10, last_error } if last_error.starts_with(UNACCOUNTED)
        ),
        "{err:?}"
    );
    let fake = FakeSns::default();
    *fake.short_results.lock().unwrap() = 1;
    let sink = RetryingSink::new(fake, policy(2));
    sink.publish(&ids(10)).await.unwrap();
    let calls = sink.publisher().calls.lock().unwrap().clone();
    assert_eq!(
        calls.iter().map(Vec::len).collect::<Vec<_>>(),
        [10, 10],
        "at least once: the whole batch again"
    );
}

#[test]
fn accounting_trusts_a_result_only_when_it_adds_up() {
    let ok = |ids: &[&str]| BatchOutcome {
        successful: ids.iter().map(|s| (*s).to_owned()).collect(),
        failed: vec![],
    };
    let failure = |id: &str| EntryFailure {
        id: id.to_owned(),
        code: "InternalError".into(),
        message: "m".into(),
        sender_fault: false,
    };
    let delivered = |r: &[Result<(), EntryFailure>]| r.iter().filter(|r| r.is_ok()).count();
    assert_eq!(delivered(&account(3, &ok(&["0", "1", "2"]))), 3);
    assert_eq!(delivered(&account(3, &ok(&["2", "0", "1"]))), 3);
    // Not every id that was sent, an id twice, ids that were never sent, or spelled differently.
    for bad in [
        vec!["0", "1"],
        vec!["0", "1", "1"],
        vec!["0", "1", "3"],
        vec!["0", "1", "+2"],
        vec!["0", "1", "02"],
        vec!["0", "1", "2", "3"],
    ] {
        let r = account(3, &ok(&bad));
        assert_eq!(delivered(&r), 0, "{bad:?}");
        assert!(r
            .iter()
            .all(|e| e.as_ref().unwrap_err().code == UNACCOUNTED));
    }
    // A failure keeps its own code; listed as successful too, the failure wins.
    let r = account(
        2,
        &BatchOutcome {
            successful: vec!["0".into()],
            failed: vec![failure("1")],
        },
    );
    assert!(r[0].is_ok());
    assert_eq!(r[1].as_ref().unwrap_err().code, "InternalError");
    let r = account(
        2,
        &BatchOutcome {
            successful: vec!["0".into(), "1".into()],
            failed: vec![failure("1")],
        },
    );
    assert_eq!(r[0].as_ref().unwrap_err().code, UNACCOUNTED);
    assert_eq!(r[1].as_ref().unwrap_err().code, "InternalError");
}

#[tokio::test(start_paused = true)]
async fn retries_stop_at_the_deadline_with_a_named_error() {
    // Retryable failures forever, far more attempts than the time allows (virtual time: the backoff
    // sleeps advance the paused clock, nothing waits for real).
    let policy = RetryPolicy {
        attempts: 1000,
        initial_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(5),
    };
    let sink = RetryingSink::new(FakeSns::default().reject("f01", u32::MAX, false), policy);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let err = sink
        .publish_until(&ids(3), Some(deadline))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SinkError::Deadline {
                unpublished: 1,
                total: 3
            }
        ),
        "{err:?}"
    );
    assert!(
        tokio::time::Instant::now() <= deadline,
        "no retry sleeps past the deadline"
    );
    let calls = sink.publisher().calls.lock().unwrap().len();
    assert!(
        calls < 10,
        "stopped long before the attempts ran out: {calls}"
    );
    assert_eq!(sink.publisher().delivered.lock().unwrap().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_call_that_hangs_is_cut_off_at_the_deadline() {
    let sink = RetryingSink::new(
        FakeSns {
            hang: true,
            ..FakeSns::default()
        },
        policy(5),
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    let err = sink
        .publish_until(&ids(3), Some(deadline))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SinkError::Deadline {
                unpublished: 3,
                total: 3
            }
        ),
        "{err:?}"
    );
    assert_eq!(tokio::time::Instant::now(), deadline);
}

#[tokio::test]
async fn throttled_calls_are_retried_whole() {
    let fake = FakeSns::default();
    *fake.whole_call_failures.lock().unwrap() = 2;
    let sink = RetryingSink::new(fake, policy(5));
    sink.publish(&ids(3)).await.unwrap();
    assert_eq!(sink.publisher().delivered.lock().unwrap().len(), 3);
    assert_eq!(sink.publisher().calls.lock().unwrap().len(), 3);
}

#[test]
fn batches_respect_entry_count_and_total_size() {
    let big: Vec<SnsEntry> = (0..5)
        .map(|i| SnsEntry::from_alert(&message(&format!("b{i}"), 100 * 1024)))
        .collect();
    let refs: Vec<&SnsEntry> = big.iter().collect();
    let batches = pack(&refs);
    assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    let small: Vec<SnsEntry> = ids(23).iter().map(SnsEntry::from_alert).collect();
    let refs: Vec<&SnsEntry> = small.iter().collect();
    assert_eq!(
        pack(&refs).iter().map(Vec::len).collect::<Vec<_>>(),
        [10, 10, 3]
    );
}

#[test]
fn alerts_become_sns_messages_with_a_body_per_protocol() {
    let alert = OutgoingAlert {
        finding_id: "f1".to_owned(),
        subject: "[HIGH] s".to_owned(),
        json: r#"{"kind":"finding"}"#.to_owned(),
        email: "line 1\nline \"2\"".to_owned(),
        sms: "HIGH: é".to_owned(),
        attributes: vec![("severity", "high".to_owned())],
    };
    let entry = SnsEntry::from_alert(&alert);
    assert_eq!(
        entry.message,
        r#"{"default":"{\"kind\":\"finding\"}","email":"line 1\nline \"2\"","sms":"HIGH: é"}"#
    );
    assert_eq!(entry.finding_id, "f1");
    assert_eq!(entry.subject, alert.subject);
    assert_eq!(entry.attributes, alert.attributes);
    assert_eq!(
        entry.sns_size(),
        entry.message.len() + "[HIGH] s".len() + "severity".len() + "String".len() + "high".len()
    );
    assert_eq!(sns_size(&alert), entry.sns_size());
}

/// Rejects, as a whole call, every batch that holds `bad` (as SNS does when one entry makes the request
/// invalid), and delivers the rest.
#[derive(Default)]
struct RejectsCallsWith {
    bad: String,
    calls: Mutex<Vec<Vec<String>>>,
    delivered: Mutex<Vec<(String, bool)>>,
}

impl BatchPublisher for RejectsCallsWith {
    async fn publish_batch(&self, batch: &[&SnsEntry]) -> Result<BatchOutcome, CallFailure> {
        self.calls
            .lock()
            .unwrap()
            .push(batch.iter().map(|m| m.finding_id.clone()).collect());
        let minimal = |m: &SnsEntry| m.message.contains(r#"\"rendering\":\"minimal\""#);
        if batch
            .iter()
            .any(|m| m.finding_id == self.bad && !minimal(m))
        {
            return Err(CallFailure {
                message: "InvalidParameter: Invalid parameter: Subject".into(),
                retryable: false,
            });
        }
        let mut outcome = BatchOutcome::default();
        for (i, m) in batch.iter().enumerate() {
            self.delivered
                .lock()
                .unwrap()
                .push((m.finding_id.clone(), minimal(m)));
            outcome.successful.push(i.to_string());
        }
        Ok(outcome)
    }
}

#[tokio::test]
async fn a_call_rejected_whole_is_split_so_only_the_bad_alert_goes_minimal() {
    let sink = RetryingSink::new(
        RejectsCallsWith {
            bad: "f06".into(),
            ..Default::default()
        },
        policy(5),
    );
    let alerts: Vec<OutgoingAlert> = (0..10).map(realistic).collect();
    sink.publish(&alerts).await.unwrap();
    let mut delivered = sink.publisher().delivered.lock().unwrap().clone();
    delivered.sort();
    let want: Vec<(String, bool)> = (0..10).map(|i| (format!("f{i:02}"), i == 6)).collect();
    assert_eq!(delivered, want, "nine in full, f06 minimal");
    let calls = sink.publisher().calls.lock().unwrap().clone();
    assert_eq!(
        calls.len(),
        1 + 10 + 1,
        "the batch, each alone, f06 minimal"
    );
}
