"""The message path, in its order: journal, intake (inbox), events, runs, outbox and
delivery, timers; and the services one process runs."""
