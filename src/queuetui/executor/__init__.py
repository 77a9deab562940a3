"""Running RQ workers the queuetui way: priority order, scheduler on. Never imports textual."""
