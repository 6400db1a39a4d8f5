"""The movies example as one app: casts and movies served by a single FastAPI process.

A monolith for ``sam-fastapi split`` to cut into one Lambda function per resource.
"""
