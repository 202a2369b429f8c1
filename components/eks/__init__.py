"""The Datadog and OpenTelemetry workloads on EKS: pure payload builders and their components."""
