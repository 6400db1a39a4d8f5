"""A nightly report: says which function ran and when the schedule fired."""


def handler(event, context):
    return {"function": context.function_name, "fired": event.get("time")}
