"""Entry points: the API's routes (blueprints) and the event functions' handlers."""

# Each event function's own handler module, which its entry point in app.py imports on the
# function's first invocation (so a function loads its own step's code only).
EVENT_HANDLER_MODULES: dict[str, str] = {
    "split": "chalicelib.handlers.split_events",
    "work": "chalicelib.handlers.work_events",
    "finalize": "chalicelib.handlers.finalize_events",
    "deliver": "chalicelib.handlers.deliver_events",
    "tick": "chalicelib.handlers.tick_events",
}
