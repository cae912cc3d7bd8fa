#!/usr/bin/env python3
"""Independent oracle for the CIS rules over a corpus of CloudTrail log files.

Restates each CIS monitoring control's filter pattern (../shared/cis-controls.md) as a hand-written Python
predicate with CloudWatch Logs JSON filter semantics, not by porting trailwarden's Rust:

* only string and number values compare; `=` against a missing field, null, a boolean, an object or an array
  is false, and so is `!=` (a missing field never satisfies `!=`);
* `*` in a string value is a wildcard (any run of characters); matching is case-sensitive;
* `IS NOT EXISTS`/`NOT EXISTS` is true when the field is absent;
* `&&` binds tighter than `||` (CIS v4.0+ 4.1 reads `*UnauthorizedOperation || (AccessDenied* && ... && ...)`).

Reads every `*.json.gz` (and `*.json`) below the given folders with `gzip` + `json` and prints
`{"files": N, "records": N, "counts": {rule_id: N, ...}}` as JSON. crates/rules/tests/corpus_cis.rs runs it
and pins the same numbers, so anyone can regenerate them:

    python3 tests/oracles/cis_corpus.py ../shared/corpus
"""

import gzip
import json
import os
import re
import sys

MISSING = object()


def get(record, path):
    v = record
    for k in path.split("."):
        if not isinstance(v, dict) or k not in v:
            return MISSING
        v = v[k]
    return v


def comparable(v):
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def glob(value, pattern):
    # Only `*` is special in CloudWatch's string values (no `?` or `[...]` as in shell globs).
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, value, flags=re.S) is not None


def eq(record, path, pattern):
    v = get(record, path)
    if not comparable(v):
        return False
    return glob(str(v), pattern) if isinstance(v, str) else str(v) == pattern


def ne(record, path, pattern):
    v = get(record, path)
    if not comparable(v):
        return False
    return not eq(record, path, pattern)


def name_in(record, *names):
    return any(eq(record, "eventName", n) for n in names)


CONTROLS = {
    "cis-4.1-unauthorized-api-calls": lambda r: eq(r, "errorCode", "*UnauthorizedOperation")
    or (
        eq(r, "errorCode", "AccessDenied*")
        and ne(r, "sourceIPAddress", "delivery.logs.amazonaws.com")
        and ne(r, "eventName", "HeadBucket")
    ),
    "cis-4.2-console-signin-without-mfa": lambda r: eq(r, "eventName", "ConsoleLogin")
    and ne(r, "additionalEventData.MFAUsed", "Yes"),
    "cis-4.2-console-signin-without-mfa-iam-user": lambda r: eq(r, "eventName", "ConsoleLogin")
    and ne(r, "additionalEventData.MFAUsed", "Yes")
    and eq(r, "userIdentity.type", "IAMUser")
    and eq(r, "responseElements.ConsoleLogin", "Success"),
    "cis-4.3-root-account-usage": lambda r: eq(r, "userIdentity.type", "Root")
    and get(r, "userIdentity.invokedBy") is MISSING
    and ne(r, "eventType", "AwsServiceEvent"),
    "cis-4.4-iam-policy-changes": lambda r: name_in(
        r,
        "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy",
        "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion",
        "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
        "DetachGroupPolicy",
    ),
    "cis-4.5-cloudtrail-config-changes": lambda r: name_in(
        r, "CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"
    ),
    "cis-4.6-console-authentication-failures": lambda r: eq(r, "eventName", "ConsoleLogin")
    and eq(r, "errorMessage", "Failed authentication"),
    "cis-4.7-cmk-disable-or-scheduled-deletion": lambda r: eq(r, "eventSource", "kms.amazonaws.com")
    and name_in(r, "DisableKey", "ScheduleKeyDeletion"),
    "cis-4.8-s3-bucket-policy-changes": lambda r: eq(r, "eventSource", "s3.amazonaws.com")
    and name_in(
        r,
        "PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle", "PutBucketReplication",
        "DeleteBucketPolicy", "DeleteBucketCors", "DeleteBucketLifecycle", "DeleteBucketReplication",
    ),
    "cis-4.9-aws-config-changes": lambda r: eq(r, "eventSource", "config.amazonaws.com")
    and name_in(
        r, "StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel", "PutConfigurationRecorder"
    ),
    "cis-4.10-security-group-changes": lambda r: name_in(
        r,
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress", "CreateSecurityGroup", "DeleteSecurityGroup",
    ),
    "cis-4.11-nacl-changes": lambda r: name_in(
        r,
        "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl", "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation",
    ),
    "cis-4.12-network-gateway-changes": lambda r: name_in(
        r,
        "CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway", "CreateInternetGateway",
        "DeleteInternetGateway", "DetachInternetGateway",
    ),
    "cis-4.13-route-table-changes": lambda r: name_in(
        r,
        "CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation", "DeleteRouteTable",
        "DeleteRoute", "DisassociateRouteTable",
    ),
    "cis-4.14-vpc-changes": lambda r: name_in(
        r,
        "CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection", "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection", "AttachClassicLinkVpc", "DetachClassicLinkVpc",
        "DisableVpcClassicLink", "EnableVpcClassicLink",
    ),
    "cis-4.15-organizations-changes": lambda r: eq(r, "eventSource", "organizations.amazonaws.com")
    and name_in(
        r,
        "AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit", "CreatePolicy",
        "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit", "DeletePolicy", "DetachPolicy",
        "DisablePolicyType", "EnablePolicyType", "InviteAccountToOrganization", "LeaveOrganization", "MoveAccount",
        "RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit",
    ),
}


def log_files(folder):
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".json.gz") or name.endswith(".json"):
                yield os.path.join(root, name)


def records(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f).get("Records", [])


def main(folders):
    counts = {rule: 0 for rule in CONTROLS}
    files = n_records = 0
    for folder in folders:
        for path in log_files(folder):
            files += 1
            for record in records(path):
                n_records += 1
                for rule, predicate in CONTROLS.items():
                    if predicate(record):
                        counts[rule] += 1
    json.dump({"files": files, "records": n_records, "counts": counts}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
