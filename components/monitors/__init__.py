"""Datadog monitor definitions as code: typed builders checked by the offline validator, the
messages that route each state, and the default monitors of a service.

The `ServiceMonitors` component lives in `components.monitors.monitor_resources`, apart, so that
the pure builders load without the Datadog provider SDK.
"""

from components.monitors.definitions import (
    AnomalySpec,
    ApmErrorRateSpec,
    ApmLatencySpec,
    ApmService,
    LogFormulaSpec,
    LogMonitorSpec,
    LogQueryVariable,
    MetricQuery,
    MetricThresholdSpec,
    MonitorDefinition,
    MonitorDefinitionError,
    MonitorSettings,
    Thresholds,
    ThresholdWindows,
    anomaly_monitor,
    apm_error_rate_monitor,
    apm_latency_monitor,
    log_formula_monitor,
    log_monitor,
    metric_threshold_monitor,
)
from components.monitors.messages import (
    MessageText,
    Notifications,
    Severity,
    SeverityPolicy,
    monitor_message,
)
from components.monitors.service_monitors import (
    CustomMonitor,
    ErrorLogSettings,
    ErrorRateSettings,
    LatencySettings,
    ServiceMonitorSettings,
    ServiceMonitorsSpec,
    ThroughputSettings,
    monitor_builders,
    service_monitors,
)

__all__ = [
    "AnomalySpec",
    "ApmErrorRateSpec",
    "ApmLatencySpec",
    "ApmService",
    "CustomMonitor",
    "ErrorLogSettings",
    "ErrorRateSettings",
    "LatencySettings",
    "LogFormulaSpec",
    "LogMonitorSpec",
    "LogQueryVariable",
    "MessageText",
    "MetricQuery",
    "MetricThresholdSpec",
    "MonitorDefinition",
    "MonitorDefinitionError",
    "MonitorSettings",
    "Notifications",
    "ServiceMonitorSettings",
    "ServiceMonitorsSpec",
    "Severity",
    "SeverityPolicy",
    "ThresholdWindows",
    "Thresholds",
    "ThroughputSettings",
    "anomaly_monitor",
    "apm_error_rate_monitor",
    "apm_latency_monitor",
    "log_formula_monitor",
    "log_monitor",
    "metric_threshold_monitor",
    "monitor_builders",
    "monitor_message",
    "service_monitors",
]
