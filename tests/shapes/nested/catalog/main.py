from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()


@app.get("/items")
def items(request: Request) -> dict:
    context = request.scope["aws.event"]["requestContext"]
    return {"items": ["tea", "cups"], "api": context["apiId"], "stage": context["stage"]}


handler = Mangum(app)
