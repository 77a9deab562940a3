"""Schedules: cron semantics, the store, the scheduler's firing logic. Never imports textual."""
