"""The composition root: the one place that knows every concrete class.

``composition.container`` builds the adapters, repositories and use cases of one process;
``composition.web`` turns them into the HTTP app (public API, admin, sandbox);
``composition.worker`` lists the worker's jobs; ``composition.database`` opens, closes and
migrates the database. ``main.py`` and ``commands/`` use these; tests use them too.
"""
