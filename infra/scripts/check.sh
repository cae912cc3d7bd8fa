#!/usr/bin/env bash
# Offline checks of the Terraform in infra/: fmt, init + validate (module and example), checkov.
#
#   bash infra/scripts/check.sh        # from anywhere; works on the repository it lives in
#
# Needs `terraform` on PATH (otherwise prints a SKIP line and exits 0; under CI=true it fails) and Python 3 with venv for
# checkov, which is installed into its own virtualenv (.tools/checkov-venv) from requirements/checkov.txt: it pins
# an old boto3 that would break moto. The providers come from each directory's committed .terraform.lock.hcl
# (init -lockfile=readonly: a provider other than the locked one is an error, never a silent upgrade).
# Where the machine ships a filesystem mirror of the providers (a directory holding `registry.terraform.io` within
# three levels of /), terraform init uses it and needs no network; elsewhere init downloads providers as usual.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

TOOLS="$ROOT/.tools"
CHECKOV_VENV="$TOOLS/checkov-venv"
DIRS=(infra infra/examples/complete)

step_start=0
step() { step_start=$SECONDS; printf '%-44s ' "infra: $1"; }
ok() { echo "ok ($((SECONDS - step_start))s)${1:+ - $1}"; }
fail() {
  echo "FAILED ($((SECONDS - step_start))s)${1:+ - $1}"
  [[ -n "${2:-}" && -f "$2" ]] && cat "$2"
  exit 1
}

if ! command -v terraform >/dev/null 2>&1; then
  # CI has every tool: there a missing terraform is a failure, never a silent pass.
  if [ "${CI:-}" = true ]; then
    echo "FAIL infra checks: terraform not found on PATH (CI=true)"
    exit 1
  fi
  echo "SKIP infra checks: terraform not found on PATH"
  exit 0
fi

mkdir -p "$TOOLS"
LOG="$TOOLS/infra-check.log"
export TF_IN_AUTOMATION=1 TF_INPUT=0

# Offline provider installation from a local filesystem mirror, when this machine has one.
step "provider source"
mirror="$(find / -maxdepth 3 -type d -name registry.terraform.io 2>/dev/null | head -n 1 || true)"
if [[ -n "$mirror" ]]; then
  cat >"$TOOLS/terraformrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$(dirname "$mirror")"
    include = ["registry.terraform.io/*/*"]
  }
}
EOF
  export TF_CLI_CONFIG_FILE="$TOOLS/terraformrc"
  ok "filesystem mirror $(dirname "$mirror")"
else
  # Share one download of each provider between the module and the example.
  export TF_PLUGIN_CACHE_DIR="${TF_PLUGIN_CACHE_DIR:-$TOOLS/terraform-plugin-cache}"
  mkdir -p "$TF_PLUGIN_CACHE_DIR"
  ok "registry (plugin cache $TF_PLUGIN_CACHE_DIR)"
fi

step "terraform fmt -check"
terraform fmt -check -recursive -no-color infra >"$LOG" 2>&1 || fail "run: terraform fmt -recursive infra" "$LOG"
ok "$(terraform version | head -n 1)"

for dir in "${DIRS[@]}"; do
  step "init + validate $dir"
  terraform -chdir="$dir" init -backend=false -input=false -lockfile=readonly -no-color >"$LOG" 2>&1 ||
    fail "terraform init (providers as $dir/.terraform.lock.hcl locks them)" "$LOG"
  terraform -chdir="$dir" validate -no-color >"$LOG" 2>&1 || fail "terraform validate" "$LOG"
  ok
done

# checkov, in its own virtualenv, exactly as requirements/checkov.txt locks it (a no-op when it already matches).
step "checkov venv"
bash tests/scripts/venv.sh "$CHECKOV_VENV" requirements/checkov.txt >"$LOG" 2>&1 || fail "install requirements/checkov.txt" "$LOG"
ok "$("$CHECKOV_VENV/bin/checkov" --version)"

step "checkov"
report="$TOOLS/checkov-report.json" # full results, for reading the passed and skipped checks
rm -f "$report"
set +e
BC_SKIP_MAPPING=TRUE "$CHECKOV_VENV/bin/checkov" \
  --directory infra \
  --framework terraform \
  --skip-download \
  --skip-path '\.terraform' \
  --quiet --compact \
  --output cli --output json --output-file-path "console,$report" >"$LOG" 2>&1
status=$?
set -e
summary="$("$CHECKOV_VENV/bin/python" - "$report" <<'EOF' 2>/dev/null || true
import json, sys
data = json.load(open(sys.argv[1]))
for run in data if isinstance(data, list) else [data]:
    s = run["summary"]
    print(f"{s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped (inline), "
          f"{s['parsing_errors']} parsing errors, {s['resource_count']} resources")
EOF
)"
if [[ $status -ne 0 || -z "$summary" || "$summary" != *" 0 failed,"* || "$summary" != *" 0 parsing errors"* ]]; then
  fail "${summary:-no report}" "$LOG"
fi
ok "$summary"
