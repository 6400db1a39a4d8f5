"""SF501 dependency-missing, with the requirements reader and the distribution metadata behind it.

Projects are real code and requirement files on disk, linted through the real runner (cfn-lint
and the translator deselected). Distribution metadata is either what is really installed in
this virtualenv (fastapi depends on starlette and pydantic) or ``*.dist-info`` folders written
as pip writes them into a ``sam build`` output.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from sam_fastapi.checks.deps.distributions import import_table, marker_environment
from sam_fastapi.checks.deps.requirements import read_requirements
from sam_fastapi.checks.deps.runtime import is_stdlib
from sam_fastapi.config import LintConfig
from sam_fastapi.findings import Finding, Severity
from sam_fastapi.lint import Linter
from sam_fastapi.plugins import get_plugin_manager

MAIN = """\
from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()
handler = Mangum(app, lifespan="off")
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(content), encoding="utf-8")


def template(root: Path, *, runtime: str = "python3.12", layers: str = "",
             extra: str = "") -> Path:
    path = root / "template.yaml"
    path.write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Api:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      CodeUri: src/\n"
        "      Handler: app.main.handler\n"
        f"      Runtime: {runtime}\n"
        + (f"      Layers:\n{layers}" if layers else "")
        + extra,
        encoding="utf-8",
    )
    return path


SHARED_LAYER = """\
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/shared/
      CompatibleRuntimes: [python3.12]
    Metadata:
      BuildMethod: makefile
"""


def lint(path: Path) -> list[Finding]:
    linter = Linter(get_plugin_manager(entry_points=False),
                    LintConfig(select=("SF5",), use_cache=False))
    return [f for f in linter.lint([path]).findings if f.rule == "SF501"]


def summary(findings: list[Finding], root: Path) -> list[tuple[str, str, int, str]]:
    return sorted(
        (f.rule, Path(f.location.file).resolve().relative_to(root.resolve()).as_posix(),
         f.location.line, f.severity.label)
        for f in findings
    )


# -- the rule --------------------------------------------------------------------------------


def test_unlisted_import_is_an_error_at_the_import(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/requirements.txt": "fastapi\nmangum\n",
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN.replace("from mangum import Mangum\n",
                                        "from mangum import Mangum\nimport yaml\n"),
    })
    findings = lint(template(tmp_path))
    assert summary(findings, tmp_path) == [("SF501", "src/app/main.py", 3, "error")]
    message = findings[0].message
    assert message.startswith("`import yaml` in Api: yaml is in none of src/requirements.txt "
                              "nor what they depend on, and python3.12 does not provide it")
    assert "add PyYAML to src/requirements.txt" in message
    assert findings[0].resource == "Api"


def test_local_imports_are_followed_to_the_module_that_imports(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/requirements.txt": "fastapi\nmangum\n",
        "src/app/__init__.py": "from .settings import load  # runs before app.main\n",
        "src/app/settings.py": "import dotenv\n\n\ndef load():\n    import toml  # lazy\n",
        "src/app/main.py": MAIN + "from app import auth\nfrom .db import session\n",
        "src/app/auth.py": '"""Tokens."""\n\nfrom jose import jwt\n',
        "src/app/db/__init__.py": "from . import session\n",
        "src/app/db/session.py": "import sqlalchemy\n",
    })
    findings = lint(template(tmp_path))
    assert summary(findings, tmp_path) == [
        ("SF501", "src/app/auth.py", 3, "error"),
        ("SF501", "src/app/db/session.py", 1, "error"),
        ("SF501", "src/app/settings.py", 1, "error"),
    ]
    messages = " ".join(f.message for f in findings)
    assert "add python-jose to" in messages and "add SQLAlchemy to" in messages
    assert "add python-dotenv to" in messages


def test_optional_and_lazy_imports_are_not_required(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/requirements.txt": "fastapi\nmangum\n",
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + textwrap.dedent("""\
            from typing import TYPE_CHECKING

            try:
                import ujson as json
            except ImportError:
                import json

            if TYPE_CHECKING:
                import mypy_boto3_s3


            def report():
                import pandas
                return pandas


            if __name__ == "__main__":  # a local run only: Lambda imports app.main
                import uvicorn
                uvicorn.run("app.main:app")
            """),
    })
    assert lint(template(tmp_path)) == []


def test_what_listed_distributions_depend_on_is_provided(tmp_path: Path) -> None:
    # fastapi (installed here) requires starlette, pydantic, typing-extensions; pydantic
    # requires pydantic-core and annotated-types: all importable without being listed.
    write(tmp_path, {
        "src/requirements.txt": "fastapi>=0.110  # the web framework\nmangum\n",
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + textwrap.dedent("""\
            import annotated_types
            import pydantic_core
            import starlette.responses
            from pydantic import BaseModel
            from typing_extensions import Annotated
            """),
    })
    assert lint(template(tmp_path)) == []


def test_layer_requirements_provide_and_runtime_provides(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/requirements.txt": "",
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + textwrap.dedent("""\
            import json
            import tomllib
            import zoneinfo

            import boto3
            import botocore.exceptions
            from dateutil import parser
            import yaml
            """),
        "layers/shared/requirements.txt": "-r base.txt\nPyYAML==6.0.1 \\\n    --hash=sha256:abc\n",
        "layers/shared/base.txt": "fastapi[standard]\nmangum ; python_version >= '3.8'\n",
        "layers/shared/Makefile": "build-Shared:\n\tpip install -r requirements.txt "
                                  '-t "$(ARTIFACTS_DIR)/python"\n',
    })
    assert lint(template(tmp_path, layers="        - !Ref Shared\n", extra=SHARED_LAYER)) == []


def test_standard_library_of_the_runtime_version(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/requirements.txt": "",
        "src/app/__init__.py": "",
        "src/app/main.py": "import distutils.util\nimport imp\nimport tomllib\n\n\n"
                           "def handler(event, context):\n    return {}\n",
    })
    findings = lint(template(tmp_path, runtime="python3.12"))
    assert summary(findings, tmp_path) == [("SF501", "src/app/main.py", 1, "error"),
                                           ("SF501", "src/app/main.py", 2, "error")]
    by_line = {f.location.line: f.message for f in findings}
    assert ("distutils was removed from the standard library in Python 3.12, and Api runs "
            "python3.12; add setuptools (which provides it)") in by_line[1]
    assert "imp was removed from the standard library in Python 3.12" in by_line[2]
    assert "use its replacement" in by_line[2]
    # On 3.10 distutils and imp exist, and tomllib does not yet.
    findings = lint(template(tmp_path, runtime="python3.10"))
    assert summary(findings, tmp_path) == [("SF501", "src/app/main.py", 3, "error")]


def test_markers_are_evaluated_for_the_function(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/requirements.txt": 'fastapi\nmangum\nPyYAML; sys_platform == "win32"\n'
                                'httpx; platform_machine == "x86_64"\n',
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + "import httpx\nimport yaml\n",
    })
    findings = lint(template(tmp_path))
    assert summary(findings, tmp_path) == [("SF501", "src/app/main.py", 7, "error")]


def test_unknown_distributions_make_it_info_not_a_guess(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/requirements.txt": "fastapi\nmangum\nacme-internal-sdk==2.0\n-e ./vendor/tools\n",
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + "import acme\n",
    })
    findings = lint(template(tmp_path))
    assert summary(findings, tmp_path) == [("SF501", "src/app/main.py", 6, "info")]
    message = findings[0].message
    assert "cannot tell whether acme is provided: acme-internal-sdk, `-e ./vendor/tools` " \
           "(src/requirements.txt:4) are neither installed here nor in a `sam build` output" \
        in message


def test_a_layer_given_by_arn_makes_it_a_warning_naming_the_arn(tmp_path: Path) -> None:
    arn = "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:68"
    write(tmp_path, {
        "src/requirements.txt": "fastapi\nmangum\n",
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + "from aws_lambda_powertools import Logger\n",
    })
    findings = lint(template(tmp_path, layers=f"        - {arn}\n"))
    assert summary(findings, tmp_path) == [("SF501", "src/app/main.py", 6, "warning")]
    assert f"it may come from the layer {arn}, which lint cannot see into" in \
        findings[0].message
    assert "aws-lambda-powertools" in findings[0].message


def test_build_output_metadata_tells_what_unknown_distributions_bring(tmp_path: Path) -> None:
    build = ".aws-sam/build/Shared/python"
    write(tmp_path, {
        "src/requirements.txt": "",
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + "import acme\nimport acme_core\nimport acme_extra\n",
        "layers/shared/requirements.txt": "fastapi\nmangum\nacme-sdk\n",
        # As pip wrote it into the layer's build output.
        f"{build}/acme_sdk-2.0.dist-info/METADATA": textwrap.dedent("""\
            Metadata-Version: 2.1
            Name: acme-sdk
            Version: 2.0
            Requires-Dist: acme-core>=1.0
            Requires-Dist: acme-extra ; extra == "all"

            The ACME SDK.
            """),
        f"{build}/acme_sdk-2.0.dist-info/RECORD": "acme/__init__.py,sha256=x,1\n",
        f"{build}/acme/__init__.py": "",
        f"{build}/acme_core-1.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: acme-core\n"
                                                     "Version: 1.1\n",
        f"{build}/acme_core-1.1.dist-info/RECORD": "acme_core/__init__.py,sha256=x,1\n",
        f"{build}/acme_core/__init__.py": "",
    })
    findings = lint(template(tmp_path, layers="        - !Ref Shared\n", extra=SHARED_LAYER))
    # acme and acme_core: in the build output; acme_extra: acme-sdk needs it only with the
    # "all" extra, which is not asked for, and every distribution is known: an error.
    assert summary(findings, tmp_path) == [("SF501", "src/app/main.py", 8, "error")]
    # Asked for, the extra brings acme-extra (by acme-sdk's metadata), which provides it.
    (tmp_path / "layers/shared/requirements.txt").write_text("fastapi\nmangum\nacme-sdk[all]\n",
                                                            encoding="utf-8")
    assert lint(tmp_path / "template.yaml") == []


def test_vendored_and_built_packages_are_provided_and_not_followed(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/requirements.txt": "fastapi\nmangum\n",
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + "import requests\nimport ulid\n",
        # pip install -t src requests: its own imports (urllib3, charset_normalizer...) are
        # not the function's to list.
        "src/requests/__init__.py": "import charset_normalizer\nimport idna\n",
        "src/requests-2.31.0.dist-info/RECORD": "requests/__init__.py,sha256=x,1\n",
        ".aws-sam/build/Api/ulid/__init__.py": "",
    })
    assert lint(template(tmp_path)) == []


def test_the_movies_example_needs_nothing_more() -> None:
    movies = Path(__file__).resolve().parents[2] / "examples" / "movies" / "template.yaml"
    assert lint(movies) == []


# -- the pieces -------------------------------------------------------------------------------


def test_requirements_reader(tmp_path: Path) -> None:
    write(tmp_path, {
        "requirements.txt": textwrap.dedent("""\
            # production dependencies
            --index-url https://pypi.org/simple
            -r common.txt
            -c constraints.txt
            fastapi[standard,all]>=0.110 ; python_version >= "3.9"  # web
            Pillow==10.3.0 \\
                --hash=sha256:0123 \\
                --hash=sha256:4567
            -e git+https://github.com/acme/tools.git@v1#egg=acme_tools
            mylib @ https://example.com/mylib-1.0.tar.gz
            https://files.example.com/wheels/orjson-3.10.0-cp312-cp312-manylinux_2_17_x86_64.whl
            ./local/package
            -r ../../outside.txt
            -r requirements.txt
            """),
        "common.txt": "mangum\n",
        "constraints.txt": "starlette<1\n",
    })
    found = read_requirements(tmp_path / "requirements.txt", tmp_path)
    assert [(r.file.name, r.line, r.name) for r in found] == [
        ("common.txt", 1, "mangum"),
        ("requirements.txt", 5, "fastapi"),
        ("requirements.txt", 6, "pillow"),
        ("requirements.txt", 9, "acme-tools"),
        ("requirements.txt", 10, "mylib"),
        ("requirements.txt", 11, "orjson"),
        ("requirements.txt", 12, None),
    ]
    fastapi = found[1]
    assert fastapi.extras == {"standard", "all"}
    assert fastapi.applies(marker_environment((3, 12), "x86_64"))
    assert not fastapi.applies(marker_environment((3, 8), "x86_64"))


def test_stdlib_per_version_and_the_import_table() -> None:
    assert is_stdlib("json", (3, 12)) and is_stdlib("tomllib", (3, 11))
    assert not is_stdlib("tomllib", (3, 10))
    assert is_stdlib("distutils", (3, 11)) and not is_stdlib("distutils", (3, 12))
    assert is_stdlib("cgi", (3, 12)) and not is_stdlib("cgi", (3, 13))
    assert not is_stdlib("yaml", (3, 12))
    table = import_table()
    for name, distribution in [("yaml", "PyYAML"), ("jwt", "PyJWT"), ("PIL", "Pillow"),
                               ("cv2", "opencv-python"), ("sklearn", "scikit-learn"),
                               ("bs4", "beautifulsoup4"), ("dateutil", "python-dateutil"),
                               ("dotenv", "python-dotenv")]:
        assert table[name][0] == distribution


def test_without_requirements_only_a_build_output_is_judged(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + "import yaml\n",
    })
    path = template(tmp_path)
    # SF101 reports the missing requirements.txt; every import again would be noise.
    assert lint(path) == []
    write(tmp_path, {
        ".aws-sam/build/Api/app/main.py": MAIN,
        ".aws-sam/build/Api/fastapi/__init__.py": "",
        ".aws-sam/build/Api/mangum/__init__.py": "",
    })
    findings = lint(path)
    assert summary(findings, tmp_path) == [("SF501", "src/app/main.py", 6, "error")]
    assert "yaml is in none of the build output nor what they depend on" in findings[0].message


def test_hostile_files_are_findings_or_ignored_never_a_crash(tmp_path: Path) -> None:
    write(tmp_path, {
        "src/requirements.txt": "fastapi\nmangum\n-r pipe.txt\n-r missing.txt\n"
                                "!!! not a requirement\n[extras-only]\n",
        "src/app/__init__.py": "",
        "src/app/main.py": MAIN + "from . import broken\nimport yaml\n",
        "src/app/broken.py": "def oops(:\n",  # SF305's finding; its imports are not read
        ".aws-sam/build/Api/junk-1.0.dist-info/RECORD": "\x00\x01,,,\n",
    })
    os.mkfifo(tmp_path / "src" / "pipe.txt")
    os.mkfifo(tmp_path / ".aws-sam" / "build" / "Api" / "junk-1.0.dist-info" / "METADATA")
    with (tmp_path / "src" / "requirements.txt").open("ab") as stream:
        stream.write(b"\xff\xfe\x00garbage\n")
    linter = Linter(get_plugin_manager(entry_points=False),
                    LintConfig(select=("SF5",), use_cache=False))
    findings = linter.lint([template(tmp_path)]).findings
    assert [f.rule for f in findings] == ["SF501"]
    # The lines that name no distribution make it unknown, not an error.
    assert findings[0].severity is Severity.INFO and findings[0].location.line == 7
