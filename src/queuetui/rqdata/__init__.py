"""Redis and RQ access for queuetui: read snapshots, pages, job detail and actions.

Nothing here imports textual. Reads never write (no registry cleanup, no callbacks) and cost a
bounded number of round trips whatever the queue sizes.
"""
