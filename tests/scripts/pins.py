#!/usr/bin/env python3
"""The pins check: fails, naming each difference, when a tool `make test` uses is not the version committed.

    python3 tests/scripts/pins.py --venv .venv=requirements/moto.txt --venv .tools/sql-venv=requirements/sql.txt \
        [--tools requirements/tools.txt] [--toolchain rust-toolchain.toml]

What is checked (standard library only, so it runs before any venv exists):
  * each virtualenv against its lock (requirements/*.txt, written by `make lock`): every package the lock lists for
    this interpreter is installed at exactly the locked version, and nothing else is (pip itself excepted); a stale
    venv from an earlier lock, or a package installed into it by hand, is named;
  * each lock against its input (requirements/*.in): a version pinned there that the lock does not hold means the
    input was edited without `make lock`;
  * cargo-lambda's binary in the venv reports the locked version;
  * the tools taken from the machine rather than installed: rustc against rust-toolchain.toml's channel, python and
    terraform against requirements/tools.txt. A missing terraform is left to the infra checks (their SKIP fails
    under CI=true).
Exit status 0 when all hold, 1 otherwise (every difference printed first), 2 on bad arguments.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UPGRADE = "upgrade deliberately: edit requirements/*.in, `make lock`, `make test`, commit (requirements/README.md)"

# Run by the venv's own interpreter: what is installed there, and which lock lines apply to it (their markers
# evaluated with the packaging library pip vendors, so no package outside the venv is needed).
INSPECT = r"""
import importlib.metadata as m, json, sys
from pip._vendor.packaging.markers import Marker
installed = {}
for d in m.distributions():
    name = d.metadata["Name"]
    if name:
        installed[name] = d.version
markers = {text: Marker(text).evaluate() for text in json.loads(sys.argv[1])}
print(json.dumps({"installed": installed, "markers": markers,
                  "python": "%d.%d.%d" % sys.version_info[:3]}))
"""


def normalize(name):
    """PEP 503 name normalization: `Foo_Bar.baz` and `foo-bar-baz` are one package."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path):
    """The lock's requirements as (name, version, marker or None), one per `name==version` line."""
    text = path.read_text()
    # Continuation lines (`\` then `--hash=…`) belong to the requirement before them.
    text = re.sub(r"\\\n", " ", text)
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        spec = line.split(" --hash", 1)[0].strip()
        marker = None
        if ";" in spec:
            spec, marker = (part.strip() for part in spec.split(";", 1))
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s]+)", spec)
        if not match:
            raise ValueError(f"{path}: not a pinned requirement: {line!r}")
        entries.append((normalize(match.group(1)), match.group(3), marker))
    return entries


def read_input(path):
    """The `name==version` pins of a requirements input file (*.in)."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;]+)", line)
        if match:
            pins[normalize(match.group(1))] = match.group(3)
    return pins


def check_venv(venv, lock, problems):
    """Compares one venv with its lock; appends each difference to `problems`. Returns the venv's Python version."""
    python = venv / "bin" / "python"
    if not python.is_file():
        problems.append(f"{venv}: no virtualenv (make tools installs it from {lock})")
        return None
    try:
        entries = read_lock(lock)
    except (OSError, ValueError) as e:
        problems.append(f"{lock}: {e}")
        return None
    source = lock.with_suffix(".in")
    if source.is_file():
        locked = {name: version for name, version, _ in entries}
        for name, version in sorted(read_input(source).items()):
            if locked.get(name) != version:
                problems.append(
                    f"{source}: pins {name}=={version} but {lock} holds {locked.get(name, 'nothing')} "
                    "(edited without `make lock`)"
                )
    markers = sorted({marker for _, _, marker in entries if marker})
    out = subprocess.run(
        [str(python), "-c", INSPECT, json.dumps(markers)], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        problems.append(f"{venv}: cannot list its packages: {out.stderr.strip()}")
        return None
    seen = json.loads(out.stdout)
    installed = {normalize(name): version for name, version in seen["installed"].items()}
    wanted = {name: version for name, version, marker in entries if marker is None or seen["markers"][marker]}
    for name, version in sorted(wanted.items()):
        have = installed.get(name)
        if have is None:
            problems.append(f"{venv}: {name}=={version} is locked in {lock} but not installed")
        elif have != version:
            problems.append(f"{venv}: {name} is {have}, {lock} pins {version}")
    for name, version in sorted(installed.items()):
        # pip comes with the venv and installs the lock; it is not part of what the tests run.
        if name not in wanted and name != "pip":
            problems.append(f"{venv}: {name}=={version} is installed but not in {lock}")
    cargo_lambda = venv / "bin" / "cargo-lambda"
    if "cargo-lambda" in wanted and cargo_lambda.is_file():
        # Run as cargo runs a subcommand (`cargo lambda`): its first argument is the subcommand's name.
        out = subprocess.run(
            [str(cargo_lambda), "lambda", "--version"], capture_output=True, text=True, check=False
        )
        reported = out.stdout.split()[1] if out.returncode == 0 and len(out.stdout.split()) > 1 else out.stderr
        if reported != wanted["cargo-lambda"]:
            problems.append(f"{cargo_lambda} reports {reported!r}, {lock} pins {wanted['cargo-lambda']}")
    return seen["python"]


def read_tools(path):
    """requirements/tools.txt: `name version` per line."""
    tools = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split()
            tools[name] = version
    return tools


def matches(version, pin):
    """`3.11.7` matches the pin `3.11` (a pin names as many components as it fixes)."""
    return version == pin or version.startswith(pin + ".")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--venv", action="append", default=[], metavar="VENV=LOCK", help="a venv and its lock")
    parser.add_argument("--tools", type=Path, help="requirements/tools.txt: the machine's tools and their pins")
    parser.add_argument("--toolchain", type=Path, help="rust-toolchain.toml: the Rust toolchain's pin")
    args = parser.parse_args()

    problems = []
    pythons = {}
    for pair in args.venv:
        if "=" not in pair:
            parser.error(f"--venv {pair!r}: expected VENV=LOCK")
        venv, lock = (Path(part) for part in pair.split("=", 1))
        pythons[venv] = check_venv(venv, lock, problems)

    tools = read_tools(args.tools) if args.tools else {}
    if "python" in tools:
        for venv, version in pythons.items():
            if version and not matches(version, tools["python"]):
                problems.append(f"{venv}: Python {version}, {args.tools} pins {tools['python']} (the locks' target)")
    if "terraform" in tools:
        if shutil.which("terraform"):
            out = subprocess.run(["terraform", "version", "-json"], capture_output=True, text=True, check=False)
            try:
                version = json.loads(out.stdout)["terraform_version"]
            except (ValueError, KeyError):
                version = f"unreadable ({out.stderr.strip() or out.stdout.strip()})"
            if not matches(version, tools["terraform"]):
                problems.append(
                    f"terraform on PATH is {version}, {args.tools} pins {tools['terraform']} "
                    "(fmt and validate differ between versions)"
                )
        else:
            print("pins: terraform is not on PATH (the infra checks say SKIP; under CI=true they fail)")
    if args.toolchain:
        channel = re.search(r'^channel\s*=\s*"([^"]+)"', args.toolchain.read_text(), re.M)
        out = subprocess.run(["rustc", "-V"], capture_output=True, text=True, check=False, cwd=ROOT)
        version = out.stdout.split()[1] if out.returncode == 0 else f"unavailable ({out.stderr.strip()})"
        if not channel:
            problems.append(f"{args.toolchain}: no channel")
        elif not matches(version, channel.group(1)):
            problems.append(
                f"rustc is {version}, {args.toolchain} pins {channel.group(1)} (clippy's lints differ between versions)"
            )

    if problems:
        print("pins: FAILED: what is installed differs from what is committed:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(f"  A stale venv is remade by `make tools`; to change a pin, {UPGRADE}.", file=sys.stderr)
        return 1
    print(f"pins: ok ({len(args.venv)} venvs match their locks; machine tools as pinned)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
