"""TokenAuthorizer: the REST TOKEN authorizer in front of MoviesApi (``authorizer.handler``).

API Gateway sends ``{"type": "TOKEN", "authorizationToken": <Authorization header>,
"methodArn": "arn:aws:execute-api:<region>:<account>:<api>/<stage>/<VERB>/<path>"}`` and caches
the answer per token (ReauthorizeEvery), so the policy names the whole stage, not one method.

- the editor token may do anything;
- the reader token may read (GET) and is explicitly denied DELETE (other writes are simply not
  allowed);
- anything else is refused with ``Exception("Unauthorized")``, which API Gateway answers 401.

The tokens come from the template's parameters: a demo, not a user directory.
"""

import os


def handler(event, context):
    token = event.get("authorizationToken", "").removeprefix("Bearer ").strip()
    api, stage = event["methodArn"].split("/")[:2]
    stage_arn = f"{api}/{stage}"
    if token and token == os.environ["EDITOR_TOKEN"]:
        return _answer("editor", [("Allow", f"{stage_arn}/*")])
    if token and token == os.environ["READER_TOKEN"]:
        return _answer("reader", [("Allow", f"{stage_arn}/GET/*"),
                                  ("Deny", f"{stage_arn}/DELETE/*")])
    raise Exception("Unauthorized")


def _answer(role, statements):
    return {
        "principalId": role,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": arn}
                          for effect, arn in statements],
        },
        # Reaches the services' events as requestContext.authorizer.role.
        "context": {"role": role},
    }
