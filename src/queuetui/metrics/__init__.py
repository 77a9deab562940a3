"""Metrics and alerts: the sampler's bounded series in Redis, alert rules, the Prometheus exporter."""
