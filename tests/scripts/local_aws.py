#!/usr/bin/env python3
"""Small boto3 helper for `make demo`: set up the local stack on moto_server, drive both paths, read the alerts.

  local_aws.py setup   ENDPOINT BUCKET PATTERNS         -> creates the stack; prints TOPIC_ARN, QUEUE_URL,
                                                            FAST_QUEUE_URL, DEDUP_TABLE, DEDUP_MAC_KEY_ID
                                                            (shell-evaluable)
  local_aws.py fast    ENDPOINT FAST_QUEUE_URL QUEUE_URL LOGFILE EVENT_ID INVOKE_PORT WORKDIR
                                                         -> the fast path: PutEvents of one record of LOGFILE,
                                                            the rule routes it to the queue, the message is
                                                            invoked as the SQS event, the alerts are read back
  local_aws.py slow    ENDPOINT BUCKET KEY LOGFILE QUEUE_URL INVOKE_PORT EVENT_ID
                                                         -> the S3 path: the log file lands in S3 and is invoked
                                                            with events/s3-put.json; EVENT_ID's alerts must not
                                                            arrive again (the dedup table)
  local_aws.py bodies  ENDPOINT TOPIC_ARN               -> prints the email and SMS bodies of the most severe alert

boto3 comes with moto, so this needs nothing beyond `make tools`. Every wait has a deadline; `cargo lambda invoke`
runs with a timeout.
"""
import gzip
import json
import os
import subprocess
import sys
import time
import urllib.request

import boto3

# How long any one step may wait (for a message, for an invocation) before the demo fails.
STEP_TIMEOUT = 60

DETAIL_TYPES = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
    "AwsConsoleAction": "AWS Console Action via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
}


def client(service, endpoint):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def setup(endpoint, bucket, patterns_file):
    """The stack as infra/ deploys it, on moto: the trail bucket, the alert topic (an SQS inbox standing in for
    the subscribers, plus email and SMS subscriptions), the dedup table and the HMAC key that authenticates its
    marks (KeySpec HMAC_256, GENERATE_VERIFY_MAC: DEDUP_MAC_KEY_ID), and the fast path: one EventBridge rule
    per generated pattern (infra/eventbridge-patterns.json, what Terraform deploys) targeting an SQS queue."""
    s3, sns, sqs, ddb, events = (client(s, endpoint) for s in ("s3", "sns", "sqs", "dynamodb", "events"))
    s3.create_bucket(Bucket=bucket)
    topic = sns.create_topic(Name="trailwarden-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="trailwarden-demo-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="secops@example.com")
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550100",
                  Attributes={"FilterPolicy": json.dumps({"severity": ["high", "critical"]})})
    table = "trailwarden-dedup"
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "finding_id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "finding_id", "KeyType": "HASH"}])
    ddb.update_time_to_live(TableName=table,
                            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    mac_key = client("kms", endpoint).create_key(
        KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC",
        Description="trailwarden dedup marks")["KeyMetadata"]["Arn"]
    fast = sqs.create_queue(QueueName="trailwarden-fast-path")["QueueUrl"]
    fast_arn = sqs.get_queue_attributes(QueueUrl=fast, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    with open(patterns_file) as f:
        generated = json.load(f)
    state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" if generated["read_only_management_events"] else "ENABLED"
    for i, pattern in enumerate(generated["patterns"]):
        name = f"trailwarden-fast-path-{i}"
        events.put_rule(Name=name, EventPattern=json.dumps(pattern, separators=(",", ":")), State=state)
        events.put_targets(Rule=name, Targets=[{"Id": "fast-path-queue", "Arn": fast_arn}])
    print(f"TOPIC_ARN={topic}")
    print(f"QUEUE_URL={queue}")
    print(f"FAST_QUEUE_URL={fast}")
    print(f"DEDUP_TABLE={table}")
    print(f"DEDUP_MAC_KEY_ID={mac_key}")
    print(f"FAST_RULES={len(generated['patterns'])}")


def drain(sqs, queue):
    """Every message in `queue` (deleted), waiting up to STEP_TIMEOUT for the first; the time the last arrived."""
    got_all, last = [], None
    deadline = time.time() + STEP_TIMEOUT
    while time.time() < deadline:
        # Long polls until something arrives; then short polls (moto delivers synchronously) until empty.
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10,
                                  WaitTimeSeconds=0 if got_all else 1).get("Messages", [])
        if not got:
            if got_all:
                break
            continue
        last = time.time()
        for m in got:
            got_all.append(m)
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
    return got_all, last


def invoke(port, data_file):
    """`cargo lambda invoke` of the local function (under `cargo lambda watch`) with the event in data_file."""
    cmd = ["cargo", "lambda", "invoke", "trailwarden-alerter", "--invoke-address", "127.0.0.1",
           "--invoke-port", str(port), "--data-file", data_file, "--output-format", "json"]
    print("==> " + " ".join(cmd[:4] + cmd[8:10]), flush=True)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    if out.returncode != 0:
        sys.exit(f"cargo lambda invoke failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    print(out.stdout.strip(), flush=True)
    return json.loads(out.stdout)


def print_alerts(messages):
    alerts = []
    for m in messages:
        envelope = json.loads(m["Body"])
        alerts.append((envelope, json.loads(envelope["Message"])))
    alerts.sort(key=lambda a: (a[1].get("event_time") or "", a[1]["rule_id"]))
    print(f"\n{len(alerts)} alert(s) arrived through SNS -> SQS:\n")
    for envelope, a in alerts:
        attrs = {k: v["Value"] for k, v in envelope.get("MessageAttributes", {}).items()}
        print(f"  rule_id    {a['rule_id']}   (severity {a['severity']})")
        print(f"  subject    {envelope.get('Subject')}")
        print(f"  what       {a.get('event_source')} {a.get('event_name')} at {a.get('event_time')}"
              + (f"  error {a['error_code']}" if a.get("error_code") else ""))
        print(f"  who        {a.get('principal')} from {a.get('source_ip')}")
        print(f"  where      account {a.get('account_id')} region {a.get('region')}")
        if a.get("bucket"):
            print(f"  log file   s3://{a['bucket']}/{a['key']}")
        print(f"  path       {a.get('path')}")
        print(f"  attributes {attrs}")
        print()
    return [a for _, a in alerts]


def records_of(logfile):
    with gzip.open(logfile) as f:
        return json.load(f)["Records"]


def fast(endpoint, fast_queue, inbox, logfile, event_id, port, workdir):
    events, sqs = client("events", endpoint), client("sqs", endpoint)
    record = next(r for r in records_of(logfile) if r["eventID"] == event_id)
    source = "aws." + record["eventSource"].split(".")[0]
    detail_type = DETAIL_TYPES[record["eventType"]]
    print(f"==> PutEvents: {record['eventName']} by {record['userIdentity']['type']} "
          f"(eventID {event_id}), source {source}, detail-type \"{detail_type}\"", flush=True)
    t0 = time.time()
    out = events.put_events(Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(record)}])
    if out["FailedEntryCount"]:
        sys.exit(f"PutEvents failed: {out}")
    messages, _ = drain(sqs, fast_queue)
    t_queue = time.time()
    # EventBridge delivers the event once per rule whose pattern selects it (the root sign-in is also selected
    # by the external-access rules' pattern): one batch; the function evaluates the first copy and skips the others
    # (a copy in a later batch would be held back by the dedup table).
    if not messages or any(json.loads(m["Body"])["detail"]["eventID"] != event_id for m in messages):
        sys.exit(f"expected the rules to route the event to the fast-path queue, got {len(messages)} messages")
    print(f"    the rules routed it to the fast-path queue ({len(messages)} cop{'y' if len(messages) == 1 else 'ies'}, "
          f"{t_queue - t0:.2f} s)")
    arn = sqs.get_queue_attributes(QueueUrl=fast_queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    event = {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
        "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "us-east-1"} for m in messages]}
    data_file = os.path.join(workdir, "sqs-event.json")
    with open(data_file, "w") as f:
        json.dump(event, f)
    print(f"    the SQS event the event source mapping hands the function: {data_file}")
    t_invoke = time.time()
    response = invoke(port, data_file)
    t_done = time.time()
    if response.get("batchItemFailures") != []:
        sys.exit(f"the function reported failed messages: {response}")
    alerts, t_alert = drain(sqs, inbox)
    if not alerts:
        sys.exit("no alert arrived from the fast path")
    shown = print_alerts(alerts)
    if any(a["event_id"] != event_id or a.get("path") != "eventbridge" for a in shown):
        sys.exit("an alert of another record or path arrived")
    if len({a["finding_id"] for a in shown}) != len(shown):
        sys.exit("a finding was alerted twice (a copy of the event was evaluated again)")
    print(f"fast path: PutEvents -> alert in {t_alert - t0:.2f} s "
          f"(to the queue {t_queue - t0:.2f} s, cargo lambda invoke {t_done - t_invoke:.2f} s)")
    print("  (in AWS: CloudTrail puts the event on EventBridge within seconds of the call; the event source")
    print("   mapping's batching window, default 10 s, comes on top)")


def slow(endpoint, bucket, key, logfile, inbox, port, event_id):
    s3, sqs = client("s3", endpoint), client("sqs", endpoint)
    print(f"==> PutObject s3://{bucket}/{key}")
    print(f"    the log file with all {len(records_of(logfile))} records, the root sign-in among them", flush=True)
    t0 = time.time()
    with open(logfile, "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read())
    summary = invoke(port, "events/s3-put.json")
    alerts, t_alert = drain(sqs, inbox)
    shown = print_alerts(alerts)
    deduplicated = summary.get("deduplicated", 0)
    print(f"Deduplicated: {deduplicated} finding(s) of eventID {event_id}, already alerted by the fast path, "
          f"not published again (published {summary.get('published')})")
    if not deduplicated or any(a["event_id"] == event_id for a in shown):
        sys.exit("the root sign-in's findings were published a second time")
    if not alerts:
        sys.exit("no alert arrived from the log file")
    print(f"S3 path: PutObject -> alerts in {t_alert - t0:.2f} s")
    print("  (in AWS: CloudTrail delivers the log file about every 5 minutes, sometimes 15, after the call)")


def bodies(endpoint, topic_arn):
    """What an email and an SMS subscriber receive. moto sends neither, but its data dump holds every message
    the topic received; with MessageStructure=json, SNS delivers the "email" and "sms" members verbatim."""
    data = json.load(urllib.request.urlopen(endpoint + "/moto-api/data.json"))
    topic = next(t for t in data["sns"]["Topic"] if t["arn"] == topic_arn)
    rank = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
    messages = [(n[2], json.loads(n[1])) for n in topic["sent_notifications"]]
    messages.sort(key=lambda m: rank.get(json.loads(m[1]["default"]).get("severity"), 9))
    if not messages:
        sys.exit("no message was published to the topic")
    subject, structure = messages[0]
    line = "-" * 78
    print(f"\nAs an email subscriber receives it (subject: {subject}):\n{line}\n{structure['email']}\n{line}")
    print(f"\nAs an SMS subscriber receives it ({len(structure['sms'])} characters):\n{line}\n{structure['sms']}\n{line}")


if __name__ == "__main__":
    cmd, *args = sys.argv[1:]
    if cmd == "setup":
        setup(*args)
    elif cmd == "fast":
        fast(*args)
    elif cmd == "slow":
        slow(*args)
    elif cmd == "bodies":
        bodies(args[0], args[1])
    else:
        sys.exit(f"unknown command {cmd}")
