"""Storage: the database engine and sessions, the SQLite driver, tables, the unit of work,
PostgreSQL specifics (advisory locks, LISTEN/NOTIFY)."""
