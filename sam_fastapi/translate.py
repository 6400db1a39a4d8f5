"""The SAM transform, run offline by aws-sam-translator (no credentials, no network).

``python -m sam_fastapi.translate`` reads a JSON template on stdin and writes the transform's
errors as JSON on stdout; ``TranslationJob`` runs it next to cfn-lint so both use a core.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLACEHOLDER_S3 = "s3://sam-fastapi-placeholder/code.zip"


@dataclass(frozen=True)
class TransformError:
    """One cause the translator gave, with the resource it names (when it names one)."""

    message: str
    resource: str | None


def translate(template: Mapping[str, Any]) -> list[TransformError]:
    """Transform ``template`` and return its errors (empty when it translates)."""
    from samtranslator.model.exceptions import (
        ExceptionWithMessage,
        InvalidDocumentException,
        InvalidResourceException,
    )
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from samtranslator.translator.arn_generator import ArnGenerator

    ArnGenerator.BOTO_SESSION_REGION_NAME = os.environ["AWS_DEFAULT_REGION"]
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
                _to_placeholder(props, "ImageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/f:latest")
            elif "InlineCode" not in props:
                _to_placeholder(props, "CodeUri", PLACEHOLDER_S3)
            if isinstance(props.get("AutoPublishCodeSha256"), dict):
                props["AutoPublishCodeSha256"] = "placeholder"
        elif rtype == "AWS::Serverless::LayerVersion":
            _to_placeholder(props, "ContentUri", PLACEHOLDER_S3)
        elif rtype in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::StateMachine"):
            if isinstance(props.get("DefinitionUri"), str):
                _to_placeholder(props, "DefinitionUri", PLACEHOLDER_S3)
        elif rtype == "AWS::Serverless::Application" and isinstance(props.get("Location"), str):
            _to_placeholder(props, "Location", PLACEHOLDER_S3)
    return document


def _to_placeholder(props: dict[str, Any], key: str, placeholder: str) -> None:
    value = props.get(key)
    if isinstance(value, str) and (value.startswith("s3://") or "dkr.ecr" in value):
        return
    if isinstance(value, dict) and not (len(value) == 1 and ("Ref" in value or next(iter(value)).startswith("Fn::"))):
        return
    props[key] = placeholder


class TranslationJob:
    """The transform in a child process, so that it runs beside cfn-lint on another core.

    Start it first (the child spends its first second importing the translator), then
    ``submit`` the decoded template and collect ``result`` when cfn-lint is done.
    """

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "sam_fastapi.translate"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._writer: threading.Thread | None = None

    def submit(self, template: Mapping[str, Any]) -> None:
        payload = json.dumps(template, default=str).encode()
        # A writer thread, so a template larger than the pipe's buffer does not hold up
        # cfn-lint while the child is still importing the translator.
        self._writer = threading.Thread(target=self._write, args=(payload,), daemon=True)
        self._writer.start()

    def _write(self, payload: bytes) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            stdin.write(payload)
            stdin.close()

    def result(self) -> list[TransformError]:
        if self._writer is not None:
            self._writer.join()
        self._process.stdin = None
        out, err = self._process.communicate()
        if self._process.returncode != 0:
            last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise RuntimeError(f"SAM translation process failed: {last[0]}")
        return [TransformError(**item) for item in json.loads(out)]

    def cancel(self) -> None:
        self._process.kill()
        self._process.communicate()


def main() -> int:
    template = json.load(sys.stdin)
    errors = translate(template) if isinstance(template, dict) else []
    json.dump([e.__dict__ for e in errors], sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
