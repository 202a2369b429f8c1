"""Checks of registered payloads against the real schemas (botocore, the Kubernetes OpenAPI,
the DatadogAgent CRD, Datadog's API models), which the offline engine and `check` apply to every
resource. Development dependencies: `pulumi up` never imports them."""
