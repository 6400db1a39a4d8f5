"""The movie service, through the API Gateway routes of template.yaml."""

METROPOLIS = {"title": "Metropolis", "year": 1927, "genres": ["sci-fi"], "cast_ids": [1]}


def test_health(sam_client):
    response = sam_client.get("/movies/health")

    assert response.json() == {"status": "ok", "service": "movie"}
    assert response.function == "MovieFunction"


def test_create_read_update_delete(sam_client):
    created = sam_client.post("/movies", json=METROPOLIS)
    assert created.status_code == 201
    assert created.json() == {"id": 1, **METROPOLIS}

    assert sam_client.get("/movies").json() == [{"id": 1, **METROPOLIS}]

    restored = {**METROPOLIS, "genres": ["sci-fi", "drama"]}
    assert sam_client.put("/movies/1", json=restored).json() == {"id": 1, **restored}
    assert sam_client.get("/movies/1").json()["genres"] == ["sci-fi", "drama"]

    assert sam_client.delete("/movies/1").status_code == 204
    assert sam_client.get("/movies/1").status_code == 404


def test_year_out_of_range_is_422(sam_client):
    response = sam_client.post("/movies", json={**METROPOLIS, "year": 1700})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "year"]
