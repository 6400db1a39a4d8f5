from fastapi import FastAPI
from fastapi.responses import PlainTextResponse

app = FastAPI()


@app.get("/legacy", response_class=PlainTextResponse)
def legacy() -> str:
    return "still here"
