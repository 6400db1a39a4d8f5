"""The cast service, through the API Gateway routes of template.yaml."""


def test_health(sam_client):
    response = sam_client.get("/casts/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "cast"}
    assert response.function == "CastFunction"


def test_create_read_update_delete(editor):
    created = editor.post("/casts", json={"name": "Brigitte Helm", "nationality": "German"})
    assert created.status_code == 201
    cast = created.json()
    assert cast == {"id": 1, "name": "Brigitte Helm", "nationality": "German"}

    assert editor.get("/casts/1").json() == cast
    assert editor.get("/casts").json() == [cast]

    replaced = editor.put("/casts/1", json={"name": "Brigitte Helm", "nationality": None})
    assert replaced.json() == {"id": 1, "name": "Brigitte Helm", "nationality": None}

    deleted = editor.delete("/casts/1")
    assert deleted.status_code == 204
    assert deleted.content == b""

    missing = editor.get("/casts/1")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "cast member 1 not found"}


def test_invalid_body_is_422(editor):
    response = editor.post("/casts", json={"name": ""})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "name"]


def test_unknown_member_cannot_be_replaced_or_deleted(editor):
    assert editor.put("/casts/7", json={"name": "Nobody"}).status_code == 404
    assert editor.delete("/casts/7").status_code == 404
