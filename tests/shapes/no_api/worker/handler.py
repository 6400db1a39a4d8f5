"""Takes orders off a queue; a message that is not JSON is reported as a batch item failure."""

import json
import os


def handle(event, context):
    failures = []
    totals = []
    for record in event.get("Records", []):
        try:
            order = json.loads(record["body"])
        except ValueError:
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        totals.append(sum(item["price"] * item["qty"] for item in order["items"]))
    return {"queue": os.environ["QUEUE_NAME"], "totals": totals,
            "batchItemFailures": failures}
