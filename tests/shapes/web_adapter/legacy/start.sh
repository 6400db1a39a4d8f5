#!/bin/sh
exec hypercorn legacy:app --bind 0.0.0.0:$PORT
