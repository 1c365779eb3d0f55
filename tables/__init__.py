"""Persistence: Piccolo tables, migrations, repositories and the unit of work."""
