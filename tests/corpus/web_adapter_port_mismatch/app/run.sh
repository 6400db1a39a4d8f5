#!/bin/sh
exec python -m uvicorn --port=8000 main:app
