"""Lambda result -> HTTP response, per payload format (APIGW-BEHAVIOR §4)."""

from __future__ import annotations

import pytest

from sam_fastapi.gateway.response import (
    HttpResponse,
    InvalidResponse,
    from_v1,
    from_v2,
)


def test_status_only_gets_json_content_type_and_empty_body() -> None:
    response = from_v1({"statusCode": 200})

    assert response == HttpResponse(200, (("Content-Type", "application/json"),), b"")


@pytest.mark.parametrize("result,status", [
    ({"headers": {"test-header": "value"}}, 200),  # statusCode defaults to 200
    ({"statusCode": "201"}, 201),
    ({"statusCode": 200, "headers": None}, 200),
])
def test_lenient_cases_aws_accepts(result, status) -> None:
    assert from_v1(result).status == status


@pytest.mark.parametrize("result,reason", [
    ({"statusCode": "test"}, "statusCode 'test' is not an HTTP status code"),
    ({"statusCode": 200, "wrongValue": "value"}, "unexpected key(s) in the proxy response: "
                                                 "wrongValue"),
    ({"statusCode": 200, "multiValueHeaders": {"x": "value1"}},
     "multiValueHeaders['x'] must be a list"),
    ("justAString", "the function returned a string, not a proxy response object"),
    (None, "the function returned null, not a proxy response object"),
    ({"statusCode": 200, "body": {"a": 1}}, "body must be a string, not an object"),
])
def test_invalid_rest_proxy_responses(result, reason) -> None:
    with pytest.raises(InvalidResponse) as raised:
        from_v1(result)

    assert str(raised.value).startswith(reason)


def test_http_api_payload_1_ignores_unknown_keys() -> None:
    assert from_v1({"statusCode": 204, "extra": 1}, http_api=True).status == 204


def test_header_values_become_strings() -> None:
    response = from_v1({"statusCode": 200,
                        "headers": {"header-bool": True, "n": 3, "Content-Type": "text/plain"}})

    assert response.headers == (("header-bool", "true"), ("n", "3"),
                                ("Content-Type", "text/plain"))


def test_headers_and_multi_value_headers_merge_as_recorded() -> None:
    response = from_v1({"statusCode": 200,
                        "multiValueHeaders": {"test-multi": ["value-multi"],
                                              "Set-Cookie": ["a=1", "b=2"]},
                        "headers": {"test-multi": "value-solo", "set-cookie": "a=1"}})

    assert response.headers[:4] == (("test-multi", "value-multi"), ("Set-Cookie", "a=1"),
                                     ("Set-Cookie", "b=2"), ("test-multi", "value-solo"))
    assert len(response.headers) == 5  # the identical set-cookie pair is not repeated


def test_rest_base64_body_is_decoded_only_for_binary_media_types() -> None:
    result = {"statusCode": 200, "body": "dGVzdC1kYXRh", "isBase64Encoded": True,
              "headers": {"Content-Type": "image/png"}}

    assert from_v1(result).body == b"dGVzdC1kYXRh"  # AWS-recorded: no binary types, no decoding
    assert from_v1(result, binary_media_types=("image/*",)).body == b"test-data"
    plain = {**result, "headers": {"Content-Type": "application/json"}}
    assert from_v1(plain, binary_media_types=("image/png",), accept="image/png, */*").body == (
        b"test-data")


def test_http_api_decodes_base64_whatever_the_type() -> None:
    result = {"statusCode": 200, "body": "dGVzdC1kYXRh", "isBase64Encoded": True}

    assert from_v1(result, http_api=True).body == b"test-data"
    assert from_v2(result).body == b"test-data"


def test_bad_base64_is_invalid() -> None:
    with pytest.raises(InvalidResponse, match="not base64"):
        from_v2({"statusCode": 200, "body": "%%%", "isBase64Encoded": True})


@pytest.mark.parametrize("result,body", [
    ("Hello from Lambda!", b"Hello from Lambda!"),
    ({"message": "Hello from Lambda!"}, b'{"message": "Hello from Lambda!"}'),
    ([1, 2], b"[1, 2]"),
])
def test_v2_infers_a_200_json_response(result, body) -> None:
    response = from_v2(result)

    assert response == HttpResponse(200, (("content-type", "application/json"),), body)


def test_v2_cookies_become_set_cookie_headers() -> None:
    response = from_v2({"statusCode": 201, "headers": {"x": "1,2"}, "body": "ok",
                        "cookies": ["a=1; Path=/", "b=2"]})

    assert response == HttpResponse(
        201, (("x", "1,2"), ("set-cookie", "a=1; Path=/"), ("set-cookie", "b=2")), b"ok")


def test_v2_with_bad_status_is_invalid() -> None:
    with pytest.raises(InvalidResponse, match="statusCode 'x'"):
        from_v2({"statusCode": "x"})
