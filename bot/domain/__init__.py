"""The domain: conversations, contacts, agents and teams, leads, replies, workflows in the
database and their catalog, and the repositories the Slack console, the widget and the
run logs read through."""
