import pytest


@pytest.fixture(autouse=True)
def fresh_containers(sam_gateway):
    """Every test starts on cold Lambda containers, so with empty in-memory stores."""
    sam_gateway.cold_start()
