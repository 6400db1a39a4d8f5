import pytest

#: The template's default EditorToken and ReaderToken parameters.
EDITOR_TOKEN = "editor-token"
READER_TOKEN = "reader-token"


@pytest.fixture(autouse=True)
def fresh_containers(sam_gateway):
    """Every test starts on cold Lambda containers, so with empty in-memory stores."""
    sam_gateway.cold_start()


@pytest.fixture
def editor(sam_client):
    """A client sending the editor's token, which TokenAuthorizer allows to do anything."""
    return sam_client.with_headers({"Authorization": f"Bearer {EDITOR_TOKEN}"})


@pytest.fixture
def reader(sam_client):
    """A client sending the reader's token: GET only."""
    return sam_client.with_headers({"Authorization": f"Bearer {READER_TOKEN}"})
