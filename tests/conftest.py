import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own lint cache, so no test sees another's results."""
    monkeypatch.setenv("SAM_FASTAPI_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
