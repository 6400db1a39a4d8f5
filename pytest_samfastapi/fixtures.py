"""Fixtures of ``pytest --sam``: thin wrappers over ``sam_fastapi.gateway``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from pytest_samfastapi.settings import SamSession, sam_session_key

if TYPE_CHECKING:
    from pytest_samfastapi.client import SamClient
    from sam_fastapi.gateway import Gateway
    from sam_fastapi.template import Project


def _session(config: pytest.Config) -> SamSession:
    session = config.stash.get(sam_session_key, None)
    if session is None:
        pytest.fail("sam fixtures need a template: pytest --sam template.yaml, "
                    "or sam_template in the ini file", pytrace=False)
    return session


@pytest.fixture(scope="session")
def sam_template(pytestconfig: pytest.Config) -> Project:
    """The project the template describes (``sam_fastapi.template.Project``)."""
    return _session(pytestconfig).project


@pytest.fixture(scope="session")
def sam_gateway(pytestconfig: pytest.Config) -> Gateway:
    """The in-process API Gateway and Lambda for the template, shared by the whole session."""
    return _session(pytestconfig).gateway


@pytest.fixture
def sam_client(sam_gateway: Gateway) -> SamClient:
    """A client of the template's APIs: ``sam_client.get("/casts/1").json()``.

    Each test starts with an empty authorizer cache: the gateway lives for the session.
    """
    from pytest_samfastapi.client import SamClient

    sam_gateway.authorizers.cache.clear()
    return SamClient(sam_gateway)
