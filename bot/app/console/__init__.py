"""The web console at ``/console``: sign-in, workflows, the audit log (docs/console.md)."""
