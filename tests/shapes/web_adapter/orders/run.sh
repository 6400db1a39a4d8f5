#!/bin/sh
exec gunicorn -k uvicorn.workers.UvicornWorker -w 1 -b 0.0.0.0:${AWS_LWA_PORT} --chdir app orders:app
