"""Alarms on an SNS topic: any dead letter, function errors, error rates and throttles, old messages
waiting, vendor 429 rate, batches stalled."""

from __future__ import annotations

from aws_cdk import (
    CfnCondition,
    CfnParameter,
    Duration,
    Fn,
)
from aws_cdk import (
    aws_cloudwatch as cloudwatch,
)
from aws_cdk import (
    aws_sns as sns,
)
from constructs import Construct

from chalicelib import topology
from chalicelib.observability import catalog
from chalicelib.observability.metrics import NAMESPACE, SERVICE
from chalicelib.settings import Settings
from infra.dashboard import service_metric

PERIOD = Duration.minutes(5)
ERROR_RATE_PERCENT = 5.0
VENDOR_THROTTLE_PERCENT = 10.0


def topic(scope: Construct, settings: Settings) -> sns.Topic:
    """The alarm topic; the ``AlarmEmail`` deploy parameter subscribes an address (none if empty)."""
    alarms = sns.Topic(scope, "Alarms", topic_name=settings.name("alarms"), enforce_ssl=True)
    email = CfnParameter(scope, "AlarmEmail", type="String", default="",
                         description="Where alarms are e-mailed (confirm the subscription mail); empty: none")
    has_email = CfnCondition(scope, "HasAlarmEmail",
                             expression=Fn.condition_not(Fn.condition_equals(email.value_as_string, "")))
    subscription = sns.CfnSubscription(scope, "AlarmEmailSubscription", protocol="email",
                                       topic_arn=alarms.topic_arn, endpoint=email.value_as_string)
    subscription.cfn_options.condition = has_email
    return alarms


def _alarm(scope: Construct, settings: Settings, name: str, metric: cloudwatch.Metric,
           threshold: float, description: str, alarms: sns.Topic) -> cloudwatch.CfnAlarm:
    alarm = cloudwatch.CfnAlarm(
        scope, f"Alarm-{name}", alarm_name=settings.name(name), alarm_description=description,
        namespace=metric.namespace, metric_name=metric.metric_name,
        dimensions=[cloudwatch.CfnAlarm.DimensionProperty(name=k, value=v)
                    for k, v in (metric.dimensions or {}).items()],
        statistic=metric.statistic, period=int(PERIOD.to_seconds()), evaluation_periods=1,
        threshold=threshold, comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching", alarm_actions=[alarms.topic_arn],
        ok_actions=[alarms.topic_arn],
    )
    return alarm


def queue_alarms(scope: Construct, settings: Settings, spec: topology.QueueSpec,
                 alarms: sns.Topic) -> None:
    """A message in the DLQ; the oldest message waiting longer than the spec allows."""
    dead = cloudwatch.Metric(namespace="AWS/SQS", metric_name="ApproximateNumberOfMessagesVisible",
                             dimensions_map={"QueueName": settings.name(spec.dlq_name)},
                             statistic="Maximum", period=PERIOD)
    _alarm(scope, settings, f"{spec.dlq_name}-messages", dead, 1,
           f"Messages of {spec.name} moved to its DLQ after {spec.max_receive_count} tries.", alarms)
    age = cloudwatch.Metric(namespace="AWS/SQS", metric_name="ApproximateAgeOfOldestMessage",
                            dimensions_map={"QueueName": settings.name(spec.name)},
                            statistic="Maximum", period=PERIOD)
    _alarm(scope, settings, f"{spec.name}-oldest-message", age, spec.age_alarm_seconds,
           f"A message of {spec.name} has waited over {spec.age_alarm_seconds}s.", alarms)


def function_alarms(scope: Construct, settings: Settings, spec: topology.FunctionSpec,
                    physical_name: str, alarms: sns.Topic) -> None:
    """Any error, any throttle of the function."""
    for metric_name in ("Errors", "Throttles"):
        metric = cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric_name,
                                   dimensions_map={"FunctionName": physical_name},
                                   statistic="Sum", period=PERIOD)
        _alarm(scope, settings, f"{spec.name.replace('_', '-')}-{metric_name.lower()}", metric, 1,
               f"{physical_name}: {metric_name.lower()} in the last 5 minutes.", alarms)


def _rate_alarm(scope: Construct, settings: Settings, name: str, part: cloudwatch.Metric,
                whole: cloudwatch.Metric, percent: float, description: str,
                alarms: sns.Topic) -> cloudwatch.CfnAlarm:
    """An alarm on ``100 * part / whole`` over the period (no data, e.g. no calls: not breaching)."""
    def query(key: str, metric: cloudwatch.Metric) -> cloudwatch.CfnAlarm.MetricDataQueryProperty:
        return cloudwatch.CfnAlarm.MetricDataQueryProperty(id=key, return_data=False, metric_stat=(
            cloudwatch.CfnAlarm.MetricStatProperty(metric=cloudwatch.CfnAlarm.MetricProperty(
                namespace=metric.namespace, metric_name=metric.metric_name,
                dimensions=[cloudwatch.CfnAlarm.DimensionProperty(name=k, value=v)
                            for k, v in (metric.dimensions or {}).items()]),
                period=int(PERIOD.to_seconds()), stat="Sum")))

    return cloudwatch.CfnAlarm(
        scope, f"Alarm-{name}", alarm_name=settings.name(name), alarm_description=description,
        metrics=[query("part", part), query("whole", whole), cloudwatch.CfnAlarm.MetricDataQueryProperty(
            id="rate", expression="100 * part / whole", label=f"{name} (%)", return_data=True)],
        evaluation_periods=1, threshold=percent, comparison_operator="GreaterThanOrEqualToThreshold",
        treat_missing_data="notBreaching", alarm_actions=[alarms.topic_arn], ok_actions=[alarms.topic_arn])


def error_rate_alarm(scope: Construct, settings: Settings, spec: topology.FunctionSpec,
                     physical_name: str, alarms: sns.Topic) -> None:
    """Errors over invocations of the function, ``ERROR_RATE_PERCENT`` or more in 5 minutes."""
    def lam(metric_name: str) -> cloudwatch.Metric:
        return cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric_name,
                                 dimensions_map={"FunctionName": physical_name})

    _rate_alarm(scope, settings, f"{spec.name.replace('_', '-')}-error-rate", lam("Errors"),
                lam("Invocations"), ERROR_RATE_PERCENT,
                f"{physical_name}: {ERROR_RATE_PERCENT:g}% or more of invocations failed in 5 minutes.",
                alarms)


def service_alarms(scope: Construct, settings: Settings, alarms: sns.Topic) -> None:
    """From the service's own metrics: vendor 429 rate, batches stalled (the tick's gauge)."""
    by_name = catalog.BY_NAME
    _rate_alarm(scope, settings, "vendor-429-rate", service_metric(by_name["VendorThrottled"]),
                service_metric(by_name["VendorCalls"]), VENDOR_THROTTLE_PERCENT,
                f"{VENDOR_THROTTLE_PERCENT:g}% or more of vendor calls were throttled (429) in 5 minutes: "
                "a source's rate_limit_per_second is above what the vendor allows.", alarms)
    stalled = cloudwatch.Metric(namespace=NAMESPACE, metric_name="BatchesStalled",
                                dimensions_map={"service": SERVICE}, statistic="Maximum", period=PERIOD)
    _alarm(scope, settings, "batches-stalled", stalled, 1,
           "A batch is processing with no progress for BATCH_ENRICH_STALLED_AFTER_SECONDS (15 minutes): "
           "GET /v1/admin/stats, then its timeline and logs (filter batch_id).", alarms)
