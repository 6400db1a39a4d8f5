"""Route matching as API Gateway does it (APIGW-BEHAVIOR §1, §2), from real templates."""

from __future__ import annotations

import pytest

from sam_fastapi.gateway.answers import no_route
from sam_fastapi.gateway.router import Match, Miss, Router


def _template(routes: list[tuple[str, str, str | None, str | None]], apis: str = "") -> str:
    """One function per route (its logical id names the route), so a match says which won."""
    lines = ["Transform: AWS::Serverless-2016-10-31", "Resources:", apis]
    for name, kind, path, method in routes:
        props = [f'Path: "{path}"'] if path else []
        props += [f"Method: {method}"] if method else []
        if kind.startswith("Api:") or kind.startswith("HttpApi:"):
            kind, api = kind.split(":")
            props.append(f"{'RestApiId' if kind == 'Api' else 'ApiId'}: !Ref {api}")
        body = ", ".join(props)
        lines += [
            f"  {name}:",
            "    Type: AWS::Serverless::Function",
            "    Properties:",
            "      Runtime: python3.12",
            "      Handler: app.handler",
            "      Events:",
            "        E:",
            f"          Type: {kind}",
            f"          Properties: {{{body}}}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def router(project):
    def make(routes, apis: str = "") -> Router:
        return Router.from_project(project(_template(routes, apis)))
    return make


def served(found: Match | Miss) -> str | None:
    return found.route.function if isinstance(found, Match) else None


def test_literal_beats_greedy_and_backtracks_to_a_greedy_sibling(router) -> None:
    # LS-SNAP test_routing_with_hardcoded_resource_sibling_order (recorded on AWS).
    r = router([("Part1", "Api", "/part1", "GET"),
                ("Hardcoded", "Api", "/part1/hardcoded-value", "GET"),
                ("Greedy", "Api", "/{param+}", "GET")])

    assert served(r.match("GET", "/part1")) == "Part1"
    assert served(r.match("GET", "/part1/hardcoded-value")) == "Hardcoded"
    found = r.match("GET", "/part1/random-value")
    assert served(found) == "Greedy"
    assert found.path_parameters == {"param": "part1/random-value"}


def test_a_literal_without_the_method_does_not_block_a_greedy_sibling(router) -> None:
    # LS-SNAP test_proxy_routing_with_hardcoded_resource_sibling.
    r = router([("Test", "Api", "/test", "POST"), ("Proxy", "Api", "/{proxy+}", "OPTIONS")])

    assert served(r.match("OPTIONS", "/test")) == "Proxy"
    assert served(r.match("POST", "/test")) == "Test"


def test_specific_method_beats_any_on_the_same_resource(router) -> None:
    r = router([("Get", "Api", "/items", "GET"), ("Any", "Api", "/items", "ANY")])

    assert served(r.match("GET", "/items")) == "Get"
    assert served(r.match("DELETE", "/items")) == "Any"


def test_literal_beats_parameter_beats_greedy(router) -> None:
    r = router([("Literal", "Api", "/items/special", "GET"),
                ("Param", "Api", "/items/{id}", "GET"),
                ("Greedy", "Api", "/items/{proxy+}", "GET")])

    assert served(r.match("GET", "/items/special")) == "Literal"
    found = r.match("GET", "/items/5")
    assert (served(found), found.path_parameters) == ("Param", {"id": "5"})
    found = r.match("GET", "/items/5/parts")
    assert (served(found), found.path_parameters) == ("Greedy", {"proxy": "5/parts"})


def test_parameter_branch_backtracks_to_a_greedy_ancestor(router) -> None:
    r = router([("Deep", "Api", "/a/{id}/x", "GET"), ("Greedy", "Api", "/a/{proxy+}", "GET")])

    assert served(r.match("GET", "/a/1/x")) == "Deep"
    assert served(r.match("GET", "/a/1/y")) == "Greedy"


def test_greedy_does_not_match_its_own_resource(router) -> None:
    r = router([("Proxy", "Api", "/{proxy+}", "ANY")])

    miss = r.match("GET", "/")
    assert isinstance(miss, Miss)
    answer = no_route(miss.api.is_http)
    assert (answer.status, answer.body) == (403, b'{"message":"Missing Authentication Token"}')
    assert ("x-amzn-ErrorType", "MissingAuthenticationTokenException") in answer.headers


def test_root_resource_matches_the_bare_stage(router) -> None:
    r = router([("Root", "Api", "/", "ANY"), ("Proxy", "Api", "/{proxy+}", "ANY")])

    assert served(r.match("GET", "/")) == "Root"
    assert served(r.match("GET", "/Prod")) == "Root"
    assert served(r.match("GET", "/Prod/")) == "Root"


def test_trailing_slash_matches_and_greedy_value_drops_it(router) -> None:
    # LS-SNAP test_lambda_aws_proxy_integration: path keeps the slash, proxy drops it.
    r = router([("Items", "Api", "/items", "GET"), ("Proxy", "Api", "/p/{proxy+}", "GET")])

    found = r.match("GET", "/items/")
    assert (served(found), found.path) == ("Items", "/items/")
    assert r.match("GET", "/p/value/").path_parameters == {"proxy": "value"}
    assert r.match("GET", "/p/a//b").path_parameters == {"proxy": "a//b"}


def test_rest_keeps_percent_encoding_in_parameters(router) -> None:
    r = router([("Item", "Api", "/items/{id}", "GET")])

    assert r.match("GET", "/items/a%2Bb").path_parameters == {"id": "a%2Bb"}


def test_paths_are_case_sensitive(router) -> None:
    r = router([("Items", "Api", "/items", "GET")])

    assert isinstance(r.match("GET", "/Items"), Miss)


def test_rest_stage_prefix_is_stripped_when_it_leads(router) -> None:
    api = """  V1:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
"""
    r = router([("Items", "Api:V1", "/items", "GET")], api)

    found = r.match("GET", "/v1/items")
    assert (served(found), found.path) == ("Items", "/items")
    assert served(r.match("GET", "/items")) == "Items"
    assert isinstance(r.match("GET", "/Prod/items"), Miss)


def test_http_api_selection_order_from_the_aws_guide(router) -> None:
    # D-HTTPROUTES worked example.
    r = router([("Static", "HttpApi", "/pets/dog/1", "GET"),
                ("Param", "HttpApi", "/pets/dog/{id}", "GET"),
                ("PetsGreedy", "HttpApi", "/pets/{proxy+}", "GET"),
                ("AnyGreedy", "HttpApi", "/{proxy+}", "ANY"),
                ("Default", "HttpApi", None, None)])

    assert served(r.match("GET", "/pets/dog/1")) == "Static"
    assert served(r.match("GET", "/pets/dog/2")) == "Param"
    assert served(r.match("GET", "/pets/cat/1")) == "PetsGreedy"
    assert served(r.match("POST", "/test/5")) == "AnyGreedy"
    found = r.match("GET", "/")
    assert (served(found), found.route.route_key) == ("Default", "$default")


def test_http_api_prefers_any_full_match_to_a_greedy_one(router) -> None:
    routes = [("Full", "{kind}", "/{a}/x/y", "GET"), ("Greedy", "{kind}", "/p/{proxy+}", "GET")]
    http = router([(n, "HttpApi", p, m) for n, _, p, m in routes])
    rest = router([(n, "Api", p, m) for n, _, p, m in routes])

    assert served(http.match("GET", "/p/x/y")) == "Full"
    # REST walks the tree literal-first and finds the greedy resource under /p.
    assert served(rest.match("GET", "/p/x/y")) == "Greedy"


def test_http_api_miss_and_wrong_method_are_404(router) -> None:
    r = router([("Items", "HttpApi", "/items", "GET")])

    for method, path in (("GET", "/nope"), ("POST", "/items")):
        miss = r.match(method, path)
        assert isinstance(miss, Miss)
        answer = no_route(miss.api.is_http)
        assert (answer.status, answer.body) == (404, b'{"message":"Not Found"}')


def test_http_api_decodes_path_parameters(router) -> None:
    r = router([("Item", "HttpApi", "/items/{id}", "GET")])

    assert r.match("GET", "/items/a%20b").path_parameters == {"id": "a b"}


def test_http_api_named_stage_is_optional_in_the_request(router) -> None:
    api = """  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageName: dev
"""
    r = router([("Items", "HttpApi:Http", "/items", "GET")], api)

    assert r.match("GET", "/dev/items").path == "/items"
    assert r.match("GET", "/items").path == "/items"


def test_several_apis_named_stage_then_specificity_then_template_order(router) -> None:
    apis = """  Admin:
    Type: AWS::Serverless::Api
    Properties:
      StageName: admin
"""
    r = router([("AdminProxy", "Api:Admin", "/{proxy+}", "ANY"),
                ("PublicProxy", "Api", "/{proxy+}", "ANY"),
                ("PublicUsers", "Api", "/users/{proxy+}", "ANY")], apis)

    assert served(r.match("GET", "/admin/users/1")) == "AdminProxy"
    assert served(r.match("GET", "/Prod/users/1")) == "PublicUsers"
    assert served(r.match("GET", "/users/1")) == "PublicUsers"
    assert served(r.match("GET", "/other")) == "AdminProxy"  # declared first
    assert served(r.match("GET", "/other", api_id="ServerlessRestApi")) == "PublicProxy"


def test_unknown_api_id_names_the_known_ones(router) -> None:
    r = router([("Items", "Api", "/items", "GET")])

    with pytest.raises(LookupError, match="APIs: ServerlessRestApi"):
        r.match("GET", "/items", api_id="Other")


def test_http_api_path_without_method_is_any(router) -> None:
    r = router([("Items", "HttpApi", "/items", None)])

    found = r.match("DELETE", "/items")
    assert (served(found), found.route.route_key) == ("Items", "ANY /items")


def test_template_without_api_events_has_no_routes(router) -> None:
    with pytest.raises(LookupError, match="no Api or HttpApi events"):
        router([]).match("GET", "/")


def test_any_means_the_seven_methods_api_gateway_knows(router) -> None:
    r = router([("Any", "Api", "/items", "ANY")])

    assert served(r.match("HEAD", "/items")) == "Any"
    assert isinstance(r.match("TRACE", "/items"), Miss)


def test_an_answer_is_remembered_and_cannot_be_changed_by_its_user(router, monkeypatch) -> None:
    r = router([("Item", "Api", "/items/{id}", "GET"), ("Greedy", "Api", "/{proxy+}", "ANY")])
    monkeypatch.setattr("sam_fastapi.gateway.router._ANSWERS_KEPT", 3)

    first = r.match("GET", "/items/7")
    with pytest.raises(TypeError):
        first.path_parameters["id"] = "8"  # type: ignore[index]

    assert r.match("GET", "/items/7") is first
    for n in range(10):  # more distinct requests than are kept: answers stay right
        assert r.match("GET", f"/items/{n}").path_parameters == {"id": str(n)}
        assert served(r.match("POST", f"/items/{n}")) == "Greedy"
    assert r.match("GET", "/items/7").path_parameters == {"id": "7"}
