"""The project's own tests: its functions have no API, so they are invoked directly."""

import json

import pytest

from sam_fastapi.gateway import GatewayError


def sqs_event(*bodies):
    return {"Records": [
        {"messageId": f"m{n}", "body": body, "eventSource": "aws:sqs",
         "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders"}
        for n, body in enumerate(bodies)
    ]}


def test_the_worker_totals_orders_and_reports_bad_messages(sam_client):
    order = json.dumps({"items": [{"price": 3, "qty": 2}, {"price": 1, "qty": 1}]})
    invocation = sam_client.invoke("OrderWorker", sqs_event(order, "not json"))
    assert invocation.error is None
    assert invocation.result == {"queue": "orders", "totals": [7],
                                 "batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_the_report_runs_on_its_schedule_event(sam_client):
    event = {"source": "aws.events", "detail-type": "Scheduled Event",
             "time": "2026-12-03T02:00:00Z", "detail": {}}
    invocation = sam_client.invoke("NightlyReport", event)
    assert invocation.result == {"function": "NightlyReport", "fired": "2026-12-03T02:00:00Z"}


def test_there_is_no_api_to_request(sam_client):
    with pytest.raises(GatewayError, match=r"template\.yaml has no API"):
        sam_client.get("/orders")
