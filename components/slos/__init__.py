"""Service level objectives as code: pure definitions checked when made, the SLOs and budget
alerts of a service, and (in `components.slos.slo_resources`, apart, so that the builders load
without the Datadog provider SDK) the component that registers them."""
