"""``sam-fastapi layer build`` reads no requirements from outside the project (SF103)."""

from __future__ import annotations

import os
import textwrap

from sam_fastapi.cli import main

TEMPLATE = textwrap.dedent("""\
    Transform: AWS::Serverless-2016-10-31
    Resources:
      DepsLayer:
        Type: AWS::Serverless::LayerVersion
        Properties:
          ContentUri: layers/deps/
          CompatibleRuntimes: [python3.12]
      OutLayer:
        Type: AWS::Serverless::LayerVersion
        Properties:
          ContentUri: ../outside/
          CompatibleRuntimes: [python3.12]
    """)


def project(tmp_path):
    root = tmp_path / "project"
    (root / "layers" / "deps").mkdir(parents=True)
    (root / "samconfig.toml").write_text("version = 0.1\n")
    (root / "template.yaml").write_text(TEMPLATE)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "requirements.txt").write_text("never-read==1.0\n")
    return root, outside


def test_a_requirements_symlink_out_of_the_project_is_refused_unread(tmp_path, capsys):
    root, outside = project(tmp_path)
    os.symlink(outside / "requirements.txt", root / "layers" / "deps" / "requirements.txt")

    code = main(["layer", "build", "DepsLayer", "-t", str(root / "template.yaml")])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert "DepsLayer's" in err and "leads out of the project folder" in err
    assert not (root / ".aws-sam").exists()


def test_a_content_uri_out_of_the_project_is_not_built(tmp_path, capsys):
    root, _ = project(tmp_path)

    code = main(["layer", "build", "OutLayer", "-t", str(root / "template.yaml")])

    err = capsys.readouterr().err
    assert code == 2
    assert err == ("sam-fastapi: error: OutLayer's ContentUri is not a local folder, so there "
                   "is no requirements.txt to build\n")
