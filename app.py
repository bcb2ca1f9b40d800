"""batch-enrich: every entry point the service has, wired. No logic lives here."""

from collections.abc import Callable
from typing import Any

from chalice.app import Chalice, CloudWatchEvent, Rate, SQSEvent

from chalicelib import topology
from chalicelib.handlers import heartbeat, observed
from chalicelib.handlers.admin_api import admin
from chalicelib.handlers.batch_results_api import results_api
from chalicelib.handlers.batches_api import api
from chalicelib.handlers.console_ui import console
from chalicelib.handlers.credits_api import credits_api
from chalicelib.handlers.datasets_api import datasets
from chalicelib.handlers.fallback import register_fallbacks
from chalicelib.handlers.insight_api import insight
from chalicelib.handlers.openapi_api import openapi_api
from chalicelib.handlers.schedules_api import schedules
from chalicelib.handlers.uploads_api import uploads
from chalicelib.handlers.webhooks_api import webhooks
from chalicelib.settings import Settings

# The service's loggers are chalicelib.observability's (JSON, correlated, filtered): Chalice's own
# configuration of a logger named after the app would set that logger's level to ERROR.
app = Chalice(app_name="batch-enrich", configure_logs=False)
# Every entry point (routes, queues, the schedule) runs inside its invocation's correlation ids.
# A queue function's messages stay hidden only while it lives (its heartbeat), from its first step.
app.register_middleware(heartbeat.kept_alive, "sqs")
app.register_middleware(observed.correlation, "all")
app.api.binary_types.extend(["multipart/form-data", "text/csv", "application/octet-stream"])
app.register_blueprint(api)
app.register_blueprint(results_api)
app.register_blueprint(admin)
app.register_blueprint(credits_api)
app.register_blueprint(datasets)
app.register_blueprint(insight)  # GET /v1/batches/{id}/timeline, GET /v1/admin/stats
app.register_blueprint(openapi_api)  # GET /v1/openapi.json, built from every route's declaration
app.register_blueprint(webhooks)
app.register_blueprint(uploads)
app.register_blueprint(schedules)
app.register_blueprint(console)  # the web console: GET /console and its static files
register_fallbacks(app)  # last: 404 for unknown paths, 405 for methods a path does not take

# Physical queue names of this stage (``chalice package``/``deploy`` read them here; infra/ and the
# local runtime bind the same queues from the topology).
_names = Settings()

# Each event function imports its own handler module on its first invocation, not here: every
# function (the API's too) imports this module, and each loads only its step's code (the work
# path alone loads the enrichers' data: phonenumbers' geocoder, ~0.3 s).
# ``batch-enrich bench --cold-start`` measures each.


def _consumes(spec: topology.QueueSpec) -> Callable[[Callable[[SQSEvent], dict[str, Any]]], Any]:
    return app.on_sqs_message(queue=_names.name(spec.name), batch_size=spec.batch_size,
                              maximum_concurrency=spec.maximum_concurrency)


@_consumes(topology.INGEST)
def split(event: SQSEvent) -> dict[str, Any]:
    """S3 object-created events (through the ingest queue) -> chunks on the work queue."""
    from chalicelib.handlers.split_events import handle_split

    return handle_split(event)


@_consumes(topology.WORK)
def work(event: SQSEvent) -> dict[str, Any]:
    """Chunks -> enriched, stored, settled; answers a partial batch response."""
    from chalicelib.handlers.work_events import handle_work

    return handle_work(event)


@_consumes(topology.FINALIZE)
def finalize(event: SQSEvent) -> dict[str, Any]:
    """Settled batches -> results files, status completed."""
    from chalicelib.handlers.finalize_events import handle_finalize

    return handle_finalize(event)


@_consumes(topology.DELIVER)
def deliver(event: SQSEvent) -> dict[str, Any]:
    """Webhook events -> one delivery per target; due attempts -> signed POSTs, retried with backoff."""
    from chalicelib.handlers.deliver_events import handle_deliver

    return handle_deliver(event)


@app.schedule(Rate(topology.TICK.rate_minutes, unit=Rate.MINUTES), name=topology.TICK.name)
def tick(event: CloudWatchEvent) -> dict[str, Any]:
    """Every minute: auto-resume paused batches that can go on, finalize missed batches."""
    from chalicelib.handlers.tick_events import handle_tick

    return handle_tick(event)
