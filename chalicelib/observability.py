"""The one place that owns the service's logger (the tracer and metrics will join it here).

Every module logs through ``logger``; the local runtime's own lines (pollers, worker
processes) go through ``local_logger``, so a terminal can quiet one without the other.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

SERVICE = "batch-enrich"
LOCAL_SERVICE = f"{SERVICE}-local"

logger = Logger(service=SERVICE)
local_logger = Logger(service=LOCAL_SERVICE)
