"""Schedules: cron semantics (and, later, the schedule store and the scheduler daemon)."""
