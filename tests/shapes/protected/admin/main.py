from fastapi import FastAPI, Request
from mangum import Mangum

app = FastAPI()


@app.get("/users")
def users(request: Request) -> dict:
    authorizer = request.scope["aws.event"]["requestContext"]["authorizer"]
    return {"admin": authorizer["principalId"], "users": ["ada", "grace"]}


handler = Mangum(app)
