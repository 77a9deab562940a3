"""What the scheduler and the sampler share as long-running daemons: the lease, notifications."""
