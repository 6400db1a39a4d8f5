"""The SAM transform, run offline by aws-sam-translator (no credentials, no network).

``python -m sam_fastapi.translate`` answers JSON templates with the transform's errors
(``sam_fastapi.child.serve``); ``TranslationJob`` runs it next to cfn-lint so both use a core.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sam_fastapi.child import Call, ChildFailed, ChildRefused, WarmChildren, serve
from sam_fastapi.template.model import is_intrinsic

PLACEHOLDER_S3 = "s3://sam-fastapi-placeholder/code.zip"
PLACEHOLDER_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sam-fastapi-placeholder:latest"
_DEFINITION_URI_TYPES = (
    "AWS::Serverless::Api",
    "AWS::Serverless::HttpApi",
    "AWS::Serverless::StateMachine",
)


@dataclass(frozen=True)
class TransformError:
    """One cause the translator gave, with the resource it names (when it names one)."""

    message: str
    resource: str | None


#: Functions per partition: small enough that the translator's per-event copy of the API
#: definition stays cheap, large enough that its fixed cost per call does not dominate.
PARTITION_SIZE = 16


def translate(template: Mapping[str, Any]) -> list[TransformError]:
    """Transform ``template`` and return its errors, exactly as one whole translation would.

    aws-sam-translator copies a shared API's whole definition once per event, so translating
    a template of N functions on one API costs O(N^2). Functions only meet in the translator
    through the resources they share, so they are translated in partitions of a few
    functions, each with every other resource. When a partition fails, or the functions
    could meet in ways partitions would hide (the same route twice on one API, generated
    logical ids that could collide, connectors), the whole template is translated instead,
    so the errors reported are always those of the whole template.
    """
    partitions = _partitions(template)
    if partitions is None:
        return _translate_whole(template)
    for partition in partitions:
        if _translate_whole(partition):
            return _translate_whole(template)
    return []


def _translate_whole(template: Mapping[str, Any]) -> list[TransformError]:
    from samtranslator.model.exceptions import (
        ExceptionWithMessage,
        InvalidDocumentException,
        InvalidResourceException,
    )
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator

    logging.getLogger("samtranslator").setLevel(logging.CRITICAL)
    ArnGenerator.BOTO_SESSION_REGION_NAME = os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    document = offline_copy(template)
    translator = Translator(None, Parser())
    try:
        translator.translate(document, parameter_values={}, get_managed_policy_map=dict)
    except InvalidDocumentException as exc:
        return [
            TransformError(cause.message, _logical_id(cause, InvalidResourceException))
            for cause in exc.causes
        ]
    except ExceptionWithMessage as exc:
        return [TransformError(exc.message, _logical_id(exc, InvalidResourceException))]
    except Exception as exc:  # the translator's own bugs on odd input
        return [TransformError(f"{type(exc).__name__}: {exc}", None)]
    return []


def _partitions(template: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """Sub-templates of a few functions each, or None when only the whole template is exact."""
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return None
    functions = [
        key for key, value in resources.items()
        if isinstance(value, Mapping) and value.get("Type") == "AWS::Serverless::Function"
    ]
    if len(functions) <= PARTITION_SIZE or not _independent(resources, functions):
        return None
    shared = {k: v for k, v in resources.items() if k not in set(functions)}
    partitions = []
    for start in range(0, len(functions), PARTITION_SIZE):
        chunk = functions[start:start + PARTITION_SIZE]
        partitions.append({**template, "Resources": {**shared, **{k: resources[k] for k in chunk}}})
    return partitions


def _independent(resources: Mapping[str, Any], functions: list[str]) -> bool:
    """True when translating the functions apart cannot hide an error of the whole."""
    ids = [str(k) for k in resources]
    for function in functions:
        # Generated resources are named after their function (FnRole, FnEvtPermissionProd...):
        # another resource whose id extends a function's id could collide with one of them.
        if any(other != function and other.startswith(function) for other in ids):
            return False
    routes: set[tuple[str, str, str]] = set()
    for key, resource in resources.items():
        if not isinstance(resource, Mapping):
            return False
        if resource.get("Type") == "AWS::Serverless::Connector" or "Connectors" in resource:
            return False
        if key not in functions:
            continue
        properties = resource.get("Properties")
        events = properties.get("Events") if isinstance(properties, Mapping) else None
        if not isinstance(events, Mapping):
            continue
        for event in events.values():
            if not isinstance(event, Mapping) or event.get("Type") not in ("Api", "HttpApi"):
                continue
            props = event.get("Properties")
            if not isinstance(props, Mapping):
                continue
            api = props.get("RestApiId", props.get("ApiId"))
            route = (f"{event.get('Type')}:{api!r}", repr(props.get("Path")),
                     repr(props.get("Method")).lower())
            if route in routes:
                return False
            routes.add(route)
    return True


def _logical_id(cause: Any, resource_error: type) -> str | None:
    if isinstance(cause, resource_error):
        logical_id = cause._logical_id
        if isinstance(logical_id, list):
            return str(logical_id[0]) if logical_id else None
        return str(logical_id)
    return None


def offline_copy(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy the translator accepts offline: local code folders become placeholder S3 URIs."""
    document = copy.deepcopy(dict(template))
    resources = document.get("Resources")
    if not isinstance(resources, dict):
        return document
    for resource in resources.values():
        if not isinstance(resource, dict) or not isinstance(resource.get("Properties"), dict):
            continue
        props = resource["Properties"]
        rtype = resource.get("Type")
        if rtype == "AWS::Serverless::Function":
            if props.get("PackageType") == "Image":
                _to_placeholder(props, "ImageUri", PLACEHOLDER_IMAGE)
            elif "InlineCode" not in props:
                _to_placeholder(props, "CodeUri", PLACEHOLDER_S3)
            if isinstance(props.get("AutoPublishCodeSha256"), dict):
                props["AutoPublishCodeSha256"] = "placeholder"
        elif rtype == "AWS::Serverless::LayerVersion":
            _to_placeholder(props, "ContentUri", PLACEHOLDER_S3)
        elif rtype in _DEFINITION_URI_TYPES:
            if isinstance(props.get("DefinitionUri"), str):
                _to_placeholder(props, "DefinitionUri", PLACEHOLDER_S3)
        elif rtype == "AWS::Serverless::Application" and isinstance(props.get("Location"), str):
            _to_placeholder(props, "Location", PLACEHOLDER_S3)
    return document


def _to_placeholder(props: dict[str, Any], key: str, placeholder: str) -> None:
    value = props.get(key)
    if isinstance(value, str) and (value.startswith("s3://") or "dkr.ecr" in value):
        return
    if isinstance(value, dict) and not is_intrinsic(value):
        return
    props[key] = placeholder


class TranslationJob:
    """The transform in a child process, so that it runs beside cfn-lint on another core.

    Start it first (a child of its own spends its first second importing the translator),
    then ``submit`` the decoded template and collect ``result`` when cfn-lint is done. With
    ``children`` (``lint --watch``) the template goes to the warm translator child.
    """

    def __init__(self, children: WarmChildren | None = None) -> None:
        self._call = Call("sam_fastapi.translate", children)

    def submit(self, template: Mapping[str, Any]) -> None:
        self._call.send(template)

    def result(self) -> list[TransformError]:
        try:
            return [TransformError(**item) for item in self._call.answer()]
        except ChildFailed as exc:
            raise RuntimeError(f"the SAM transform could not run (exit code "
                               f"{exc.returncode}): {exc.last_line}") from None
        except (ChildRefused, ValueError, TypeError) as exc:
            raise RuntimeError(f"the SAM transform gave an unreadable answer: {exc}") from None

    def cancel(self) -> None:
        self._call.cancel()


def main() -> int:
    """Serve templates to transform (``sam_fastapi.child.serve``) until standard input closes;
    each answer is the list of the transform's errors."""
    if hasattr(os, "nice"):
        # cfn-lint is the long pole of a lint run: the transform yields it the CPU it needs.
        os.nice(10)

    def answer(template: object) -> object:
        errors = translate(template) if isinstance(template, dict) else []
        return [e.__dict__ for e in errors]

    return serve(answer)


if __name__ == "__main__":
    raise SystemExit(main())
