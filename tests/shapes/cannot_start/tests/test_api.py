def test_orders(sam_client):
    assert sam_client.get("/orders").json() == [{"id": 1}]


def test_invoices(sam_client):
    assert sam_client.get("/invoices").status_code == 200


def test_reports(sam_client):
    assert sam_client.get("/reports").status_code == 200
