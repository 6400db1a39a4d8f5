"""TokenAuthorizer in front of both services, as API Gateway runs it."""

import pytest


def test_no_token_is_401_from_the_gateway(sam_client):
    response = sam_client.get("/movies")

    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}
    assert response.function is None


def test_unknown_token_is_401(sam_client):
    response = sam_client.get("/casts", headers={"Authorization": "Bearer guess"})

    assert response.status_code == 401
    assert response.invocation.error["errorMessage"] == "Unauthorized"


@pytest.mark.parametrize("path", ["/casts/health", "/movies/health"])
def test_health_routes_are_open(sam_client, path):
    response = sam_client.get(path)

    assert response.status_code == 200
    assert "authorizer" not in response.event["requestContext"]


def test_the_role_reaches_the_services_event(editor):
    response = editor.get("/movies")

    assert response.status_code == 200
    authorizer = response.event["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "editor"
    assert authorizer["role"] == "editor"


def test_the_reader_may_read_only(reader, editor):
    editor.post("/casts", json={"name": "Alfred Abel"})

    assert reader.get("/casts/1").json()["name"] == "Alfred Abel"
    created = reader.post("/casts", json={"name": "Rudolf Klein-Rogge"})
    assert created.status_code == 403
    assert created.json() == {"Message": "User is not authorized to access this resource"}
    deleted = reader.delete("/casts/1")
    assert deleted.status_code == 403
    assert deleted.json() == {
        "Message": "User is not authorized to access this resource with an explicit deny"}


def test_tests_that_do_not_care_can_skip_the_authorizer(sam_client):
    assert sam_client.without_auth().get("/casts").json() == []
