"""What ``serve --record`` writes: secrets redacted by value wherever they appear."""

from __future__ import annotations

import base64
import json
import urllib.parse
from pathlib import Path

from sam_fastapi.gateway.recording import Recorder

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Handler: app.main.handler
    CodeUri: src/
Resources:
  Rest:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Any: {Type: Api, Properties: {Path: "/{proxy+}", Method: ANY}}
  Http:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Any: {Type: HttpApi, Properties: {Path: "/http/{proxy+}", Method: ANY}}
"""

TOKEN = "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"
SECRETS = {
    "bearer": TOKEN,
    "proxy": "proxy-password-42",
    "security token": "IQoJb3JpZ2luX2VjEHoaCXVzLWVhc3QtMSJHMEUCIQ",
    "cookie": "cookie-session-value",
    "api_key": "query-api-key-7",
    "access_token": "query/access+token=",
}


def send(gw, path: str, body: bytes = b"", content_type: str = "text/plain"):
    query = [("api_key", SECRETS["api_key"]), ("access_token", SECRETS["access_token"]),
             ("token", "tiny"), ("page", "2")]
    headers = {"Authorization": f"Bearer {TOKEN}",
               "Proxy-Authorization": f"Basic {base64.b64encode(b'me:proxy-password-42').decode()}",
               "X-Amz-Security-Token": SECRETS["security token"],
               "Cookie": f"theme=dark; session={SECRETS['cookie']}",
               "Content-Type": content_type}
    return gw.request("POST", path, query=query, headers=headers, body=body)


def recorded(tmp_path: Path, exchange) -> str:
    folder = tmp_path / "events"
    Recorder(folder).record(exchange)
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))


def forms(secret: str) -> list[str]:
    raw = secret.encode()
    return [secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
            base64.b64encode(raw).decode().rstrip("="),
            base64.urlsafe_b64encode(raw).decode().rstrip("=")]


def test_every_known_secret_is_redacted_wherever_it_appears(gateway, echo_app,
                                                            tmp_path: Path) -> None:
    gw = gateway(TEMPLATE, {"src/app/__init__.py": "", "src/app/main.py": echo_app})
    # The app echoes the request, so the response carries every secret too; the body carries
    # the token bare and base64-encoded, as an app might log or forward it.
    body = f"token {TOKEN} again {base64.b64encode(TOKEN.encode()).decode()}".encode()

    for n, path in enumerate(["/Prod/echo", "/http/echo"]):
        exchange = send(gw, path, body)
        assert exchange.status == 200, exchange.error
        text = recorded(tmp_path / str(n), exchange)

        for name, secret in SECRETS.items():
            for form in forms(secret):
                assert form not in text, (path, name, form)
        assert "tiny" not in text  # short, but the whole value of a credential parameter
        assert "REDACTED" in text and "theme=REDACTED" in text
        assert "page=2" in text or '"page": "2"' in text  # not a credential: kept


def test_a_base64_encoded_body_is_redacted_inside(gateway, echo_app, tmp_path: Path) -> None:
    gw = gateway(TEMPLATE, {"src/app/__init__.py": "", "src/app/main.py": echo_app})
    body = b"\x00\xff binary " + TOKEN.encode() + b" \xfe"

    exchange = send(gw, "/http/echo", body, content_type="application/octet-stream")
    folder = tmp_path / "events"
    event_path = Recorder(folder).record(exchange)

    event = json.loads(event_path.read_text(encoding="utf-8"))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff binary REDACTED \xfe"
