"""Random documents in every position: the loader and the model never crash."""

from __future__ import annotations

import json
import string
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sam_fastapi.template import TemplateError, build_project, load_template

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12),
    st.sampled_from(["s3://bucket/key", "python3.12", "app.main.handler", "/casts/{proxy+}",
                     "ANY", "Api", "HttpApi", "makefile", "../outside", "."]),
)
intrinsics = st.builds(
    lambda name, arg: {name: arg},
    st.sampled_from(["Ref", "Fn::GetAtt", "Fn::Sub", "Fn::If", "Fn::Join"]),
    scalars,
)
values = st.recursive(
    st.one_of(scalars, intrinsics),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=10), children,
                        max_size=4),
    ),
    max_leaves=20,
)
keys = st.sampled_from(["Runtime", "Handler", "CodeUri", "Events", "Layers", "Environment",
                        "Architectures", "PackageType", "Timeout", "ContentUri", "StageName",
                        "CompatibleRuntimes", "Domain", "Auth", "BinaryMediaTypes"])
properties = st.one_of(values, st.dictionaries(keys, values, max_size=6))
event = st.fixed_dictionaries({
    "Type": st.one_of(st.sampled_from(["Api", "HttpApi"]), values),
    "Properties": st.one_of(values, st.dictionaries(
        st.sampled_from(["Path", "Method", "RestApiId", "ApiId", "PayloadFormatVersion"]),
        values, max_size=5)),
})
resource = st.fixed_dictionaries(
    {
        "Type": st.sampled_from(["AWS::Serverless::Function", "AWS::Serverless::LayerVersion",
                                 "AWS::Serverless::Api", "AWS::Serverless::HttpApi",
                                 "AWS::S3::Bucket"]),
        "Properties": st.one_of(
            properties,
            st.fixed_dictionaries({"Events": st.one_of(
                values, st.dictionaries(st.text(string.ascii_letters, min_size=1, max_size=6),
                                        event, max_size=3))}),
        ),
    },
    optional={"Metadata": values},
)
documents = st.fixed_dictionaries(
    {"Resources": st.one_of(values, st.dictionaries(
        st.text(string.ascii_letters, min_size=1, max_size=8), resource, max_size=4))},
    optional={"Globals": st.dictionaries(st.sampled_from(["Function", "Api", "HttpApi"]),
                                         properties, max_size=3),
              "Parameters": values,
              "Transform": values},
)


@given(document=documents)
def test_the_model_accepts_any_document_shape(tmp_path_factory, document):
    folder = tmp_path_factory.mktemp("t")
    path = folder / "template.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    project = build_project(load_template(path), path)
    for function in project.functions.values():
        assert isinstance(function.events, tuple)
        assert function.code_dir is None or isinstance(function.code_dir, Path)
    project.locate(("Resources", "Nope", "Properties", 3))


@given(data=st.binary(max_size=400))
def test_the_loader_turns_any_bytes_into_a_template_or_a_template_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("t") / "template.yaml"
    path.write_bytes(data)
    try:
        template = load_template(path)
    except TemplateError as exc:
        assert exc.location.line >= 1
        assert "\n" not in exc.message.strip()
    else:
        assert isinstance(template, dict)


yaml_fragments = st.sampled_from([
    "Resources:\n", "  Fn:\n", "    Type: AWS::Serverless::Function\n", "    Properties:\n",
    "      CodeUri: !Ref X\n", "      Events: [1, 2]\n", "\t", "  ", "\r\n", "\ufeff", "- ",
    "&a [*a]\n", "*a\n", "!GetAtt\n", "{", "}", "'", '"', ": ", "Resources: Resources\n",
    "Globals: {Function: {Runtime: [python3.12]}}\n", "\x00", "\xff",
])


@given(parts=st.lists(yaml_fragments, max_size=25))
def test_the_loader_survives_yaml_made_of_plausible_fragments(tmp_path_factory, parts):
    path = tmp_path_factory.mktemp("t") / "template.yaml"
    path.write_bytes("".join(parts).encode("utf-8", errors="surrogateescape"))
    try:
        template = load_template(path)
    except TemplateError:
        return
    build_project(template, path)
