from sam_fastapi.cli import entry

entry()
