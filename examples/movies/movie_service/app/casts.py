"""The cast service owns the cast members: the movie service asks it which ids exist.

Service to service without going back through the API: ``lambda.invoke`` of the cast
service's function (``CAST_FUNCTION``, its name from the template) with a direct event, not
an API Gateway one. Without ``CAST_FUNCTION`` (the app run outside Lambda) ids are not checked.
"""

import json
import os
from functools import cache


class CastServiceError(Exception):
    """The cast service could not answer."""


@cache
def _lambda():
    # Made once per container; boto3 comes with Lambda's Python runtime.
    import boto3

    return boto3.client("lambda")


def missing_cast_ids(ids: list[int]) -> list[int]:
    """The ids in ``ids`` that the cast service does not know."""
    function = os.environ.get("CAST_FUNCTION")
    if not function or not ids:
        return []
    answer = _lambda().invoke(FunctionName=function,
                              Payload=json.dumps({"action": "find_casts", "ids": ids}))
    result = json.loads(answer["Payload"].read())
    if answer.get("FunctionError"):
        raise CastServiceError(result.get("errorMessage", "cast service failed"))
    return result["missing"]
