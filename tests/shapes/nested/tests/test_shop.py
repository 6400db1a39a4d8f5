def test_the_root_api_serves_the_catalog(sam_client):
    answer = sam_client.get("/items").json()
    assert answer["items"] == ["tea", "cups"]
    assert answer["stage"] == "Prod"


def test_the_nested_api_serves_orders_with_the_parameters_passed_down(sam_client):
    answer = sam_client.get("/orders").json()
    assert (answer["env"], answer["currency"]) == ("dev", "EUR")
    # Its own HTTP API: its own id and its $default stage.
    assert answer["stage"] == "$default"
    assert answer["api"] != sam_client.get("/items").json()["api"]
    assert answer["function"] == "OrdersApp-Orders"
    assert sam_client.get("/orders/7").json() == {"id": 7, "total": 12.5}


def test_a_nested_function_is_named_as_sam_cli_names_it(sam_client):
    event = sam_client.get("/orders/3").event
    invocation = sam_client.invoke("OrdersApp/Orders", event)
    assert (invocation.result["statusCode"], invocation.result["body"]) == (
        200, '{"id":3,"total":12.5}')
