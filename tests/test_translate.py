"""The partitioned SAM transform reports exactly what one whole-template translation reports."""

from __future__ import annotations

from typing import Any

import pytest

from sam_fastapi.translate import PARTITION_SIZE, _partitions, _translate_whole, translate


def project(functions: int, **overrides: dict[str, Any]) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Api": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "Prod"}},
        "Shared": {"Type": "AWS::Serverless::LayerVersion",
                   "Properties": {"ContentUri": "layers/shared"}},
    }
    for i in range(functions):
        resources[f"Res{i}Function"] = {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": f"res{i}/",
                "Handler": "app.main.handler",
                "Runtime": "python3.12",
                "Layers": [{"Ref": "Shared"}],
                "Events": {
                    "Root": {"Type": "Api", "Properties": {
                        "RestApiId": {"Ref": "Api"}, "Path": f"/res{i}", "Method": "ANY"}},
                    "Proxy": {"Type": "Api", "Properties": {
                        "RestApiId": {"Ref": "Api"}, "Path": f"/res{i}/{{proxy+}}",
                        "Method": "ANY"}},
                },
            },
        }
    resources.update(overrides)
    return {"Transform": "AWS::Serverless-2016-10-31", "Resources": resources}


def event(template: dict[str, Any], function: str, name: str) -> dict[str, Any]:
    return template["Resources"][function]["Properties"]["Events"][name]["Properties"]


SIZE = 2 * PARTITION_SIZE + 3


def test_a_clean_project_is_translated_in_partitions_without_errors():
    template = project(SIZE)
    assert _partitions(template) is not None
    assert translate(template) == [] == _translate_whole(template)


def test_an_error_in_a_late_partition_is_reported_as_the_whole_template_reports_it():
    template = project(SIZE)
    del event(template, f"Res{SIZE - 1}Function", "Root")["Path"]
    errors = translate(template)
    assert errors == _translate_whole(template)
    assert errors and errors[0].resource == f"Res{SIZE - 1}Function"


def test_the_same_route_in_two_partitions_is_an_error_partitions_alone_would_miss():
    template = project(SIZE)
    event(template, f"Res{SIZE - 1}Function", "Root")["Path"] = "/res0"
    assert _partitions(template) is None
    errors = translate(template)
    assert errors == _translate_whole(template)
    assert any("defined multiple times" in e.message for e in errors)


@pytest.mark.parametrize(
    "extra",
    [
        {"Res1FunctionRole": {"Type": "AWS::IAM::Role", "Properties": {}}},
        {"Link": {"Type": "AWS::Serverless::Connector", "Properties": {
            "Source": {"Id": "Res0Function"}, "Destination": {"Id": "Res20Function"},
            "Permissions": ["Write"]}}},
    ],
    ids=["generated-id-collision", "connector"],
)
def test_templates_whose_functions_could_meet_are_translated_whole(extra):
    template = project(SIZE, **extra)
    assert _partitions(template) is None
    assert translate(template) == _translate_whole(template)


def test_a_small_template_is_translated_whole():
    assert _partitions(project(PARTITION_SIZE)) is None
