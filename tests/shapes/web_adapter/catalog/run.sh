#!/bin/bash
# uvicorn from the runtime's Python; the app lives in src/, and its docs behind the stage.
PATH=$PATH:$LAMBDA_TASK_ROOT/bin \
PYTHONPATH=$PYTHONPATH:/opt/python:$LAMBDA_RUNTIME_DIR \
  exec python -m uvicorn --app-dir src --root-path /Prod --port=$PORT catalog.main:app
