import os

import uvicorn
from fastapi import FastAPI, Request

app = FastAPI()
EVENTS = []


@app.get("/health")
def health() -> dict:
    return {"ok": True}


@app.get("/summary")
def summary(request: Request) -> dict:
    return {"path": request.url.path, "events": len(EVENTS)}


@app.post("/events")
async def events(request: Request) -> dict:
    event = await request.json()
    EVENTS.append(event)
    return {"processed": len(event.get("Records", []))}


if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=int(os.environ.get("PORT", "8080")))
