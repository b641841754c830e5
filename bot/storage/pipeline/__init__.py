"""The statements of the message path (bot/pipeline): journal, inbox, events, runs, outbox, timers."""
