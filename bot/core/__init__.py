"""The shared words: settings, message shapes, errors, the clock, metrics, the Channel protocol,
and small helpers for concurrency and logs. Imports nothing else of relaybot but `workflows`."""
