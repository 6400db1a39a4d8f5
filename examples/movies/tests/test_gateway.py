"""What API Gateway itself does in front of the two services."""

import pytest


@pytest.mark.parametrize("path", ["/", "/actors", "/castsx", "/Prod/actors"])
def test_unknown_paths_are_403_from_the_gateway(sam_client, path):
    response = sam_client.get(path)

    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}
    assert response.function is None


def test_the_stage_prefix_is_accepted(sam_client):
    response = sam_client.get("/Prod/movies/health")

    assert response.status_code == 200
    assert response.event["path"] == "/movies/health"
    assert response.event["requestContext"]["path"] == "/Prod/movies/health"


def test_each_service_keeps_its_own_store(editor):
    editor.post("/casts", json={"name": "Alfred Abel"})

    assert editor.get("/casts").json() == [{"id": 1, "name": "Alfred Abel",
                                                "nationality": None}]
    assert editor.get("/movies").json() == []


def test_raw_invocation(editor):
    event = editor.get("/casts/health").event

    invocation = editor.invoke("CastFunction", event)

    assert invocation.error is None
    assert invocation.result["statusCode"] == 200
    assert invocation.cold is False
