"""sam_fastapi._metadata: installed distributions found from their RECORD on every Python."""

import importlib.metadata

from sam_fastapi._metadata import packages_distributions


def test_a_distribution_without_top_level_txt_is_found_from_its_record() -> None:
    # fastapi's wheel (built by pdm) has no top_level.txt: Python 3.10's stdlib forgets it.
    assert importlib.metadata.distribution("fastapi").read_text("top_level.txt") is None
    owners = packages_distributions()
    assert owners["fastapi"] == ["fastapi"]
    assert "PyYAML" in owners["yaml"]  # declared in top_level.txt
    assert "_yaml" in owners  # and RECORD's private modules, as Python 3.11 does
