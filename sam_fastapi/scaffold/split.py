"""``sam-fastapi split``: one Lambda function per group of a monolith's routes.

``make_plan`` groups what ``monolith.describe`` found (by the ``APIRouter`` a route came from,
or by its first path segment) and notes what cannot be split safely. ``split_files`` writes the
project: per group an entry module that serves the monolith's own app limited to the group's
paths, the monolith's package shared through a layer, a template routing each group's paths,
and the proof of equivalence: every route's sample request as a recorded event, with the
monolith's answer as its snapshot.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sam_fastapi.scaffold import GROUP_BY
from sam_fastapi.scaffold.events import EventBuilder, event_text, snapshot_text
from sam_fastapi.scaffold.project import (
    DEV_REQUIREMENTS,
    INSTALL_AND_TEST,
    Layer,
    ProjectSpec,
    Service,
    camel,
    dependency_layer,
    prefix_paths,
    render_layer_makefile,
    render_samconfig,
    render_template,
    snake,
)
from sam_fastapi.template.model import find_project_root

CODE_LAYER = "CodeLayer"
ROOT_GROUP = "root"
#: Response headers a snapshot does not pin: they differ between any two servers.
_UNPINNED = frozenset({"date", "server", "content-length", "connection", "transfer-encoding"})
_PARAM = re.compile(r"\{([^}:]+)(?::([^}]+))?\}")


class SplitError(Exception):
    """The project cannot be split as asked; the message says why in one line."""


@dataclass(frozen=True)
class Note:
    """Something that could not be split safely: what, why, and what the tool did."""

    subject: str
    reason: str
    action: str


@dataclass
class Group:
    name: str
    routes: list[dict[str, Any]]
    origin: str  # the router or path prefix the routes share
    event_paths: tuple[str, ...] = ()

    @property
    def folder(self) -> str:
        return f"{snake(self.name)}_service"

    @property
    def logical_id(self) -> str:
        return f"{camel(self.name)}Function"

    @property
    def paths(self) -> list[str]:
        return list(dict.fromkeys(route["path"] for route in self.routes))


@dataclass
class Plan:
    target: str
    group_by: str
    app: Mapping[str, Any]
    groups: list[Group]
    notes: list[Note] = field(default_factory=list)

    @property
    def package(self) -> str:
        return self.app["package"]


# -- planning ----------------------------------------------------------------------------------


def make_plan(target: str, app: Mapping[str, Any], *, group_by: str = "router") -> Plan:
    if group_by not in GROUP_BY:
        raise SplitError(f"--group-by {group_by!r}: choose from {', '.join(GROUP_BY)}")
    docs = set(app.get("docs", ()))
    notes: list[Note] = []
    served = []
    for route in app["routes"]:
        kind, path = route["kind"], route["path"]
        if kind in ("api", "route") and path not in docs:
            served.append(route)
        elif kind == "websocket":
            notes.append(Note(f"{path} (WebSocket)",
                              "API Gateway REST and HTTP APIs do not carry WebSocket connections",
                              "left out of every function"))
        elif kind == "mount":
            notes.append(Note(f"{path} (mounted {route['app']})",
                              "a mounted app is opaque: its routes cannot be listed or compared",
                              "left out of every function; deploy it on its own"))
        elif kind == "other":
            notes.append(Note(f"{path} ({route['name']})", "not an HTTP route FastAPI describes",
                              "left out of every function"))
    if docs:
        notes.append(Note(", ".join(sorted(docs)),
                          "FastAPI's own documentation routes describe the whole monolith",
                          "left out of every function"))
    if not served:
        raise SplitError(f"{target} has no HTTP routes to split")

    groups: dict[str, Group] = {}
    for route in served:
        key, origin = _group_key(route, group_by)
        if key not in groups:
            groups[key] = Group(name=key, routes=[], origin=origin)
        groups[key].routes.append(route)
    plan = Plan(target, group_by, app, _named(list(groups.values()), group_by), notes)
    _route_events(plan)
    notes.extend(_state_notes(plan.groups))
    if app.get("lifespan") and len(plan.groups) > 1:
        notes.append(Note(
            "startup work", f"{app['lifespan']} runs for the whole app, whichever group needs it",
            "kept in every function; Mangum runs it around every invocation (lifespan=\"auto\")"))
    return plan


def _group_key(route: Mapping[str, Any], group_by: str) -> tuple[str, str]:
    if group_by == "router":
        router = route.get("router")
        return (router, f"router {router}") if router else ("", "routes of the app itself")
    first = _literal_segments(route["path"])[:1]
    return (first[0], f"prefix /{first[0]}") if first else ("", "the root path")


def _named(groups: list[Group], group_by: str) -> list[Group]:
    """Name each group after its prefix, or for a router the last literal segment its paths
    share (``products``), else its router's module, else ``root``; names are unique."""
    taken: set[str] = set()
    for group in groups:
        common = _common_prefix([_literal_segments(p) for p in group.paths])
        if group_by == "prefix":
            base = group.name or ROOT_GROUP
        elif common:
            base = common[-1]
        elif group.name:
            module, _, variable = group.name.rpartition(".")
            base = module.rpartition(".")[2] if variable == "router" else variable
        else:
            base = ROOT_GROUP
        base = re.sub(r"[^a-z0-9]+", "-", base.lower()).strip("-") or ROOT_GROUP
        name, number = base, 2
        while name in taken:
            name, number = f"{base}-{number}", number + 1
        taken.add(name)
        group.name = name
    return groups


def _route_events(plan: Plan) -> None:
    """API paths per group: the shared prefix and everything under it (``{proxy+}``), as
    far as the group has routes there, or, when the routes share no prefix, each route's own
    path. Groups that would claim the same API path are merged, since API Gateway can send a
    path to one function only."""
    owners: dict[str, Group] = {}
    for group in list(plan.groups):
        common = _common_prefix([_literal_segments(p) for p in group.paths])
        if common:
            root, proxy = prefix_paths("/".join(common))
            # Only events some route answers: one that reaches no route is an error (SF402).
            paths = tuple(event for event, wanted in (
                (root, any(p.rstrip("/") == root for p in group.paths)),
                (proxy, any(p.rstrip("/") != root for p in group.paths))) if wanted)
        else:
            paths = tuple(dict.fromkeys(_api_path(p) for p in group.paths))
        clash = next((owners[p] for p in paths if p in owners), None)
        if clash is not None:
            clash.routes.extend(group.routes)
            plan.groups.remove(group)
            extra = tuple(p for p in paths if p not in clash.event_paths)
            clash.event_paths += extra
            owners.update(dict.fromkeys(extra, clash))
            plan.notes.append(Note(
                f"group {group.name} ({group.origin})",
                f"its API paths overlap those of group {clash.name}",
                f"merged into {clash.name}"))
            continue
        group.event_paths = paths
        owners.update(dict.fromkeys(paths, group))


def _state_notes(groups: Sequence[Group]) -> list[Note]:
    users: dict[str, list[str]] = {}
    for group in groups:
        for name in sorted({s for route in group.routes for s in route.get("state", ())}):
            users.setdefault(name, []).append(group.name)
    return [
        Note(name, f"module state used by groups {', '.join(names)}: after the split each "
                   "function has its own copy, and a change made through one is not seen by "
                   "the others",
             "split anyway; keep such state in a store all functions share (a database)")
        for name, names in users.items() if len(names) > 1
    ]


def _literal_segments(path: str) -> list[str]:
    segments = []
    for segment in path.strip("/").split("/"):
        if not segment or "{" in segment:
            break
        segments.append(segment)
    return segments


def _common_prefix(lists: Sequence[Sequence[str]]) -> list[str]:
    common: list[str] = []
    for parts in zip(*lists, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return common


def _api_path(path: str) -> str:
    """A FastAPI path as an API Gateway resource path: ``{p:path}`` -> ``{p+}``."""
    def convert(match: re.Match[str]) -> str:
        name, convertor = match.group(1), match.group(2)
        return f"{{{name}+}}" if convertor == "path" else f"{{{name}}}"

    return _PARAM.sub(convert, path) or "/"


def format_plan(plan: Plan) -> str:
    lines = [f"split {plan.target} by {plan.group_by} into {len(plan.groups)} functions:", ""]
    for group in plan.groups:
        lines.append(f"{group.name} -> {group.logical_id} ({group.folder}/, {group.origin})")
        lines.append(f"  API paths: {', '.join(group.event_paths)}")
        for route in group.routes:
            methods = ",".join(m for m in route["methods"] if m not in ("HEAD",)) or "*"
            lines.append(f"  {methods:<7} {route['path']}  ({route['name']})")
        lines.append("")
    if plan.notes:
        lines.append("not split safely:")
        for note in plan.notes:
            lines.append(f"  {note.subject}: {note.reason}; {note.action}")
    return "\n".join(lines).rstrip() + "\n"


# -- the project -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    out: Path
    http_api: bool = False
    copy_code: bool = False
    runtime: str = "python3.12"
    architecture: str = "x86_64"
    requirements: str | None = None  # the layer's requirements.txt, when the user has one


def code_layer(plan: Plan, options: Options) -> tuple[Layer, dict[str, str]]:
    """The layer that carries the monolith's package, and the files to write for it.

    By default it points at the package where it is, so the source is not forked. That needs
    the package inside the project that holds the template (a folder above both with
    pyproject.toml or .git), else ``sam build`` would package files from outside the project
    (SF103). With ``copy_code`` the package is copied into ``layers/code``.
    """
    package = Path(plan.app["package_path"])
    root = Path(plan.app["source_root"])
    description = f"The {plan.package} package, shared by every function."
    if options.copy_code:
        files = {"layers/code/requirements.txt": ""}
        for path in _package_files(package, plan.app["is_package"]):
            relative = path.relative_to(root).as_posix()
            try:
                files[f"layers/code/{relative}"] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                raise SplitError(f"{path} is not UTF-8 text; copy it into layers/code "
                                 "yourself, or split without --copy") from None
        return Layer(CODE_LAYER, "layers/code", description, options.runtime), files
    out = options.out.resolve()
    if out == root or out.is_relative_to(root):
        raise SplitError(
            f"{options.out} is inside {root}, the folder the layer would ship whole; "
            "write the project elsewhere or use --copy")
    if not root.is_relative_to(find_project_root(out)):
        raise SplitError(
            f"{root} (where {plan.package} is) is outside the project {options.out} would "
            "belong to; write --out inside the repository that holds it (below its "
            "pyproject.toml or .git) or use --copy")
    relative = Path(os.path.relpath(root, out)).as_posix()
    return Layer(CODE_LAYER, relative, description, options.runtime), {}


def _package_files(package: Path, is_package: bool) -> list[Path]:
    if not is_package:
        return [package]
    return sorted(p for p in package.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")


def project_spec(plan: Plan, options: Options, layer: Layer) -> ProjectSpec:
    entry = _entry_package(plan)
    services = tuple(
        Service(
            name=group.name,
            code_uri=f"{group.folder}/",
            handler=f"{entry}.main.handler",
            paths=group.event_paths,
            description=f"{plan.target}: the {group.name} routes.",
            layers=(dependency_layer(plan.package).logical_id, layer.logical_id),
        )
        for group in plan.groups
    )
    return ProjectSpec(
        name=snake(plan.package).replace("_", "-"),
        description=f"{plan.target} split into one function per "
                    f"{'router' if plan.group_by == 'router' else 'path prefix'}.",
        services=services,
        layers=(dependency_layer(plan.package), layer),
        http_api=options.http_api,
        runtime=options.runtime,
        architecture=options.architecture,
    )


def _entry_package(plan: Plan) -> str:
    # The function's own package must not hide the monolith's on sys.path.
    return "service" if plan.package == "app" else "app"


def equivalence_requests(plan: Plan) -> list[dict[str, Any]]:
    """One request per route and method, in the order pytest replays their events: groups
    by folder name, routes as the monolith declares them."""
    requests = []
    for group in sorted(plan.groups, key=lambda g: g.name):
        for route in group.routes:
            for method, sample in route["samples"].items():
                headers = [("accept", "application/json"), *map(tuple, sample["headers"])]
                body = ""
                if "json" in sample:
                    body = json.dumps(sample["json"], separators=(",", ":"))
                    headers.append(("content-type", "application/json"))
                requests.append({"group": group.name, "route": route["name"],
                                 "method": method, "path": sample["path"],
                                 "query": sample["query"], "headers": headers, "body": body})
    return requests


def split_files(plan: Plan, options: Options, requests: Sequence[Mapping[str, Any]],
                answers: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Every file of the split project; ``answers`` are the monolith's, request by request."""
    layer, files = code_layer(plan, options)
    spec = project_spec(plan, options, layer)
    template = render_template(spec)
    entry = _entry_package(plan)
    lifespan = "auto" if plan.app.get("lifespan") else "off"
    files.update({
        "template.yaml": template,
        "pytest.ini": _PYTEST_INI,
        "layers/shared/requirements.txt": _layer_requirements(plan, options),
        "requirements-dev.txt": DEV_REQUIREMENTS,
        "layers/shared/Makefile": render_layer_makefile(),
        ".gitignore": ".aws-sam/\n__pycache__/\n",
    })
    if options.copy_code or Path(plan.app["source_root"]).is_relative_to(options.out.resolve()):
        # Not otherwise: samconfig.toml would make this folder a project of its own, and the
        # layer that reaches the package above it would lead out of the project.
        files["samconfig.toml"] = render_samconfig(spec.name, http_api=options.http_api)
    for group in plan.groups:
        files[f"{group.folder}/requirements.txt"] = ""
        files[f"{group.folder}/{entry}/__init__.py"] = (
            f'"""The {group.name} function, split from {plan.target}."""\n')
        files[f"{group.folder}/{entry}/main.py"] = _entry_module(plan, group, layer, lifespan)

    events = EventBuilder(template)
    stable = _stable_headers(answers)
    counters: dict[str, int] = {}
    for request, answer in zip(requests, answers, strict=True):
        if answer["status"] >= 500:
            plan.notes.append(Note(
                f"{request['method']} {request['path']}",
                f"the monolith answered {answer['status']} to the sample request",
                "no equivalence event (a replay must answer below 500)"))
            continue
        try:
            event = events.event(request["method"], request["path"], query=request["query"],
                                 headers=request["headers"], body=request["body"].encode())
        except LookupError as exc:
            plan.notes.append(Note(f"{request['method']} {request['path']}", str(exc),
                                   "no equivalence event"))
            continue
        number = counters[request["group"]] = counters.get(request["group"], 0) + 1
        stem = f"events/{request['group']}/{number:03d}-{request['method'].lower()}-" \
               f"{snake(request['route']).replace('_', '-')}"
        files[f"{stem}.json"] = event_text(event)
        files[f"{stem}.response.json"] = _snapshot(answer, stable)
    files["tests/test_routing.py"] = _routing_test(plan, spec)
    files["README.md"] = _readme(plan, spec, layer)
    return files


_PYTEST_INI = """\
# pytest runs tests/, then every recorded event under events/ through template.yaml.
[pytest]
sam_template = template.yaml
testpaths = tests
# The events replay the monolith's session in order (a create, then a read of what was
# created): keep pytest from shuffling them.
addopts = -p no:randomly
"""


def _stable_headers(answers: Sequence[Mapping[str, Any]]) -> set[str]:
    """Headers worth pinning: the content type, and those the monolith sent with the same
    value every time (``x-api-version``, CORS). A value that changes from one response to the
    next (``x-process-time``, ``x-request-id``, ``location``) would change on a replay too."""
    values: dict[str, set[str]] = {}
    for answer in answers:
        for name, value in answer["headers"]:
            values.setdefault(name.lower(), set()).add(value)
    return {"content-type"} | {
        name for name, seen in values.items() if len(seen) == 1 and name not in _UNPINNED}


def _snapshot(answer: Mapping[str, Any], stable: set[str]) -> str:
    headers = [(k, v) for k, v in answer["headers"]]
    return snapshot_text(answer["status"], headers, base64.b64decode(answer["body"]),
                         pin=stable)


def _layer_requirements(plan: Plan, options: Options) -> str:
    if options.requirements is not None:
        lines = options.requirements.splitlines()
    else:
        lines = [d for d in plan.app.get("distributions", ())
                 if not d.lower().startswith(("sam-fastapi==", "mangum=="))]
    if not any(re.match(r"\s*mangum\b", line, re.IGNORECASE) for line in lines):
        lines.append("mangum>=0.17,<1")
    return "\n".join(lines) + "\n"


_ENTRY = '''\
"""{logical_id}: the {name} routes of {target}, served on Lambda.

Generated by `sam-fastapi split`. The app holds this group's routes only, each built from the
monolith's own declaration (endpoint, dependencies, response model, status code...), and takes
over the monolith's middleware, exception handlers, dependency overrides, state and startup
work. The {package} package comes from the {layer} layer: its source is not copied here.
"""

import inspect

from fastapi import FastAPI
from mangum import Mangum

from {module} import {attribute} as monolith
{imports}

def _declared(path, methods):
    """The monolith's route for ``path`` and ``methods``, as FastAPI built it."""
    try:
        # FastAPI versions that keep included routers whole list their routes through this.
        from fastapi.routing import iter_route_contexts

        routes = list(iter_route_contexts(monolith.router.routes))
    except ImportError:
        routes = monolith.router.routes
    for route in routes:
        if getattr(route, "path", None) == path and set(route.methods or ()) == set(methods):
            return route
    raise LookupError(f"{{path}} ({{methods}}) is no longer a route of {target}")


def _options(path, methods):
    """What the monolith's declaration of the route says: dependencies, response model,
    status code..., all that ``add_api_route`` takes besides path, endpoint and methods."""
    route = _declared(path, methods)
    names = inspect.signature(app.add_api_route).parameters
    return {{name: getattr(route, name) for name in names
            if name not in ("path", "endpoint", "methods") and hasattr(route, name)}}


app = FastAPI({settings})
app.user_middleware = list(monolith.user_middleware)
app.exception_handlers = dict(monolith.exception_handlers)
app.dependency_overrides = monolith.dependency_overrides
app.state = monolith.state
app.router.lifespan_context = monolith.router.lifespan_context
app.router.on_startup = list(monolith.router.on_startup)
app.router.on_shutdown = list(monolith.router.on_shutdown)

{routes}

{lifespan_comment}
handler = Mangum(app, lifespan="{lifespan}")
'''

_DEFAULT_SETTINGS = {"title": "FastAPI", "version": "0.1.0", "description": "",
                     "openapi_url": "/openapi.json", "docs_url": "/docs", "redoc_url": "/redoc",
                     "root_path": ""}


def _entry_module(plan: Plan, group: Group, layer: Layer, lifespan: str) -> str:
    module, _, attribute = plan.target.partition(":")
    if lifespan == "auto":
        comment = "# The monolith has startup work; Mangum runs it around every invocation."
    else:
        comment = ("# Built once per container. The monolith has no startup work, and with "
                   "lifespan on\n# Mangum would run the lifespan cycle around every invocation.")
    settings = ", ".join(
        f"{name}={value!r}" for name, value in plan.app.get("settings", {}).items()
        if (value is None or isinstance(value, str)) and value != _DEFAULT_SETTINGS.get(name))
    imports: dict[tuple[str, str], str] = {}
    routes = []
    for route in group.routes:
        path, methods = route["path"], list(route["methods"])
        where = route.get("endpoint_import")
        if where:
            endpoint = imports.setdefault(tuple(where), _alias(where, imports.values()))
        else:
            endpoint = f"_declared({path!r}, {methods!r}).endpoint"
        if route["kind"] == "route":
            # A plain Starlette route (app.add_route): the endpoint takes the request itself.
            routes.append(f"app.add_route({path!r}, {endpoint}, methods={methods!r}, "
                          f"name={route['name']!r})")
            continue
        routes.append(f"app.add_api_route(\n    {path!r}, {endpoint}, methods={methods!r},\n"
                      f"    **_options({path!r}, {methods!r}),\n)")
    import_lines = "".join(
        f"from {m} import {n}\n" if alias == n else f"from {m} import {n} as {alias}\n"
        for (m, n), alias in sorted(imports.items()))
    return _ENTRY.format(
        logical_id=group.logical_id, name=group.name, target=plan.target,
        package=plan.package, layer=layer.logical_id, module=module, attribute=attribute,
        imports=import_lines, settings=settings, routes="\n".join(routes), lifespan=lifespan,
        lifespan_comment=comment,
    )


def _alias(where: Sequence[str], taken) -> str:
    """The endpoint's own name, or one prefixed by its module when two endpoints share it."""
    module, name = where
    taken = set(taken) | {"app", "monolith", "handler", "inspect", "FastAPI", "Mangum"}
    if name not in taken and not name.startswith("_"):
        return name
    alias = f"{module.rpartition('.')[2]}_{name.lstrip('_')}"
    number = 2
    while alias in taken:
        alias, number = f"{module.rpartition('.')[2]}_{name.lstrip('_')}_{number}", number + 1
    return alias


def _routing_test(plan: Plan, spec: ProjectSpec) -> str:
    cases = []
    for group in plan.groups:
        route = group.routes[0]
        sample = next(iter(route["samples"].values()), {"path": route["path"]})
        cases.append(f"    ({json.dumps(sample['path'])}, {json.dumps(group.logical_id)}),")
    catch_all = any(p.endswith("{proxy+}") and p.count("/") == 1
                    for g in plan.groups for p in g.event_paths)
    unrouted = "" if catch_all else f'''

def test_other_paths_reach_no_function(sam_client):
    response = sam_client.options("/no-such-path-in-{snake(plan.package)}")
    assert response.function is None
    assert response.status_code == {404 if spec.http_api else 403}
'''
    return f'''"""Each group's paths reach its own function; events/ proves that each route answers
as the monolith did (recorded from {plan.target} by `sam-fastapi split`)."""

import pytest

ROUTES = [
{chr(10).join(cases)}
]


@pytest.fixture(scope="module", autouse=True)
def _cold_afterwards(sam_gateway):
    yield
    # The events replay the monolith's session from a cold start, as it was recorded.
    sam_gateway.cold_start()


@pytest.mark.parametrize(("path", "function"), ROUTES)
def test_routed_to_its_function(sam_client, path, function):
    # OPTIONS runs no endpoint, so no state changes before the events replay.
    assert sam_client.options(path).function == function
{unrouted}'''


def _readme(plan: Plan, spec: ProjectSpec, layer: Layer) -> str:
    return f"""# {spec.name}

`{plan.target}` split into one AWS Lambda function per group by `sam-fastapi split`.
The functions run the monolith's own app from the `{layer.logical_id}` layer
(`{layer.content_uri}`), each limited to its group's paths.

```
{format_plan(plan)}```

```
{INSTALL_AND_TEST}
pytest        # tests/, then events/: every route's answer, as the monolith gave it
sam build && sam deploy
```

`events/` holds one recorded API Gateway event per route and method, with the monolith's
answer beside it (`*.response.json`). They replay in order, as one session, so run them
without shuffling or spreading them over workers; tests you add to `tests/` run first, so
leave the functions as you found them (`sam_gateway.cold_start()`).
"""
