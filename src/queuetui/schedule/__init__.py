"""Schedules: the SQL store, cron semantics, the scheduler daemon and migrations. Never imports textual."""
