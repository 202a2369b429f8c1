"""ECS Fargate services instrumented with Datadog."""
