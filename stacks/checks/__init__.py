"""Offline checks against the real schemas: botocore, Kubernetes OpenAPI, Datadog models."""
