"""``sam-fastapi init`` on the command line: what it writes, what it refuses, what it keeps."""

from __future__ import annotations

from sam_fastapi.cli import main


def test_writes_the_project_and_says_what_next(tmp_path, capsys):
    target = tmp_path / "movies"
    assert main(["init", str(target), "--resource", "casts", "--resource", "movies"]) == 0
    out = capsys.readouterr().out
    assert f"wrote 25 files to {target}" in out
    assert f"next: cd {target} && pip install -r requirements-dev.txt && pytest" in out
    assert (target / "requirements-dev.txt").is_file()
    assert (target / "casts_service/app/api/casts.py").is_file()
    assert (target / "movies_service/app/main.py").is_file()


def test_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "notes.md").write_text("mine\n")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"sam-fastapi: error: {tmp_path} is not empty; use --force")
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "template.yaml").exists()


def test_force_adds_to_the_folder_and_keeps_the_users_files(tmp_path, capsys):
    (tmp_path / "README.md").write_text("my readme\n")
    assert main(["init", str(tmp_path), "--force"]) == 0
    captured = capsys.readouterr()
    assert "kept README.md: it exists and sam-fastapi did not write it" in captured.err
    assert (tmp_path / "README.md").read_text() == "my readme\n"
    assert (tmp_path / "items_service/app/main.py").is_file()


def test_running_again_replaces_only_its_own_files(tmp_path, capsys):
    assert main(["init", str(tmp_path), "--resource", "casts"]) == 0
    (tmp_path / "casts_service/app/api/casts.py").write_text("# my edits\n")
    capsys.readouterr()
    assert main(["init", str(tmp_path), "--resource", "casts", "--http-api", "--force"]) == 0
    captured = capsys.readouterr()
    assert "kept casts_service/app/api/casts.py" in captured.err
    assert (tmp_path / "casts_service/app/api/casts.py").read_text() == "# my edits\n"
    assert "Type: HttpApi" in (tmp_path / "template.yaml").read_text()


def test_bad_options_are_one_line_errors(tmp_path, capsys):
    assert main(["init", str(tmp_path / "p"), "--resource", "Bad Name"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["init", str(tmp_path / "p"), "--arch", "sparc"]) == 2
    assert "invalid choice: 'sparc'" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()
