"""A Lambda authorizer whose answer the token (or X-User header) picks (copied into test projects).

allow: Allow on every GET of the API (a wildcard ARN); deny: an explicit Deny; post-only: Allow
on POST only (a GET is implicitly denied); broken: no principalId; unauthorized: raise
Exception("Unauthorized"); crash: any other exception. Its context tells what it was sent.
"""

import os

CALLS = {"n": 0}


def _token(event):
    if event["type"] == "TOKEN":
        return event["authorizationToken"]
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    return headers.get("x-user", "")


def _context(event):
    return {
        "calls": CALLS["n"],
        "type": event["type"],
        "version": event.get("version", "none"),
        "arn": event.get("methodArn") or event.get("routeArn"),
        "identity": str(event.get("identitySource")),
        "function": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
        "allowed": True,
    }


def handler(event, context):
    CALLS["n"] += 1
    token = _token(event)
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "crash":
        raise ValueError("boom")
    if token == "broken":
        return {"policyDocument": {}}
    arn = event.get("methodArn") or event["routeArn"]
    api, _, _ = arn.partition("/")
    if token == "allow":
        statement = {"Action": "execute-api:Invoke", "Effect": "Allow",
                     "Resource": f"{api}/*/GET/*"}
    elif token == "post-only":
        statement = {"Action": "execute-api:Invoke", "Effect": "Allow",
                     "Resource": [f"{api}/*/POST/*"]}
    else:
        statement = {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "*"}
    return {"principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [statement]},
            "context": _context(event)}


def simple(event, context):
    CALLS["n"] += 1
    token = _token(event)
    if token == "broken":
        return {"isAuthorized": "yes"}
    return {"isAuthorized": token == "allow", "context": _context(event)}
