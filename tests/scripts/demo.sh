#!/usr/bin/env bash
# `make demo`: the whole path on this machine, no AWS account. moto_server plays S3, SNS and SQS; the function
# runs under `cargo lambda watch` and is invoked with events/s3-put.json; the alerts are read back from an SQS
# queue subscribed to the topic. Every process started here is stopped by PID on exit, also on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv}
export PATH="$PWD/$VENV/bin:$PATH"

BUCKET=trailwarden-demo-logs
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

echo "==> creating bucket, topic and a queue subscribed to it; uploading the sample log file"
echo "    s3://$BUCKET/$KEY"
eval "$(python3 tests/scripts/local_aws.py setup "$ENDPOINT" "$BUCKET" "$KEY" "events/$KEY")"

echo "==> building the function and starting it under cargo lambda watch (127.0.0.1:$INVOKE_PORT)"
cargo build -q -p trailwarden-alerter
setsid cargo lambda watch -q --ignore-changes --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  --env-var "TOPIC_ARN=$TOPIC_ARN,AWS_ENDPOINT_URL=$ENDPOINT,AWS_ACCESS_KEY_ID=testing,AWS_SECRET_ACCESS_KEY=testing,AWS_REGION=us-east-1,AWS_EC2_METADATA_DISABLED=true,RUST_LOG=info" \
  >"$LOGDIR/watch.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do
  (exec 3<>"/dev/tcp/127.0.0.1/$INVOKE_PORT") 2>/dev/null && break
  sleep 0.2
done

# The first invocation starts the function process, and cargo lambda counts that against the invocation's
# deadline (Lambda's default 3 s timeout). Start it with an event the function skips: a digest notification.
echo "==> cargo lambda invoke trailwarden-alerter --data-file events/s3-digest.json (starts the function; digests are skipped)"
cargo lambda invoke trailwarden-alerter --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  --data-file events/s3-digest.json --output-format json
echo

echo "==> cargo lambda invoke trailwarden-alerter --data-file events/s3-put.json"
cargo lambda invoke trailwarden-alerter --invoke-address 127.0.0.1 --invoke-port "$INVOKE_PORT" \
  --data-file events/s3-put.json --output-format json
echo

echo "==> reading the alerts from the queue"
python3 tests/scripts/local_aws.py receive "$ENDPOINT" "$QUEUE_URL" 1

echo "==> the same alert as a person receives it by email and by SMS"
python3 tests/scripts/local_aws.py bodies "$ENDPOINT" "$TOPIC_ARN"
