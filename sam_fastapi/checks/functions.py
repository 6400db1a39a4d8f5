"""Which functions run Python code of the project, and how they are served."""

from __future__ import annotations

import re
from collections.abc import Iterator

from sam_fastapi.template.model import Function, Intrinsic, Project

#: The AWS Lambda Web Adapter layer (commercial and China partitions, x86_64 and arm64). The
#: region is often ``${AWS::Region}`` in a ``!Sub``, hence the loose middle.
WEB_ADAPTER_LAYER = re.compile(
    r"^arn:aws[\w-]*:lambda:.*:(?:753240598075|041581134020|069767869989):layer:"
    r"LambdaAdapterLayer(?:X86|Arm64)(?::|$)"
)
WEB_ADAPTER_WRAPPER = "/opt/bootstrap"



def python_functions(project: Project) -> Iterator[Function]:
    """Python zip functions with a local code folder and a string Handler.

    Image functions, code in S3 or given by an intrinsic, and missing folders (SF102) are left out.
    """
    for function in project.functions.values():
        folder = function.code_dir
        if (
            function.package_type == "Image"
            or not function.is_python
            or folder is None
            or not isinstance(function.handler, str)
            or not folder.is_dir()
        ):
            continue
        yield function


def uses_web_adapter(function: Function) -> bool:
    """The function runs behind the Lambda Web Adapter: its layer, or its exec wrapper."""
    if function.environment.get("AWS_LAMBDA_EXEC_WRAPPER") == WEB_ADAPTER_WRAPPER:
        return True
    return any(WEB_ADAPTER_LAYER.search(_arn_text(ref.arn)) for ref in function.layers)


def _arn_text(arn: object) -> str:
    if isinstance(arn, str):
        return arn
    if isinstance(arn, Intrinsic) and arn.function == "Fn::Sub":
        argument = arn.argument
        if isinstance(argument, list) and argument:
            argument = argument[0]
        return argument if isinstance(argument, str) else ""
    return ""

