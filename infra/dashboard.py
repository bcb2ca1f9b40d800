"""The stage's CloudWatch dashboard, drawn from the metric catalog and the topology.

One graph per group of ``chalicelib.observability.catalog`` (rows, credits, chunks, batches,
split, healing; per-source vendor metrics through a SEARCH, since source names are the tenants'
configuration; webhook attempts by event and answer, deliveries by event and outcome), then each
queue's and DLQ's depth and oldest message, and each function's errors, throttles and duration.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from chalicelib import topology
from chalicelib.observability import catalog
from chalicelib.observability.metrics import NAMESPACE, SERVICE
from chalicelib.settings import Settings
from infra.naming import function_name

PERIOD = Duration.minutes(1)
_STATISTIC = {"count": "Sum", "gauge": "Maximum", "sample": "Average"}


def service_metric(spec: catalog.MetricSpec, statistic: str | None = None) -> cloudwatch.Metric:
    """A catalog metric, totalled over the service (every dimensioned metric also has this total)."""
    return cloudwatch.Metric(namespace=NAMESPACE, metric_name=spec.name, dimensions_map={"service": SERVICE},
                             statistic=statistic or _STATISTIC[spec.kind], period=PERIOD)


def _graph(title: str, specs: tuple[catalog.MetricSpec, ...]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, width=8, left=[service_metric(s) for s in specs])


def _per_dimension(spec: catalog.MetricSpec) -> cloudwatch.GraphWidget:
    """One line per value of the metric's dimensions (a SEARCH: the values are not known here)."""
    schema = ",".join((NAMESPACE, "service", *sorted(spec.dimensions)))
    search = (f"SEARCH('{{{schema}}} MetricName=\"{spec.name}\"', "
              f"'{_STATISTIC[spec.kind]}', {int(PERIOD.to_seconds())})")
    return cloudwatch.GraphWidget(title=f"{spec.name} by {' and '.join(spec.dimensions)}", width=8, left=[
        cloudwatch.MathExpression(expression=search, using_metrics={}, label=spec.name, period=PERIOD)])


def _queues(settings: Settings) -> list[cloudwatch.IWidget]:
    def sqs(metric: str, queue: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace="AWS/SQS", metric_name=metric, statistic="Maximum",
                                 dimensions_map={"QueueName": settings.name(queue)}, period=PERIOD)

    return [
        cloudwatch.GraphWidget(title="Messages waiting", width=8, left=[
            sqs("ApproximateNumberOfMessagesVisible", q.name) for q in topology.QUEUES]),
        cloudwatch.GraphWidget(title="Dead letters", width=8, left=[
            sqs("ApproximateNumberOfMessagesVisible", q.dlq_name) for q in topology.QUEUES]),
        cloudwatch.GraphWidget(title="Oldest message (s)", width=8, left=[
            sqs("ApproximateAgeOfOldestMessage", q.name) for q in topology.QUEUES]),
    ]


def _functions(settings: Settings) -> list[cloudwatch.IWidget]:
    def lam(metric: str, spec: topology.FunctionSpec, statistic: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric, statistic=statistic,
                                 dimensions_map={"FunctionName": function_name(settings, spec.name)},
                                 period=PERIOD)

    return [cloudwatch.GraphWidget(title=f"Lambda {metric}", width=8, left=[
        lam(metric, spec, statistic) for spec in topology.FUNCTIONS])
        for metric, statistic in (("Errors", "Sum"), ("Throttles", "Sum"), ("Duration", "p95"))]


def dashboard(scope: Construct, settings: Settings) -> cloudwatch.Dashboard:
    """Every metric of the catalog and the queues and functions of the topology, on one page."""
    board = cloudwatch.Dashboard(scope, "Dashboard", dashboard_name=settings.name("operations"))
    board.add_widgets(_graph("Rows settled", catalog.ROWS), _graph("Credits charged", catalog.MONEY),
                      _graph("Chunk parts", catalog.CHUNKS))
    board.add_widgets(_graph("Batches", catalog.BATCHES), _graph("Split", catalog.SPLIT),
                      _graph("Open, stalled, dead letters (tick)", catalog.HEALING))
    board.add_widgets(*[_per_dimension(spec) for spec in catalog.VENDORS[:3]])
    board.add_widgets(*[_per_dimension(spec) for spec in catalog.VENDORS[3:6]])
    board.add_widgets(*[_per_dimension(spec) for spec in catalog.VENDORS[6:]])
    board.add_widgets(*[_per_dimension(spec) for spec in catalog.WEBHOOKS if spec.dimensions])
    board.add_widgets(_graph("Webhook attempt duration (ms)",
                             tuple(spec for spec in catalog.WEBHOOKS if not spec.dimensions)))
    board.add_widgets(*_queues(settings))
    board.add_widgets(*_functions(settings))
    return board
