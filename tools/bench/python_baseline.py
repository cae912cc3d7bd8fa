#!/usr/bin/env python3
"""The Python baseline of `make bench`: a CloudTrail log file processed the way Python Lambda alerters do it.

The whole object is decompressed (`gzip.open(...).read()`), parsed at once (`json.loads`), and every record
is run through one plain Python predicate per CIS monitoring control (the 16 patterns of trailwarden's CIS
profile, with CloudWatch Logs filter semantics: `!=` on a missing field is false, `*` is a wildcard, only
strings and numbers are comparable values); each match is turned into an alert message (`json.dumps`).

Standard library only. Prints, per file, the match count per rule, the CPU seconds of the work
(`resource.getrusage`, user + system) and the process's peak RSS (`ru_maxrss`).

    python3 tools/bench/python_baseline.py [--json] FILE.json.gz ...
"""

import argparse
import gzip
import json
import platform
import resource
import sys
import time

MISSING = object()


def get(record, *path):
    """The value at `path`, or MISSING if a member is absent or a step is not an object."""
    cur = record
    for key in path:
        if not isinstance(cur, dict):
            return MISSING
        cur = cur.get(key, MISSING)
        if cur is MISSING:
            return MISSING
    return cur


def _text(value):
    """A comparable value's text: strings as they are, numbers as JSON writes them; None otherwise
    (missing, null, booleans, objects and arrays never compare in CloudWatch's JSON patterns)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return json.dumps(value)
    return None


def _glob(text, pattern):
    """CloudWatch `*` wildcard: any run of characters, anywhere, any number of times."""
    if "*" not in pattern:
        return text == pattern
    parts = pattern.split("*")
    if not text.startswith(parts[0]):
        return False
    pos = len(parts[0])
    for middle in parts[1:-1]:
        found = text.find(middle, pos)
        if found < 0:
            return False
        pos = found + len(middle)
    last = parts[-1]
    return len(text) - pos >= len(last) and text.endswith(last)


def eq(record, path, pattern):
    text = _text(get(record, *path))
    return text is not None and _glob(text, pattern)


def ne(record, path, pattern):
    """`!=`: true only for a present, comparable value that differs (false when the field is missing)."""
    text = _text(get(record, *path))
    return text is not None and not _glob(text, pattern)


def not_exists(record, path):
    return get(record, *path) is MISSING


def name_in(record, names):
    name = record.get("eventName")
    return isinstance(name, str) and name in names


def source_is(record, source):
    return eq(record, ("eventSource",), source)


IAM_POLICY = frozenset(
    "DeleteGroupPolicy DeleteRolePolicy DeleteUserPolicy PutGroupPolicy PutRolePolicy PutUserPolicy CreatePolicy "
    "DeletePolicy CreatePolicyVersion DeletePolicyVersion AttachRolePolicy DetachRolePolicy AttachUserPolicy "
    "DetachUserPolicy AttachGroupPolicy DetachGroupPolicy".split()
)
TRAIL = frozenset("CreateTrail UpdateTrail DeleteTrail StartLogging StopLogging".split())
KMS = frozenset("DisableKey ScheduleKeyDeletion".split())
S3_POLICY = frozenset(
    "PutBucketAcl PutBucketPolicy PutBucketCors PutBucketLifecycle PutBucketReplication DeleteBucketPolicy "
    "DeleteBucketCors DeleteBucketLifecycle DeleteBucketReplication".split()
)
CONFIG = frozenset(
    "StopConfigurationRecorder DeleteDeliveryChannel PutDeliveryChannel PutConfigurationRecorder".split()
)
SECURITY_GROUP = frozenset(
    "AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress RevokeSecurityGroupEgress "
    "CreateSecurityGroup DeleteSecurityGroup ModifySecurityGroupRules".split()
)
NACL = frozenset(
    "CreateNetworkAcl CreateNetworkAclEntry DeleteNetworkAcl DeleteNetworkAclEntry ReplaceNetworkAclEntry "
    "ReplaceNetworkAclAssociation".split()
)
GATEWAY = frozenset(
    "CreateCustomerGateway DeleteCustomerGateway AttachInternetGateway CreateInternetGateway DeleteInternetGateway "
    "DetachInternetGateway".split()
)
ROUTE = frozenset(
    "CreateRoute CreateRouteTable ReplaceRoute ReplaceRouteTableAssociation DeleteRouteTable DeleteRoute "
    "DisassociateRouteTable".split()
)
VPC = frozenset(
    "CreateVpc DeleteVpc ModifyVpcAttribute AcceptVpcPeeringConnection CreateVpcPeeringConnection "
    "DeleteVpcPeeringConnection RejectVpcPeeringConnection AttachClassicLinkVpc DetachClassicLinkVpc "
    "DisableVpcClassicLink EnableVpcClassicLink".split()
)
ORGANIZATIONS = frozenset(
    "AcceptHandshake AttachPolicy CreateAccount CreateOrganizationalUnit CreatePolicy DeclineHandshake "
    "DeleteOrganization DeleteOrganizationalUnit DeletePolicy DetachPolicy DisablePolicyType EnablePolicyType "
    "InviteAccountToOrganization LeaveOrganization MoveAccount RemoveAccountFromOrganization UpdatePolicy "
    "UpdateOrganizationalUnit".split()
)


# One predicate per CIS rule, keyed by trailwarden's rule ids (the CIS v4.0+ texts; see
# crates/rules/src/catalog and shared/cis-controls.md).
RULES = [
    (
        "cis-4.1-unauthorized-api-calls",
        # `a || b && c && d` is `a || (b && c && d)`: && binds tighter than ||.
        lambda r: eq(r, ("errorCode",), "*UnauthorizedOperation")
        or (
            eq(r, ("errorCode",), "AccessDenied*")
            and ne(r, ("sourceIPAddress",), "delivery.logs.amazonaws.com")
            and ne(r, ("eventName",), "HeadBucket")
        ),
    ),
    (
        "cis-4.2-console-signin-without-mfa",
        lambda r: eq(r, ("eventName",), "ConsoleLogin") and ne(r, ("additionalEventData", "MFAUsed"), "Yes"),
    ),
    (
        "cis-4.2-console-signin-without-mfa-iam-user",
        lambda r: eq(r, ("eventName",), "ConsoleLogin")
        and ne(r, ("additionalEventData", "MFAUsed"), "Yes")
        and eq(r, ("userIdentity", "type"), "IAMUser")
        and eq(r, ("responseElements", "ConsoleLogin"), "Success"),
    ),
    (
        "cis-4.3-root-account-usage",
        lambda r: eq(r, ("userIdentity", "type"), "Root")
        and not_exists(r, ("userIdentity", "invokedBy"))
        and ne(r, ("eventType",), "AwsServiceEvent"),
    ),
    ("cis-4.4-iam-policy-changes", lambda r: name_in(r, IAM_POLICY)),
    ("cis-4.5-cloudtrail-config-changes", lambda r: name_in(r, TRAIL)),
    (
        "cis-4.6-console-authentication-failures",
        lambda r: eq(r, ("eventName",), "ConsoleLogin") and eq(r, ("errorMessage",), "Failed authentication"),
    ),
    (
        "cis-4.7-cmk-disable-or-scheduled-deletion",
        lambda r: source_is(r, "kms.amazonaws.com") and name_in(r, KMS),
    ),
    ("cis-4.8-s3-bucket-policy-changes", lambda r: source_is(r, "s3.amazonaws.com") and name_in(r, S3_POLICY)),
    ("cis-4.9-aws-config-changes", lambda r: source_is(r, "config.amazonaws.com") and name_in(r, CONFIG)),
    ("cis-4.10-security-group-changes", lambda r: name_in(r, SECURITY_GROUP)),
    ("cis-4.11-nacl-changes", lambda r: name_in(r, NACL)),
    ("cis-4.12-network-gateway-changes", lambda r: name_in(r, GATEWAY)),
    ("cis-4.13-route-table-changes", lambda r: name_in(r, ROUTE)),
    ("cis-4.14-vpc-changes", lambda r: name_in(r, VPC)),
    (
        "cis-4.15-organizations-changes",
        lambda r: source_is(r, "organizations.amazonaws.com") and name_in(r, ORGANIZATIONS),
    ),
]


def alert(rule_id, record):
    """The message a Python alerter publishes for a match."""
    identity = record.get("userIdentity") or {}
    return json.dumps(
        {
            "rule": rule_id,
            "eventID": record.get("eventID"),
            "eventName": record.get("eventName"),
            "eventTime": record.get("eventTime"),
            "principal": identity.get("arn") if isinstance(identity, dict) else None,
            "sourceIPAddress": record.get("sourceIPAddress"),
            "record": record,
        }
    )


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def scan(path):
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    with gzip.open(path, "rb") as f:
        raw = f.read()
    log = json.loads(raw)
    matches = {rule_id: 0 for rule_id, _ in RULES}
    alert_bytes = 0
    records = log["Records"]
    for record in records:
        if not isinstance(record, dict):
            continue
        for rule_id, predicate in RULES:
            if predicate(record):
                matches[rule_id] += 1
                alert_bytes += len(alert(rule_id, record))
    return {
        "file": path,
        "records": len(records),
        "uncompressed_bytes": len(raw),
        "total_matches": sum(matches.values()),
        "matches": {k: v for k, v in matches.items() if v},
        "alert_bytes": alert_bytes,
        "cpu_s": cpu_seconds() - cpu0,
        "wall_s": time.perf_counter() - wall0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    for path in args.files:
        result = scan(path)
        # ru_maxrss is in KiB on Linux: the peak of the whole process so far.
        result["peak_rss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result["python"] = platform.python_version()
        if args.json:
            print(json.dumps(result))
        else:
            print(
                f"{path}: {result['records']} records, {result['total_matches']} matches, "
                f"{result['cpu_s']:.2f} CPU s, peak RSS {result['peak_rss_kib'] / 1024:.1f} MiB"
            )
            for rule_id, n in result["matches"].items():
                print(f"  {rule_id}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
