"""The movie service, through the API Gateway routes of template.yaml."""

METROPOLIS = {"title": "Metropolis", "year": 1927, "genres": ["sci-fi"], "cast_ids": [1]}


def test_health(sam_client):
    response = sam_client.get("/movies/health")

    assert response.json() == {"status": "ok", "service": "movie"}
    assert response.function == "MovieFunction"


def test_create_read_update_delete(editor):
    assert editor.post("/casts", json={"name": "Brigitte Helm"}).json()["id"] == 1
    created = editor.post("/movies", json=METROPOLIS)
    assert created.status_code == 201
    assert created.json() == {"id": 1, **METROPOLIS}

    assert editor.get("/movies").json() == [{"id": 1, **METROPOLIS}]

    restored = {**METROPOLIS, "genres": ["sci-fi", "drama"]}
    assert editor.put("/movies/1", json=restored).json() == {"id": 1, **restored}
    assert editor.get("/movies/1").json()["genres"] == ["sci-fi", "drama"]

    assert editor.delete("/movies/1").status_code == 204
    assert editor.get("/movies/1").status_code == 404


def test_year_out_of_range_is_422(editor):
    response = editor.post("/movies", json={**METROPOLIS, "year": 1700})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "year"]


def test_cast_members_are_checked_with_the_cast_service(editor):
    # The movie service asks the cast service by lambda.invoke, not through the API.
    unknown = editor.post("/movies", json={**METROPOLIS, "cast_ids": [1, 2]})
    assert unknown.status_code == 422
    assert unknown.json() == {"detail": "unknown cast member(s): 1, 2"}

    editor.post("/casts", json={"name": "Brigitte Helm"})
    assert editor.post("/movies", json={**METROPOLIS, "cast_ids": [1, 2]}).json() == {
        "detail": "unknown cast member(s): 2"}
    assert editor.post("/movies", json=METROPOLIS).status_code == 201

    editor.delete("/casts/1")
    replaced = editor.put("/movies/1", json=METROPOLIS)
    assert replaced.status_code == 422


def test_the_cast_service_answers_a_direct_invocation(sam_client):
    invocation = sam_client.invoke("CastFunction", {"action": "find_casts", "ids": [1]})

    assert invocation.error is None
    assert invocation.result == {"missing": [1]}
