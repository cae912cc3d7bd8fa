#!/usr/bin/env bash
# `make demo`: both paths on this machine, no AWS account. moto_server plays S3, SNS, SQS, EventBridge and
# DynamoDB and KMS; the function runs under `cargo lambda watch` with the dedup table (DEDUP_TABLE) and the HMAC
# key that authenticates its marks (DEDUP_MAC_KEY_ID). (a) The fast path:
# the sample log file's root sign-in is put on EventBridge, the generated rules route it to the fast-path queue,
# the message is invoked as the SQS event and its alerts are read back from an SQS queue subscribed to the topic.
# (b) The S3 path: the log file with the same record lands in S3 and is invoked with events/s3-put.json; its
# other alerts arrive, the root sign-in's are deduplicated. Each path prints the time it took. Every process
# started here is stopped by PID on exit, also on failure; every wait has a deadline.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"

BUCKET=trailwarden-demo-logs
ROOT_EVENT=00000000-0000-4000-8000-000000000001
KEY=$(python3 -c 'import json;print(json.load(open("events/s3-put.json"))["Records"][0]["s3"]["object"]["key"])')
FREE_PORT='import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
MOTO_PORT=$(python3 -c "$FREE_PORT")
INVOKE_PORT=$(python3 -c "$FREE_PORT")
ENDPOINT="http://127.0.0.1:$MOTO_PORT"
LOGDIR=$(mktemp -d)
PIDS=()

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do
    # cargo lambda watch runs in its own process group (setsid): stop the group, then the leader.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$status" -ne 0 ]; then
    echo "demo failed (exit $status); logs:" >&2
    tail -n 40 "$LOGDIR"/*.log >&2 || true
  fi
  rm -rf "$LOGDIR"
  exit "$status"
}
trap cleanup EXIT INT TERM

echo "==> starting moto_server on $ENDPOINT"
setsid "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$LOGDIR/moto.log" 2>&1 &
PIDS+=($!)
python3 - "$ENDPOINT" <<'PY'
import sys, time, urllib.request
for _ in range(300):
    try:
        urllib.request.urlopen(sys.argv[1] + "/moto-api/", timeout=2)
        sys.exit(0)
    except OSError:
        time.sleep(0.2)
sys.exit("moto_server did not start")
PY

echo "==> creating the bucket, the topic and a queue subscribed to it, the dedup table, and the fast path:"
echo "    EventBridge rules from infra/eventbridge-patterns.json targeting the fast-path queue"
eval "$(python3 tests/scripts/local_aws.py setup "$ENDPOINT" "$BUCKET" infra/eventbridge-patterns.json)"
echo "    $FAST_RULES rules, dedup table $DEDUP_TABLE (marks authenticated with the HMAC key $DEDUP_MAC_KEY_ID)"

echo "==> building the function and starting it under cargo lambda watch (127.0.0.1:$INVOKE_PORT)"
cargo build --locked -q -p trailwarden-alerter
setsid cargo lambda watch -q --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  --env-var "TOPIC_ARN=$TOPIC_ARN,DEDUP_TABLE=$DEDUP_TABLE,DEDUP_MAC_KEY_ID=$DEDUP_MAC_KEY_ID,AWS_ENDPOINT_URL=$ENDPOINT,AWS_ACCESS_KEY_ID=testing,AWS_SECRET_ACCESS_KEY=testing,AWS_REGION=us-east-1,AWS_EC2_METADATA_DISABLED=true,RUST_LOG=info" \
  >"$LOGDIR/watch.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do
  (exec 3<>"/dev/tcp/127.0.0.1/$INVOKE_PORT") 2>/dev/null && break
  sleep 0.2
done

# The first invocation starts the function process, and cargo lambda counts that against the invocation's
# deadline (Lambda's default 3 s timeout). Start it with an event the function skips: a digest notification.
echo "==> cargo lambda invoke trailwarden-alerter --data-file events/s3-digest.json (starts the function; digests are skipped)"
timeout 300 cargo lambda invoke trailwarden-alerter --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  --data-file events/s3-digest.json --output-format json
echo

echo "==> (a) the fast path: EventBridge -> SQS -> the function -> SNS, seconds after the call"
python3 tests/scripts/local_aws.py fast "$ENDPOINT" "$FAST_QUEUE_URL" "$QUEUE_URL" "events/$KEY" "$ROOT_EVENT" \
  "$INVOKE_PORT" "$LOGDIR"

echo
echo "==> (b) the S3 path: the log file with the same record arrives, minutes later in AWS"
python3 tests/scripts/local_aws.py slow "$ENDPOINT" "$BUCKET" "$KEY" "events/$KEY" "$QUEUE_URL" "$INVOKE_PORT" \
  "$ROOT_EVENT"

echo "==> the same alert as a person receives it by email and by SMS"
python3 tests/scripts/local_aws.py bodies "$ENDPOINT" "$TOPIC_ARN"
