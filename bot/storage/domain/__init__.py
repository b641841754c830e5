"""The domain's repositories (bot/domain): their contracts, the SQL implementation and the in-memory twin."""
