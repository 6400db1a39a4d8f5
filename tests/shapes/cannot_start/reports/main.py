import json
import os

from fastapi import FastAPI
from mangum import Mangum

# A setting the deployed function gets from its environment; missing here.
SETTINGS = json.loads(os.environ.get("REPORT_SETTINGS", "{"))
app = FastAPI()


@app.get("/reports")
def reports() -> dict:
    return SETTINGS


handler = Mangum(app)
