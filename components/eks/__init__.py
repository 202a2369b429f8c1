"""Pure payload builders for the Datadog and OpenTelemetry workloads on EKS."""
