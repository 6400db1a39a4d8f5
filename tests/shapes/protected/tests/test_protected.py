import time


def test_me_needs_a_token_with_the_scope(sam_client):
    assert sam_client.get("/me").status_code == 401
    assert sam_client.get("/me", claims={"sub": "ada"}).status_code == 403  # no scope
    me = sam_client.get("/me", claims={"sub": "ada", "scope": "profile/read"})
    assert me.json() == {"user": "ada", "scopes": ["profile/read"]}


def test_a_signed_token_is_checked_in_full(sam_client):
    token = sam_client.token({"sub": "ada", "iss": "https://auth.example.com",
                              "aud": "profile-app", "scope": "profile/read",
                              "exp": time.time() + 60})
    assert sam_client.get("/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_health_is_open(sam_client):
    assert sam_client.get("/health").json() == {"ok": True}


def test_the_lambda_authorizer_guards_admin(sam_client):
    assert sam_client.get("/users").status_code == 401
    refused = sam_client.get("/users", headers={"Authorization": "Bearer someone"})
    assert refused.status_code == 401
    users = sam_client.get("/users", headers={"Authorization": "Bearer admin-grace"})
    assert users.json() == {"admin": "grace", "users": ["ada", "grace"]}
