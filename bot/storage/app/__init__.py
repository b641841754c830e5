"""The read models and writes of the shell (bot/app): the admin API, the demo pages, the CLI."""
