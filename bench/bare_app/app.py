"""The baseline for cold start and CPU per request: the least a Chalice app on boto3 and
pydantic does.

bench/coldstart.py imports this module (named `app`, like the deployed entry module) in
fresh processes, interleaved with the project's app.py; bench/cpu.py sends its one route
the same number of requests an order makes.
"""

import boto3
import pydantic
from chalice import Chalice

app = Chalice(app_name="bare")
SDK = boto3.__version__


class Ping(pydantic.BaseModel):
    ok: bool = True


@app.route("/")
def index() -> dict[str, bool]:
    return Ping().model_dump()
