"""``sam-fastapi init``: a new project in the layout of ``examples/movies``.

One service folder per resource (``app/main.py`` with ``handler = Mangum(app)``, a router in
``app/api/``, an empty ``requirements.txt``), a shared dependency layer built by a Makefile,
``template.yaml``, ``samconfig.toml``, tests through ``sam_client`` and a recorded event with its
response snapshot per resource.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from sam_fastapi.scaffold.events import EventBuilder, event_text, snapshot_text
from sam_fastapi.scaffold.project import (
    DEV_REQUIREMENTS,
    INSTALL_AND_TEST,
    ProjectSpec,
    Service,
    camel,
    dependency_layer,
    prefix_paths,
    render_layer_makefile,
    render_pyproject,
    render_samconfig,
    render_template,
    snake,
)

RESOURCE_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
DEFAULT_RESOURCES = ("items",)
LAYER_REQUIREMENTS = "fastapi>=0.110,<1\nmangum>=0.17,<1\npydantic>=2.5,<3\n"


def check_resource(name: str) -> str:
    """A resource name is a URL segment and, in snake case, a Python module name."""
    if not RESOURCE_NAME.match(name):
        raise ValueError(f"resource {name!r} must be lower case letters, digits and '-', "
                         "starting with a letter (it is the URL segment: /casts)")
    if snake(name) in ("app", "api", "main", "tests"):
        raise ValueError(f"resource {name!r} clashes with the project's own folder names")
    return name


def init_files(name: str, resources: Sequence[str] = DEFAULT_RESOURCES, *,
               http_api: bool = False, runtime: str = "python3.12",
               architecture: str = "x86_64") -> dict[str, str]:
    """Every file of the new project, by relative path."""
    resources = list(dict.fromkeys(check_resource(r) for r in resources or DEFAULT_RESOURCES))
    services = tuple(
        Service(
            name=resource,
            code_uri=f"{snake(resource)}_service/",
            handler="app.main.handler",
            paths=prefix_paths(resource),
            description=f"The {resource} service: /{resource} and everything under it.",
        )
        for resource in resources
    )
    spec = ProjectSpec(
        name=name,
        description=f"{name}: FastAPI services on AWS Lambda, one function per resource, "
                    "sharing their dependencies through a layer.",
        services=services,
        layers=(dependency_layer(name),),
        http_api=http_api,
        runtime=runtime,
        architecture=architecture,
    )
    template = render_template(spec)
    files = {
        "template.yaml": template,
        "samconfig.toml": render_samconfig(snake(name).replace("_", "-"), http_api=http_api),
        "pyproject.toml": render_pyproject(name),
        "layers/shared/requirements.txt": LAYER_REQUIREMENTS,
        "requirements-dev.txt": DEV_REQUIREMENTS,
        "layers/shared/Makefile": render_layer_makefile(),
        ".gitignore": ".aws-sam/\n__pycache__/\n",
        "README.md": _readme(spec),
        "tests/test_routing.py": _routing_test(spec),
    }
    events = EventBuilder(template)
    for service in services:
        files.update(_service_files(service))
        module = snake(service.name)
        files[f"tests/test_{module}.py"] = _service_test(service)
        event = events.event("GET", f"/{service.name}/health", headers=[("accept", "*/*")])
        files[f"events/{service.name}/health.json"] = event_text(event)
        body = json.dumps({"status": "ok", "service": service.name}, separators=(",", ":"))
        files[f"events/{service.name}/health.response.json"] = snapshot_text(
            200, [("content-type", "application/json")], body.encode())
    return files


def _service_files(service: Service) -> dict[str, str]:
    folder = service.code_uri.rstrip("/")
    module = snake(service.name)
    model = camel(service.name)
    return {
        f"{folder}/requirements.txt": "",
        f"{folder}/app/__init__.py": f'"""The {service.name} service."""\n',
        f"{folder}/app/api/__init__.py": f'"""The {service.name} service\'s routers."""\n',
        f"{folder}/app/main.py": _MAIN.format(name=service.name, module=module),
        f"{folder}/app/api/{module}.py": _ROUTER.format(name=service.name, module=module,
                                                         model=model),
    }


_MAIN = '''\
"""The {name} service's FastAPI app and the Lambda handler that serves it (``app.main.handler``)."""

from fastapi import FastAPI
from mangum import Mangum

from app.api import {module}

app = FastAPI(title="{name} service", version="0.1.0")
app.include_router({module}.router)

# Built once per container, not per invocation. The app has no startup or shutdown work, and
# with lifespan on Mangum would run the whole lifespan cycle around every single invocation.
handler = Mangum(app, lifespan="off")
'''

_ROUTER = '''\
"""``/{name}``: create, list and read {name}."""

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field


class {model}In(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class {model}({model}In):
    id: int


# In memory: one store per Lambda container (or test process). Use a database for real data.
_store: dict[int, {model}] = {{}}

router = APIRouter(prefix="/{name}", tags=["{name}"])


# Declared before /{{item_id}} so that "health" is never read as an id.
@router.get("/health")
def health() -> dict[str, str]:
    return {{"status": "ok", "service": "{name}"}}


# "" rather than "/": the API event is /{name}, and /{name}/ would answer with a redirect.
@router.get("")
def list_{module}() -> list[{model}]:
    return list(_store.values())


@router.post("", status_code=status.HTTP_201_CREATED)
def create_{module}(data: {model}In) -> {model}:
    item = {model}(id=max(_store, default=0) + 1, **dict(data))  # pydantic 1 and 2 alike
    _store[item.id] = item
    return item


@router.get("/{{item_id}}")
def get_{module}(item_id: int) -> {model}:
    if item_id not in _store:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{name} {{item_id}} not found")
    return _store[item_id]
'''

_SERVICE_TEST = '''\
"""The {name} service through template.yaml's API events (``pytest`` runs with the template)."""


def test_health(sam_client):
    response = sam_client.get("/{name}/health")
    assert response.status_code == 200
    assert response.json() == {{"status": "ok", "service": "{name}"}}
    assert response.function == "{logical_id}"


def test_create_then_read(sam_client):
    created = sam_client.post("/{name}", json={{"name": "first"}})
    assert created.status_code == 201
    item = created.json()
    assert sam_client.get(f"/{name}/{{item['id']}}").json() == item
    assert item in sam_client.get("/{name}").json()


def test_invalid_body_is_422(sam_client):
    assert sam_client.post("/{name}", json={{"name": ""}}).status_code == 422


def test_unknown_id_is_404(sam_client):
    assert sam_client.get("/{name}/999999").status_code == 404
'''


def _service_test(service: Service) -> str:
    return _SERVICE_TEST.format(name=service.name, logical_id=service.logical_id)


def _routing_test(spec: ProjectSpec) -> str:
    status = 404 if spec.http_api else 403
    return (
        '"""Paths outside every function\'s events are answered by API Gateway itself."""\n\n\n'
        "def test_unknown_path(sam_client):\n"
        '    response = sam_client.get("/no-such-resource")\n'
        f"    assert response.status_code == {status}\n"
        "    assert response.function is None\n"
    )


def _readme(spec: ProjectSpec) -> str:
    rows = "\n".join(
        f"{s.code_uri:<24} {s.logical_id}: {', '.join(s.paths)}" for s in spec.services
    )
    return f"""# {spec.name}

FastAPI on AWS Lambda with AWS SAM, one function per resource (made by `sam-fastapi init`).

```
template.yaml            {spec.api_id}, one function per service, {spec.layers[0].logical_id}
{rows}
layers/shared/           requirements.txt and the Makefile that installs it into python/
tests/                   requests through the template's API events (sam_client)
events/                  recorded API Gateway events, replayed as tests with their snapshots
```

```
{INSTALL_AND_TEST}
pytest                                # sam_template in pyproject.toml
sam build && sam deploy               # samconfig.toml has the defaults
```

Add a dependency to `layers/shared/requirements.txt`; a dependency of one service alone goes
to that service's `requirements.txt`.
"""
