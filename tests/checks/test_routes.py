"""Route coverage SF400-SF405: static route reading, ``--import``, the rules and ``routes``.

Every project is real FastAPI code on disk behind a real template; ``--import`` really imports
it in a subprocess. Lint runs select SF4 only, which skips cfn-lint and the SAM transform.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from sam_fastapi.checks.base import CheckContext
from sam_fastapi.checks.routes.imported import ImportFailed, import_app
from sam_fastapi.checks.routes.static import read_app
from sam_fastapi.cli import main
from sam_fastapi.config import LintConfig
from sam_fastapi.findings import Finding, Severity
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager
from sam_fastapi.template.loader import load_template
from sam_fastapi.template.model import Project, build_project

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

HEADER = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\n'


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")


def function(name: str, events: dict[str, tuple[str, str, str]], *, code: str = "svc/",
             handler: str = "app.main.handler", api: str = "Api", more: str = "") -> str:
    """A Python function with ``events``: name -> (path, method, api logical id or "")."""
    lines = [f"  {name}:", "    Type: AWS::Serverless::Function", "    Properties:",
             "      Runtime: python3.12", f"      CodeUri: {code}", f"      Handler: {handler}"]
    if more:
        lines.append(more.rstrip("\n"))
    lines.append("      Events:")
    for event, (path, method, api_id) in events.items():
        lines += [f"        {event}:", f"          Type: {api}", "          Properties:",
                  f"            Path: {path}", f"            Method: {method}"]
        if api_id:
            key = "RestApiId" if api == "Api" else "ApiId"
            lines.append(f"            {key}: !Ref {api_id}")
    return "\n".join(lines) + "\n"


def template(*functions: str, extra: str = "") -> str:
    return HEADER + "Resources:\n" + extra + "".join(functions)


def project(root: Path) -> Project:
    path = root / "template.yaml"
    return build_project(load_template(path), path)


#: Generous limits for imports on a busy machine; the defaults are what users get.
SLOW = 120


def lint(root: Path, *, import_apps: bool = False) -> list[Finding]:
    config = LintConfig(select=("SF4",), use_cache=False, import_apps=import_apps)
    return Linter(get_plugin_manager(entry_points=False), config,
                  check_time_limit=SLOW).lint([root / "template.yaml"]).findings


def line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


def summary(findings: list[Finding], root: Path) -> list[tuple[str, str, int]]:
    return sorted(
        (f.rule, Path(f.location.file).resolve().relative_to(root.resolve()).as_posix(),
         f.location.line)
        for f in findings
    )


MAIN = """\
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()


@app.get("/casts")
def list_casts():
    return []


@app.get("/casts/{cast_id}")
def get_cast(cast_id: int):
    return {}


handler = Mangum(app, lifespan="off")
"""

# -- static reading agrees with --import ---------------------------------------------------------

ROUTER_PACKAGE = {
    "svc/app/__init__.py": "",
    "svc/app/main.py": """\
        from fastapi import FastAPI
        from mangum import Mangum

        from .api import casts, movies
        from .api.admin import admin

        app = FastAPI(title="nested")
        app.mount("/legacy", FastAPI())
        app.include_router(casts.router, prefix="/v1")
        app.include_router(movies.router)
        app.include_router(admin, prefix="/admin", tags=["admin"])


        @app.api_route("/", methods=["GET", "HEAD"])
        def root():
            return {}


        handler = Mangum(app, lifespan="off")
        """,
    "svc/app/api/__init__.py": "",
    "svc/app/api/casts.py": """\
        from fastapi import APIRouter

        from . import ratings

        router = APIRouter(prefix="/casts")
        router.include_router(ratings.router, prefix="/{cast_id}")


        @router.get("")
        def list_casts():
            return []


        @router.post("/")
        async def create_cast():
            return {}
        """,
    "svc/app/api/ratings.py": """\
        from fastapi import APIRouter

        router = APIRouter(prefix="/ratings")


        def list_ratings(cast_id: int):
            return []


        router.add_api_route("", list_ratings, methods=["get"])
        router.add_api_route("/{rating_id}", list_ratings)
        """,
    "svc/app/api/movies.py": """\
        import fastapi

        router = fastapi.APIRouter(prefix="/movies")


        @router.delete("/{movie_id:int}")
        def delete_movie(movie_id: int):
            return None


        @router.api_route("/{path:path}", methods=["PUT", "PATCH"])
        def anything(path: str):
            return {}
        """,
    "svc/app/api/admin.py": """\
        from fastapi.routing import APIRouter

        admin = APIRouter()
        inner = APIRouter(prefix="/inner")
        admin.include_router(inner)


        @inner.get("/ping")
        def ping():
            return "pong"
        """,
}

FACTORY_APP = {
    "svc/service/__init__.py": "",
    "svc/service/routes.py": """\
        from fastapi import APIRouter

        router = APIRouter(prefix="/items")


        @router.get("/{item_id}")
        def get_item(item_id: str):
            return {}
        """,
    "svc/service/handler.py": """\
        from fastapi import FastAPI
        from fastapi.middleware.cors import CORSMiddleware
        from mangum import Mangum


        def create_app() -> FastAPI:
            from service.routes import router  # read only when the factory runs

            application = FastAPI(root_path="/Prod", docs_url=None)
            application.include_router(router, prefix="/api")

            @application.get("/health")
            def health():
                return "ok"

            return application


        app = create_app()
        handler = Mangum(CORSMiddleware(app, allow_origins=["*"]),
                         api_gateway_base_path="/v1", lifespan="off")
        """,
}

PER_CALL_APP = {
    "svc/main.py": """\
        from fastapi import FastAPI
        from mangum import Mangum

        from routers.users import users

        app = FastAPI(openapi_url="/api/openapi.json")
        app.include_router(users, prefix="/users")


        class Views:
            @staticmethod
            @app.get("/static")
            def static_view():
                return {}


        def handler(event, context):
            return Mangum(app, lifespan="off")(event, context)
        """,
    "svc/routers/__init__.py": "",
    "svc/routers/users.py": """\
        from fastapi import APIRouter

        users = APIRouter()


        @users.get("/")
        def list_users():
            return []


        @users.patch("/{user_id}")
        def update_user(user_id: int):
            return {}
        """,
}


@pytest.mark.parametrize(("files", "handler", "expected"), [
    (ROUTER_PACKAGE, "app.main.handler", {
        (("GET",), "/v1/casts", "app.api.casts:list_casts"),
        (("POST",), "/v1/casts/", "app.api.casts:create_cast"),
        (("GET",), "/v1/casts/{cast_id}/ratings", "app.api.ratings:list_ratings"),
        (("GET",), "/v1/casts/{cast_id}/ratings/{rating_id}", "app.api.ratings:list_ratings"),
        (("DELETE",), "/movies/{movie_id:int}", "app.api.movies:delete_movie"),
        (("PATCH", "PUT"), "/movies/{path:path}", "app.api.movies:anything"),
        (("GET",), "/admin/inner/ping", "app.api.admin:ping"),
        (("GET", "HEAD"), "/", "app.main:root"),
    }),
    (FACTORY_APP, "service.handler.handler", {
        (("GET",), "/api/items/{item_id}", "service.routes:get_item"),
        (("GET",), "/health", "service.handler:create_app.<locals>.health"),
    }),
    (PER_CALL_APP, "main.handler", {
        (("GET",), "/users/", "routers.users:list_users"),
        (("PATCH",), "/users/{user_id}", "routers.users:update_user"),
        (("GET",), "/static", "main:Views.static_view"),
    }),
], ids=["routers-prefixes-nested", "factory-root-path-middleware", "per-call-mangum"])
def test_static_reading_agrees_with_import(tmp_path: Path, files: dict[str, str], handler: str,
                                           expected: set) -> None:
    write(tmp_path, files)
    write(tmp_path, {"template.yaml": template(
        function("Fn", {"All": ("/{proxy+}", "ANY", "")}, handler=handler))})
    proj = project(tmp_path)
    fn = proj.functions["Fn"]
    static = read_app(proj, fn, CheckContext())
    imported = import_app(proj, fn, timeout=SLOW)
    assert static is not None and not isinstance(imported, ImportFailed), imported
    assert {r.key for r in static.routes} == expected
    assert sorted(r.key for r in static.routes) == sorted(r.key for r in imported.routes)
    assert static.complete and not static.notes
    for field in ("root_path", "base_path", "docs_url", "openapi_url", "mounts"):
        assert getattr(static, field) == getattr(imported, field), field
    # Static reading points at the registration, the import at the def: the same file.
    files = {r.key: Path(r.location.file).name for r in static.routes}
    assert files == {r.key: Path(r.location.file).name for r in imported.routes}


@pytest.mark.parametrize("function_id", ["CastFunction", "MovieFunction"])
def test_static_reading_agrees_with_import_on_the_movies_example(function_id: str) -> None:
    proj = project(EXAMPLES / "movies")
    fn = proj.functions[function_id]
    static, imported = read_app(proj, fn, CheckContext()), import_app(proj, fn, timeout=SLOW)
    assert static is not None and not isinstance(imported, ImportFailed), imported
    assert len(static.routes) == 6
    assert [r.key for r in static.routes] == [r.key for r in imported.routes]


def test_factory_app_settings_are_read(tmp_path: Path) -> None:
    write(tmp_path, FACTORY_APP)
    write(tmp_path, {"template.yaml": template(
        function("Fn", {"All": ("/{proxy+}", "ANY", "")}, handler="service.handler.handler"))})
    proj = project(tmp_path)
    static = read_app(proj, proj.functions["Fn"], CheckContext())
    assert static is not None
    assert (static.root_path, static.base_path, static.docs_url) == ("/Prod", "/v1", None)


def test_apps_this_reading_does_not_know_are_left_alone(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": """\
        from mangum import Mangum
        from starlette.applications import Starlette

        app = Starlette()
        handler = Mangum(app)
        """})
    write(tmp_path, {"template.yaml": template(function("Fn", {"Casts": ("/casts", "GET", "")}))})
    proj = project(tmp_path)
    assert read_app(proj, proj.functions["Fn"], CheckContext()) is None
    assert lint(tmp_path) == []


# -- SF401 route-unreachable -------------------------------------------------------------------


def test_routes_under_another_prefix_are_unreachable(tmp_path: Path) -> None:
    write(tmp_path, {
        "svc/app/__init__.py": "",
        "svc/app/main.py": """\
            from fastapi import APIRouter, FastAPI
            from mangum import Mangum

            router = APIRouter()


            @router.get("/")
            def list_casts():
                return []


            app = FastAPI()
            app.include_router(router, prefix="/api/v1/casts")
            handler = Mangum(app)
            """,
        "template.yaml": template(function("Fn", {"Casts": ("/casts/{proxy+}", "ANY", "")})),
    })
    main_py = tmp_path / "svc/app/main.py"
    findings = lint(tmp_path)
    assert summary(findings, tmp_path) == [
        ("SF401", "svc/app/main.py", line_of(main_py, '@router.get("/")')),
        ("SF402", "template.yaml", line_of(tmp_path / "template.yaml", "Path: /casts")),
    ]
    sf401 = next(f for f in findings if f.rule == "SF401")
    assert sf401.severity is Severity.ERROR
    assert "GET /api/v1/casts/ (app.main:list_casts) of Fn" in sf401.message


def test_root_route_with_only_a_proxy_event(tmp_path: Path) -> None:
    code = MAIN.replace('@app.get("/casts")', '@app.get("/")').replace(
        "FastAPI()", "FastAPI(docs_url=None)")
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": code})
    write(tmp_path, {"template.yaml": template(function("Fn", {"All": ("/{proxy+}", "ANY", "")}))})
    assert summary(lint(tmp_path), tmp_path) == [
        ("SF401", "svc/app/main.py", line_of(tmp_path / "svc/app/main.py", '@app.get("/")')),
    ]
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Root": ("/", "ANY", ""), "All": ("/{proxy+}", "ANY", "")}))})
    assert lint(tmp_path) == []


def test_route_taken_by_a_more_specific_event_of_another_function(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN,
                     "other/app/__init__.py": "",
                     "other/app/main.py": MAIN.replace('"/casts/{cast_id}"', '"/casts/x"')})
    write(tmp_path, {"template.yaml": template(
        function("Fn", {"Casts": ("/casts", "GET", ""), "Any": ("/casts/{proxy+}", "ANY", "")}),
        function("Other", {"One": ("/casts/{cast_id}", "GET", "")}, code="other/"),
    )})
    findings = lint(tmp_path)
    rules = summary(findings, tmp_path)
    assert ("SF401", "svc/app/main.py",
            line_of(tmp_path / "svc/app/main.py", '"/casts/{cast_id}"')) in rules
    # Other's app has GET /casts and /casts/x, which Fn's events take.
    assert ("SF401", "other/app/main.py",
            line_of(tmp_path / "other/app/main.py", '@app.get("/casts")')) in rules


def test_http_api_named_stage_needs_the_base_path(tmp_path: Path) -> None:
    api = ("  HttpApi:\n    Type: AWS::Serverless::HttpApi\n    Properties:\n"
           "      StageName: live\n")
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "GET", "HttpApi"), "One": ("/casts/{id}", "GET", "HttpApi")},
        api="HttpApi"), extra=api)})
    main_py = tmp_path / "svc/app/main.py"
    assert [r[0] for r in summary(lint(tmp_path), tmp_path)] == ["SF401", "SF401", "SF402",
                                                                  "SF402"]
    main_py.write_text(MAIN.replace('Mangum(app, lifespan="off")',
                                    'Mangum(app, lifespan="off", api_gateway_base_path="/live")'),
                       encoding="utf-8")
    assert lint(tmp_path) == []
    # Starlette strips a root_path the path starts with: the stage as root_path works too.
    main_py.write_text(MAIN.replace("FastAPI()", 'FastAPI(root_path="/live")'), encoding="utf-8")
    assert lint(tmp_path) == []


def test_http_api_default_route_delivers_everything_not_taken(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN,
                     "other/app/__init__.py": "",
                     "other/app/main.py": MAIN.replace("FastAPI()", "FastAPI(docs_url=None)")})
    write(tmp_path, {"template.yaml": template(
        function("Fn", {"Default": ("$default", "ANY", "")}, api="HttpApi"),
        function("Other", {"Casts": ("/casts", "GET", "")}, api="HttpApi", code="other/"),
    )})
    # GET /casts goes to Other, anything else to Fn's $default: each app has one route the
    # other function takes.
    assert summary(lint(tmp_path), tmp_path) == [
        ("SF401", "other/app/main.py", line_of(tmp_path / "other/app/main.py", "{cast_id}")),
        ("SF401", "svc/app/main.py", line_of(tmp_path / "svc/app/main.py", '"/casts")')),
    ]


# -- SF402 event-unserved ----------------------------------------------------------------------


def test_event_without_a_route(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN})
    write(tmp_path, {"template.yaml": template(function("Fn", {
        "Casts": ("/casts", "GET", ""),
        "Cast": ("/casts/{id}", "ANY", ""),
        "Ratings": ("/casts/{id}/ratings", "GET", ""),
        "Post": ("/casts", "POST", ""),
    }))})
    tpl = tmp_path / "template.yaml"
    findings = lint(tmp_path)
    assert summary(findings, tmp_path) == [
        ("SF402", "template.yaml", line_of(tpl, "Path: /casts/{id}/ratings")),
        ("SF402", "template.yaml", line_of(tpl, "Path: /casts") + 15),
    ]
    assert "event Post (POST /casts) of Fn reaches no route" in findings[-1].message


def test_event_served_through_a_trailing_slash_redirect(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "",
                     "svc/app/main.py": MAIN.replace('"/casts"', '"/casts/"')})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "GET", ""), "One": ("/casts/{id}", "GET", "")}))})
    assert lint(tmp_path) == []


def test_events_under_a_mounted_app_are_served(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN.replace(
        "app = FastAPI()", 'app = FastAPI()\napp.mount("/legacy", FastAPI())')})
    write(tmp_path, {"template.yaml": template(function("Fn", {
        "Casts": ("/casts", "GET", ""), "One": ("/casts/{id}", "GET", ""),
        "Legacy": ("/legacy/{proxy+}", "ANY", ""), "Old": ("/legacy", "ANY", "")}))})
    assert lint(tmp_path) == []
    assert lint(tmp_path, import_apps=True) == []


def test_recorded_event_without_a_route(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "ANY", ""), "Any": ("/casts/{proxy+}", "ANY", "")}))})
    movies = json.loads((EXAMPLES / "movies/events/casts/health.json").read_text())

    def recorded(name: str, method: str, path: str) -> None:
        event = dict(movies, httpMethod=method, path=path)
        write(tmp_path, {f"events/{name}.json": json.dumps(event, indent=2)})

    recorded("list", "GET", "/casts")
    recorded("one", "GET", "/casts/3")
    recorded("post_one", "POST", "/casts/3")
    recorded("elsewhere", "GET", "/movies")
    write(tmp_path, {"events/list.response.json": '{"statusCode": 200}',
                     "events/notes.json": '{"not": "an API event"}',
                     "events/broken.json": "{"})
    findings = lint(tmp_path)
    assert summary(findings, tmp_path) == [
        ("SF402", "events/elsewhere.json", 1),
        ("SF402", "events/post_one.json", 1),
    ]
    messages = sorted(f.message for f in findings)
    assert "(GET /movies) matches no API event of the template" in messages[0]
    assert "(POST /casts/3) reaches Fn, whose FastAPI app has no route" in messages[1]


# -- SF403 proxy-without-root ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Api", "HttpApi"])
def test_proxy_without_its_root(tmp_path: Path, kind: str) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Any": ("/casts/{proxy+}", "ANY", "")}, api=kind))})
    findings = lint(tmp_path)
    assert summary(findings, tmp_path) == [
        ("SF401", "svc/app/main.py", line_of(tmp_path / "svc/app/main.py", '"/casts")')),
        ("SF403", "template.yaml", line_of(tmp_path / "template.yaml", "Path: /casts/{proxy+}"))]
    assert findings[1].severity is Severity.WARNING
    # Nothing at /casts itself: the missing event loses no request.
    write(tmp_path, {"svc/app/main.py": MAIN.replace('"/casts"', '"/casts/all"')})
    assert lint(tmp_path) == []
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Root": ("/casts", "GET", ""), "Any": ("/casts/{proxy+}", "ANY", "")}, api=kind))})
    assert summary(lint(tmp_path), tmp_path) == [
        ("SF402", "template.yaml", line_of(tmp_path / "template.yaml", "Path: /casts\n"[:-1]))]


# -- SF404 stage-base-path ---------------------------------------------------------------------

DOCS_APP = MAIN.replace("app = FastAPI()", "app = FastAPI(SETTINGS)")


@pytest.mark.parametrize(("settings", "mangum", "reported"), [
    ("", "", True),
    ('root_path="/Prod"', "", False),
    # Mangum strips the stage from the path but leaves root_path empty: the docs still break.
    ("", ', api_gateway_base_path="/Prod"', True),
    ("docs_url=None", "", False),
    ('root_path="/Dev"', "", True),
])
def test_docs_behind_the_rest_stage(tmp_path: Path, settings: str, mangum: str,
                                    reported: bool) -> None:
    code = DOCS_APP.replace("SETTINGS", settings).replace(
        'lifespan="off")', f'lifespan="off"{mangum})')
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": code})
    write(tmp_path, {"template.yaml": template(function("Fn", {"Any": ("/{proxy+}", "ANY", "")}))})
    findings = lint(tmp_path)
    expected = [("SF404", "svc/app/main.py", line_of(tmp_path / "svc/app/main.py", "FastAPI("))]
    assert summary(findings, tmp_path) == (expected if reported else [])
    if reported:
        assert findings[0].severity is Severity.WARNING
        assert "at /Prod/docs" in findings[0].message


def sf404_advice() -> str:
    """The code SF404's docs give as the fix, in an app with one route."""
    from sam_fastapi.plugins import registered_rules

    docs = registered_rules(get_plugin_manager(entry_points=False))["SF404"].docs
    block = re.search(r"## Use instead\n.*?```python\n(.*?)```", docs, re.S)[1]
    return ("from fastapi import FastAPI\nfrom mangum import Mangum\n\n\n" + block
            + '\n\n@app.get("/casts")\ndef list_casts():\n    return []\n')


def test_sf404_advice_serves_the_docs_behind_the_stage_without_deprecation(tmp_path: Path):
    """What SF404 advises, as its docs write it: lint accepts it, importing it warns of nothing
    on the installed FastAPI, and through the real gateway the docs page loads its schema
    from behind the stage on a REST API and on an HTTP API's named stage."""
    import subprocess
    import sys

    from sam_fastapi.gateway import Gateway

    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": sf404_advice()})
    write(tmp_path, {"template.yaml": template(
        function("Rest", {"Any": ("/{proxy+}", "ANY", "")}),
        function("Named", {"Any": ("/{proxy+}", "ANY", "Http")}, api="HttpApi"),
        extra="  Http:\n    Type: AWS::Serverless::HttpApi\n    Properties: {StageName: Prod}\n")})
    assert lint(tmp_path) == []
    assert lint(tmp_path, import_apps=True) == []
    imported = subprocess.run(
        [sys.executable, "-W", "error::DeprecationWarning", "-c", "import app.main"],
        cwd=tmp_path / "svc", capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr
    template_path = tmp_path / "template.yaml"
    gateway = Gateway(build_project(load_template(template_path), template_path))
    for api in ("ServerlessRestApi", "Http"):
        page = gateway.request("GET", "/Prod/docs", api_id=api)
        assert page.status == 200
        schema_url = re.search(r"url: '([^']+)'", page.body.decode())[1]
        assert schema_url == "/Prod/openapi.json"
        assert gateway.request("GET", schema_url, api_id=api).status == 200


def test_docs_not_delivered_or_on_the_default_stage_are_fine(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "GET", ""), "Any": ("/casts/{proxy+}", "ANY", "")}))})
    assert lint(tmp_path) == []
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Any": ("/{proxy+}", "ANY", "")}, api="HttpApi"))})
    assert lint(tmp_path) == []


# -- SF400 and what static reading cannot tell -------------------------------------------------


DYNAMIC = MAIN.replace("app = FastAPI()", "import os\nfrom fastapi import APIRouter\n\n"
                       "app = FastAPI()\nextra = APIRouter()\n"
                       'app.include_router(extra, prefix=os.environ["PREFIX"])')


def test_dynamic_prefix_is_said_at_info_level_not_guessed(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": DYNAMIC})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "GET", ""), "Ratings": ("/ratings", "GET", "")},
        more="      Environment:\n        Variables:\n          PREFIX: /ratings\n"))})
    findings = lint(tmp_path)
    assert summary(findings, tmp_path) == [
        ("SF400", "svc/app/main.py", line_of(tmp_path / "svc/app/main.py", "include_router")),
        ("SF401", "svc/app/main.py", line_of(tmp_path / "svc/app/main.py", "{cast_id}")),
    ]
    assert findings[0].severity is Severity.INFO


def test_import_reads_what_static_reading_cannot(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    dynamic = DYNAMIC.replace('def list_casts', 'def list_casts_first') + textwrap.dedent("""\
        import os as _os
        assert "SAM_FASTAPI_TEST_SECRET" not in _os.environ, "the environment leaked"


        @extra.get("")
        def ratings():
            return []
        """)
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": dynamic})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "GET", ""), "Ratings": ("/ratings", "GET", "")},
        more="      Environment:\n        Variables:\n          PREFIX: /ratings\n"))})
    monkeypatch.setenv("SAM_FASTAPI_TEST_SECRET", "1")
    # Only GET /casts/{cast_id} is left: imported, the ratings route is known and served.
    assert summary(lint(tmp_path, import_apps=True), tmp_path) == [
        ("SF401", "svc/app/main.py", line_of(tmp_path / "svc/app/main.py", "{cast_id}")),
    ]


# -- SF405 and the import subprocess -----------------------------------------------------------


def test_failing_import_is_a_finding_and_static_reading_takes_over(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "",
                     "svc/app/main.py": MAIN + 'raise RuntimeError("no database at import")\n'})
    write(tmp_path, {"template.yaml": template(function("Fn", {"Casts": ("/casts", "GET", "")}))})
    findings = lint(tmp_path, import_apps=True)
    assert summary(findings, tmp_path) == [
        ("SF401", "svc/app/main.py", line_of(tmp_path / "svc/app/main.py", "{cast_id}")),
        ("SF405", "template.yaml", line_of(tmp_path / "template.yaml", "Handler:")),
    ]
    failed = next(f for f in findings if f.rule == "SF405")
    assert failed.message.endswith("RuntimeError: no database at import")


def test_import_that_hangs_or_exits_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"svc/app/__init__.py": "",
                     "svc/app/main.py": "import time\nwhile True:\n    time.sleep(1)\n",
                     "svc/exits.py": "import os\nos._exit(3)\n"})
    write(tmp_path, {"template.yaml": template(function("Fn", {"Casts": ("/casts", "GET", "")}))})
    proj = project(tmp_path)
    fn = proj.functions["Fn"]
    hung = import_app(proj, fn, timeout=1)
    assert isinstance(hung, ImportFailed)
    assert hung.message.endswith("it did not finish within 1 s")
    exited = import_app(proj, replace(fn, handler="exits.handler"), timeout=SLOW)
    assert isinstance(exited, ImportFailed)
    assert exited.message.endswith("the process exited with 3")


def test_lint_without_import_never_runs_the_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN + (
        f"open({str(marker)!r}, 'w').close()\n")})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "GET", ""), "One": ("/casts/{id}", "GET", "")}))})
    assert lint(tmp_path) == []
    assert not marker.exists()
    assert lint(tmp_path, import_apps=True) == []
    assert marker.exists()


# -- the examples ------------------------------------------------------------------------------


def test_movies_example_is_covered_statically_and_imported() -> None:
    assert lint(EXAMPLES / "movies") == []
    assert lint(EXAMPLES / "movies", import_apps=True) == []


def test_broken_example_reports_the_same_route_findings_imported() -> None:
    static = summary(lint(EXAMPLES / "broken"), EXAMPLES / "broken")
    assert [rule for rule, _, _ in static] == ["SF401", "SF402", "SF403", "SF404"]
    assert summary(lint(EXAMPLES / "broken", import_apps=True), EXAMPLES / "broken") == static


# -- sam-fastapi routes ------------------------------------------------------------------------


def test_routes_command_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN.replace(
        '"/casts/{cast_id}"', '"/other/{cast_id}"')})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "GET", ""), "Gone": ("/gone", "POST", "")}))})
    assert main(["routes", str(tmp_path / "template.yaml")]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].split() == ["METHOD", "PATH", "FUNCTION", "ENDPOINT"]
    assert [line.split() for line in text[1:]] == [
        ["GET", "/Prod/casts", "Fn", "app.main:list_casts"],
        ["GET", "/other/{cast_id}", "Fn", "app.main:get_cast", "UNREACHABLE"],
        ["POST", "/Prod/gone", "Fn", "-", "UNSERVED"],
    ]
    assert main(["routes", str(tmp_path), "--format", "json", "--import"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {"method": "GET", "path": "/Prod/casts", "function": "Fn",
                       "endpoint": "app.main:list_casts", "api": "ServerlessRestApi",
                       "event": "Casts", "status": "ok"}
    assert [r["status"] for r in rows] == ["ok", "unreachable", "unserved"]


def test_routes_command_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: no such file" in capsys.readouterr().err
    (tmp_path / "template.yaml").write_text("Resources: {Fn: [\n", encoding="utf-8")
    assert main(["routes", str(tmp_path / "template.yaml")]) == 2
    assert main(["routes", str(tmp_path / "template.yaml"), "--format", "xml"]) == 2
    err = capsys.readouterr().err
    assert err.count("sam-fastapi: error:") == 2 and "Traceback" not in err


def test_lint_command_import_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"svc/app/__init__.py": "",
                     "svc/app/main.py": MAIN + "raise ImportError('broken on purpose')\n"})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "GET", ""), "One": ("/casts/{id}", "GET", "")}))})
    args = ["lint", str(tmp_path / "template.yaml"), "--select", "SF4", "--no-cache",
            "--format", "json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main([*args, "--import"]) == 0  # SF405 is a warning
    findings = json.loads(capsys.readouterr().out)
    assert [f["rule"] for f in findings] == ["SF405"]
    assert findings[0]["message"].endswith("ImportError: broken on purpose")


# -- matching both ways: API Gateway's resources against Starlette's routes ------------------

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


def test_the_path_convertors_are_starlettes():
    from starlette.convertors import CONVERTOR_TYPES

    from sam_fastapi.checks.routes import app

    assert {name: c.regex for name, c in CONVERTOR_TYPES.items()} == app._CONVERTOR_PATTERNS


@pytest.mark.parametrize(("resource", "route", "shared"), [
    ("/hello", "/{name}", "/hello"),
    ("/items/{id}", "/items/special", "/items/special"),
    ("/{proxy+}", "/items/{id}", "/items/1"),
    ("/{proxy+}", "/", None),  # a greedy parameter needs a segment
    ("/files/{p+}", "/files/{path:path}", "/files/1"),
    ("/", "/{rest:path}", "/"),
    ("/x/abc", "/x/{n:int}", None),
    ("/x/42", "/x/{n:int}", "/x/42"),
    ("/a/{b}/c", "/a/{q}/{r}", "/a/1/c"),
    ("/api", "/api/{x}", None),
    ("/items", "/items/", "/items/"),
])
def test_common_path_is_one_both_templates_match(resource, route, shared):
    from sam_fastapi.checks.routes.app import AppRoute, common_path

    assert common_path(resource, route) == shared
    if shared is not None:
        assert AppRoute(("GET",), route, "m:f").matches(shared)


def test_what_lint_calls_reachable_the_gateway_answers(tmp_path, monkeypatch):
    """The corpus project with a literal event for a parameterised route and the other way
    round: lint finds nothing, and the real gateway and Mangum answer both routes."""
    import shutil

    from sam_fastapi.gateway import Gateway

    project_dir = tmp_path / "project"
    shutil.copytree(CORPUS / "route_parameter_literal_event", project_dir,
                    ignore=shutil.ignore_patterns("expected.json"))
    template = project_dir / "template.yaml"
    monkeypatch.chdir(project_dir)
    assert main(["lint", str(template), "--select", "SF4", "--no-cache"]) == 0
    gateway = Gateway(build_project(load_template(template), template))
    hello = gateway.request("GET", "/Prod/hello")
    special = gateway.request("GET", "/Prod/items/special")
    assert (hello.status, hello.json()) == (200, {"hello": "hello"})
    assert (special.status, special.json()) == (200, {"special": True})


def test_prefixes_from_a_settings_module_are_read_and_listed_by_routes(capsys):
    """``prefix=settings.API_V1_STR`` and module constants from the code's config module are
    resolved statically: no SF400, and ``routes`` lists the routes under them."""
    template = CORPUS / "routes_prefix_from_settings" / "template.yaml"
    assert main(["routes", str(template), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["method"], r["path"], r["endpoint"], r["status"]) for r in rows] == [
        ("GET", "/api/v1/items/{item_id}", "app.api.items:read_item", "ok"),
        ("GET", "/api/v1/items-owners/{owner}", "app.api.items:read_owner", "ok"),
    ]


def test_fastapis_own_docs_routes_serve_a_greedy_event(tmp_path: Path) -> None:
    """``/{proxy+}`` beside ``/``, for an app whose only route is ``/``: the event still
    delivers FastAPI's ``/docs`` and ``/openapi.json``, so it is not unserved."""
    write(tmp_path, {"svc/app/__init__.py": "", "svc/app/main.py": MAIN.replace(
        '"/casts"', '"/"').replace('"/casts/{cast_id}"', '"/"').replace(
        "app = FastAPI()", 'app = FastAPI(root_path="/Prod")')})
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Root": ("/", "ANY", ""), "Any": ("/{proxy+}", "ANY", "")}))})
    assert lint(tmp_path) == []
    write(tmp_path, {"svc/app/main.py": MAIN.replace('"/casts"', '"/"').replace(
        '"/casts/{cast_id}"', '"/"').replace("app = FastAPI()", "app = FastAPI(openapi_url=None)")})
    assert summary(lint(tmp_path), tmp_path) == [
        ("SF402", "template.yaml", line_of(tmp_path / "template.yaml", "Path: /{proxy+}"))]


def test_routes_registered_on_a_parameter_are_unknown_not_missing(tmp_path: Path) -> None:
    """A helper given the app (``mount_frontend(app)``) registers a catch-all route on its
    parameter: the reading says so (SF400) and does not call the events unserved."""
    write(tmp_path, {
        "svc/app/__init__.py": "",
        "svc/app/frontend.py": """\
            def mount_frontend(app):
                @app.get("/{full_path:path}", include_in_schema=False)
                def serve_frontend(full_path: str):
                    return full_path

                return app
            """,
        "svc/app/main.py": MAIN.replace("handler = Mangum", "from app.frontend import "
                                        "mount_frontend\n\nmount_frontend(app)\nhandler = Mangum"
                                        ).replace("FastAPI()", "FastAPI(docs_url=None)"),
    })
    write(tmp_path, {"template.yaml": template(function(
        "Fn", {"Casts": ("/casts", "GET", ""), "Any": ("/{proxy+}", "ANY", "")}))})
    frontend = tmp_path / "svc/app/frontend.py"
    assert summary(lint(tmp_path), tmp_path) == [
        ("SF400", "svc/app/frontend.py", line_of(frontend, "@app.get"))]


ROUTE_TEMPLATES = [
    "/", "/items", "/items/", "/items/{id}", "/items/{id}/", "/items/{id:int}", "/{a}/{b:int}/c",
    "/{name:str}", "/{x:unknown}", "/files/{p:path}", "/{v:float}", "/{u:uuid}", "/{id}.json",
    "/a}b/{id}", "/{a/b}", "/{a:}", "//{x}", "/{x}//{y}", "/{a}{b}", "/ü/{n:int}",
]
REQUEST_PATHS = [
    "/", "", "/items", "/items/", "/items/1", "/items/1/", "/items/x1", "/items/1/2", "/1/2/c",
    "/a/2/c", "/a/x/c", "/a//c", "/files/", "/files/a/b", "/1.5", "/x.json", "/a}b/1", "/a/b",
    "//1", "/1//2", "/ab", "/ü/3", "/ü/³", "/items/\u0661", "/items/\n",
    "/00000000-0000-0000-0000-000000000000",
]


@pytest.mark.parametrize("template", ROUTE_TEMPLATES)
def test_route_matching_agrees_with_starlettes_pattern(template: str) -> None:
    """Routes whose parameters each take a whole segment are matched part by part, without
    compiling a pattern; the answers are those of the pattern for every path."""
    from sam_fastapi.checks.routes.app import AppRoute, _compiled

    route = AppRoute(("GET",), template, "app:f")
    for path in REQUEST_PATHS:
        assert route.matches(path) == (_compiled(template).fullmatch(path) is not None), path
