"""The SQL home: engine and sessions, the models of schedules, runs, audit and alerts, migrations."""
