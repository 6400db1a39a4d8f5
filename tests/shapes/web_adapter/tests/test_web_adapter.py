"""The project's own tests: each app as the Web Adapter hands it the API's requests."""

import base64


def test_uvicorn_app_in_src_behind_the_rest_stage(sam_client):
    answer = sam_client.get("/catalog")
    assert answer.json()["items"] == ["cups", "tea"]
    assert answer.json()["stage"] == "Prod"
    assert answer.json()["function"] == "Catalog"
    # --root-path /Prod: the app's own URLs lead back through the stage.
    assert answer.json()["docs"].endswith("/Prod/docs")
    item = sam_client.get("/catalog/items/2", params=[("tags", "a"), ("tags", "b")])
    assert item.json() == {"id": "2", "name": "cups", "tags": ["a", "b"]}
    created = sam_client.post("/catalog/items", json={"name": "pot"})
    assert (created.status_code, created.json()) == (201, {"created": {"name": "pot"}})


def test_gunicorn_app_sets_cookies_and_sends_binary(sam_client):
    answer = sam_client.get("/orders/7")
    assert answer.json() == {"id": 7}
    assert [c.split(";")[0] for c in answer.headers.get_list("set-cookie")] == [
        "last_order=7", "seen=yes"]
    label = sam_client.get("/orders/7/label.png")
    assert label.headers["content-type"] == "image/png"
    assert label.content == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert label.invocation.result["isBase64Encoded"] is True
    assert base64.b64decode(label.invocation.result["body"]) == label.content


def test_an_exception_in_the_app_is_the_servers_500(sam_client):
    assert sam_client.delete("/orders/1").status_code == 204
    failed = sam_client.delete("/orders/13")
    assert (failed.status_code, failed.text) == (500, "Internal Server Error")


def test_python_main_with_base_path_removed_and_events_passed_through(sam_client):
    assert sam_client.get("/reports/summary").json() == {"path": "/summary", "events": 0}
    sqs = {"Records": [{"messageId": "1", "body": "x", "eventSource": "aws:sqs"}]}
    assert sam_client.invoke("Reports", sqs).result == {"processed": 1}
    assert sam_client.get("/reports/summary").json()["events"] == 1


def test_hypercorn_app(sam_client):
    answer = sam_client.get("/legacy")
    assert (answer.text, answer.headers["content-type"]) == (
        "still here", "text/plain; charset=utf-8")
