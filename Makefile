# trailwarden: the two commands are `make demo` and `make test` (see README.md).
# Everything the project needs beyond a Rust toolchain and Python 3 is installed here, into git-ignored
# folders: .venv (moto_server + cargo-lambda) and .tools (the SQL and checkov virtualenvs, terraform config).
# Every one of them is installed exactly as a committed lock says (requirements/README.md): the Python trees from
# requirements/*.txt (hashes, no resolver), the Rust toolchain from rust-toolchain.toml, the crates from
# Cargo.lock (--locked), the Terraform providers from infra/**/.terraform.lock.hcl (-lockfile=readonly).
# `make pins`, the first step of `make test`, fails when anything installed differs from those pins.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
# DuckDB and sqlglot for the SQL conformance test (rules and hunts as Athena SQL, run on DuckDB), and checkov for
# the infra checks: each in its own venv, because their pins clash with moto's.
SQL_VENV := .tools/sql-venv
CHECKOV_VENV := .tools/checkov-venv
# uv resolves the locks (`make lock` only; the tests never resolve anything).
LOCK_VENV := .tools/lock-venv
LOCK_DATE ?= $(shell date -u +%Y-%m-%d)
VENV_SH := PYTHON=$(PYTHON) bash tests/scripts/venv.sh
ARCH ?= arm64
FUNCTION := trailwarden-alerter

export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export MOTO_SERVER := $(CURDIR)/$(VENV)/bin/moto_server

.PHONY: tools sql-tools checkov-tools pins lock demo test lint unit arm64-check infra-check build bench bench-lambda fmt clean

## tools: moto[server] and cargo-lambda in .venv, exactly as requirements/moto.txt says (a no-op when it already
## matches; remade from scratch when the lock changed).
tools:
	$(VENV_SH) $(VENV) requirements/moto.txt

## sql-tools: DuckDB and sqlglot in .tools/sql-venv (requirements/sql.txt), for the SQL conformance tests.
sql-tools:
	$(VENV_SH) $(SQL_VENV) requirements/sql.txt

## checkov-tools: checkov in .tools/checkov-venv (requirements/checkov.txt), for infra/scripts/check.sh.
checkov-tools:
	$(VENV_SH) $(CHECKOV_VENV) requirements/checkov.txt

## pins: every installed tool is the committed version: the three venvs against their locks, cargo-lambda's
## binary, rustc against rust-toolchain.toml, Python and Terraform against requirements/tools.txt.
pins: tools sql-tools checkov-tools
	$(PYTHON) tests/scripts/pins.py --venv $(VENV)=requirements/moto.txt --venv $(SQL_VENV)=requirements/sql.txt \
		--venv $(CHECKOV_VENV)=requirements/checkov.txt --tools requirements/tools.txt --toolchain rust-toolchain.toml

## lock: re-resolve every requirements/*.in into its lock (the whole tree, every file's hash) with uv, as PyPI
## stood on LOCK_DATE (default today). An upgrade is: edit the .in, `make lock`, `make test`, one commit.
lock:
	$(VENV_SH) $(LOCK_VENV) requirements/uv.txt
	set -e; for input in requirements/*.in; do \
		$(LOCK_VENV)/bin/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
			--exclude-newer $(LOCK_DATE) --custom-compile-command "make lock LOCK_DATE=$(LOCK_DATE)" \
			"$$input" -o "$${input%.in}.txt"; \
	done

## demo: both paths on a local moto_server: the fast path (EventBridge -> SQS -> Lambda -> SNS) for the sample
## root sign-in, then its log file through S3 (its other alerts; the root sign-in's deduplicated), timed each.
demo: tools
	bash tests/scripts/demo.sh

## test: README's test command: the pins, formatting, lints, every test (unit, handler, e2e on moto), the parser and rules
## tests on arm64 (under qemu-user), infra checks.
test: pins lint unit arm64-check infra-check

lint:
	cargo fmt --all -- --check
	cargo clippy --locked --workspace --all-targets -- -D warnings
	cargo clippy --locked -p trailwarden-cli --no-default-features -- -D warnings

unit: tools sql-tools
	cargo test --locked --workspace

## arm64-check: the cloudtrail and rules tests for aarch64 under qemu-user (installs the target and the
## emulator; SKIP with the reason when it cannot).
arm64-check:
	bash tests/scripts/arm64.sh

infra-check: checkov-tools
	bash infra/scripts/check.sh

## build: the deployable zip, target/lambda/trailwarden-alerter/bootstrap.zip (ARCH=arm64|x86_64).
build: tools
	cargo lambda build --locked --release --$(subst _,-,$(ARCH)) --output-format zip -p $(FUNCTION)

## bench: performance figures (issue 8): generated CloudTrail log files (100 to 350,000 records) through the
## streaming pipeline, `trailwarden scan` and a Python baseline (standard library only); prints a Markdown report
## (also written to target/bench-data/). BENCH_ARGS passes options, e.g. BENCH_ARGS="--sizes 100,10000".
## The CLI is built without its `s3` feature: the scan pipeline is the same and the AWS SDK is not compiled
## (on a fresh machine that would take most of the time). `cargo build --release -p trailwarden-cli` restores S3.
## Then "Fast path": the function's handler for one EventBridge event (SQS batch of one) to SNS accepting it, warm,
## dedup table on and off, and the dedup table's calls alone, against a moto_server it starts and stops (the bench
## itself links the function, so its release build compiles the AWS SDK). FAST_PATH_ARGS, e.g. "--events 100".
bench: tools
	cargo build --locked --release -p trailwarden-bench -p trailwarden-cli --no-default-features
	target/release/trailwarden-bench run --python $(PYTHON) $(BENCH_ARGS)
	set -o pipefail; target/release/trailwarden-bench fast-path --out target/bench-data/fast-path.json \
		$(FAST_PATH_ARGS) | tee target/bench-data/fast-path.md

## bench-lambda: the function's handler (alerter::handle_event, default rules, storm control, rendering, batching)
## over the largest generated file (350,000 records, 54 MB gzipped): CPU and peak RSS, against the 128 MB
## setting. Separate from `bench` because it compiles the function with the AWS SDK in release mode.
BENCH_BIG := target/bench-data/gen-v1-seed42-350000.json.gz
## Then the same under the 128 MB setting's limits, enforced by a control group (128 MiB, 128/1769 of a CPU):
## wall time, throttling, OOM kills (SKIP where no control group can be made, e.g. not root).
## Then the function binary's init time ("Init Duration"): process start to its first next-invocation request,
## against a local stand-in for the Lambda Runtime API, with the default rules and with 1,039 rules.
BENCH_RULES_1000 := target/bench-data/rules-1000-all.toml
bench-lambda:
	cargo build --locked --release -p trailwarden-bench
	cargo build --locked --release -p trailwarden-alerter --example handler_over_file --bin trailwarden-alerter
	test -f $(BENCH_BIG) || target/release/trailwarden-bench gen --seed 42 --records 350000 --out $(BENCH_BIG)
	target/release/trailwarden-bench exec --out target/bench-data/lambda.json -- \
		target/release/examples/handler_over_file $(BENCH_BIG) > target/bench-data/lambda-summary.json
	cat target/bench-data/lambda.json; echo
	tail -n 1 target/bench-data/lambda-summary.json
	target/release/trailwarden-bench exec --lambda-memory-mb 128 --out target/bench-data/lambda-128.json -- \
		target/release/examples/handler_over_file $(BENCH_BIG) > target/bench-data/lambda-128-summary.json
	cat target/bench-data/lambda-128.json; echo
	target/release/trailwarden-bench function-init --bin target/release/trailwarden-alerter --runs 20 \
		| tee target/bench-data/function-init.json
	target/release/trailwarden-bench rules-file --custom-rules 1000 --out $(BENCH_RULES_1000)
	target/release/trailwarden-bench function-init --bin target/release/trailwarden-alerter --runs 20 \
		--rules-file $(BENCH_RULES_1000) | tee target/bench-data/function-init-1000.json

fmt:
	cargo fmt --all
	terraform fmt -recursive infra

clean:
	cargo clean
	rm -rf $(VENV) .tools
