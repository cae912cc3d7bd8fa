//! The SNS adapter: the message encoding, PublishBatch packing, per-entry failure handling and retries, with a
//! fake batch publisher.

use alerter::ports::{AlertSink, OutgoingAlert, SinkError};
use alerter::publish::{
    pack, sns_size, BatchPublisher, CallFailure, EntryFailure, RetryPolicy, RetryingSink, SnsEntry,
    MAX_SNS_BYTES,
};
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

/// Rejects each listed finding id a number of times (or forever), with the given fault.
#[derive(Default)]
struct FakeSns {
    reject: Mutex<HashMap<String, (u32, bool)>>,
    whole_call_failures: Mutex<u32>,
    calls: Mutex<Vec<Vec<String>>>,
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

impl BatchPublisher for FakeSns {
    async fn publish_batch(&self, batch: &[&SnsEntry]) -> Result<Vec<EntryFailure>, CallFailure> {
        assert!(batch.len() <= 10);
        assert!(batch.iter().map(|m| m.sns_size()).sum::<usize>() <= MAX_SNS_BYTES);
        self.calls
            .lock()
            .unwrap()
            .push(batch.iter().map(|m| m.finding_id.clone()).collect());
        {
            let mut n = self.whole_call_failures.lock().unwrap();
            if *n > 0 {
                *n -= 1;
                return Err(CallFailure {
                    message: "ThrottlingException: Rate exceeded".into(),
                    retryable: true,
                });
            }
        }
        let mut failures = Vec::new();
        let mut reject = self.reject.lock().unwrap();
        for (index, m) in batch.iter().enumerate() {
            match reject.get_mut(&m.finding_id) {
                Some((times, sender_fault)) if *times > 0 => {
                    *times -= 1;
                    failures.push(EntryFailure {
                        index,
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
                _ => self.delivered.lock().unwrap().push(m.finding_id.clone()),
            }
        }
        Ok(failures)
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
    } = err;
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
async fn sender_faults_are_not_retried() {
    let sink = RetryingSink::new(FakeSns::default().reject("f02", 1, true), policy(5));
    let err = sink.publish(&ids(3)).await.unwrap_err();
    assert!(
        matches!(err, SinkError::Unpublished { unpublished: 1, .. }),
        "{err}"
    );
    assert_eq!(sink.publisher().calls.lock().unwrap().len(), 1);
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
