"""A TOKEN authorizer: ``Bearer admin-<name>`` is an admin, anything else is refused."""


def handler(event, context):
    token = event["authorizationToken"]
    if not token.startswith("Bearer admin-"):
        raise Exception("Unauthorized")
    return {
        "principalId": token.removeprefix("Bearer admin-"),
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]},
        ]},
    }
