#!/usr/bin/env python3
"""Small boto3 helper for `make demo`: set up the local stack on moto_server and read the alerts back.

  local_aws.py setup   ENDPOINT BUCKET KEY FILE   -> prints the topic ARN and queue URL (shell-evaluable)
  local_aws.py receive ENDPOINT QUEUE_URL MIN      -> prints each alert readably; exits 1 if fewer than MIN arrived
  local_aws.py bodies  ENDPOINT TOPIC_ARN          -> prints the email and SMS bodies of the most severe alert

boto3 comes with moto, so this needs nothing beyond `make tools`.
"""
import json
import sys
import time
import urllib.request

import boto3


def client(service, endpoint):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def setup(endpoint, bucket, key, path):
    s3, sns, sqs = (client(s, endpoint) for s in ("s3", "sns", "sqs"))
    s3.create_bucket(Bucket=bucket)
    topic = sns.create_topic(Name="trailwarden-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="trailwarden-demo-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="secops@example.com")
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550100",
                  Attributes={"FilterPolicy": json.dumps({"severity": ["high", "critical"]})})
    with open(path, "rb") as f:
        s3.put_object(Bucket=bucket, Key=key, Body=f.read())
    print(f"TOPIC_ARN={topic}")
    print(f"QUEUE_URL={queue}")


def receive(endpoint, queue, minimum):
    sqs = client("sqs", endpoint)
    alerts = []
    deadline = time.time() + 20
    while time.time() < deadline:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
        if not got and len(alerts) >= minimum:
            break
        for m in got:
            envelope = json.loads(m["Body"])
            alerts.append((envelope, json.loads(envelope["Message"])))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
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
        print(f"  log file   s3://{a['bucket']}/{a['key']}")
        print(f"  attributes {attrs}")
        print()
    if len(alerts) < minimum:
        print(f"expected at least {minimum} alerts, got {len(alerts)}", file=sys.stderr)
        sys.exit(1)


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
    elif cmd == "receive":
        receive(args[0], args[1], int(args[2]))
    elif cmd == "bodies":
        bodies(args[0], args[1])
    else:
        sys.exit(f"unknown command {cmd}")
