"""The demo: an embedded Redis, workers and a workload that keeps every pane alive."""
