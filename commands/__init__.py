"""The command line's commands, one module each; ``main.py`` parses and dispatches."""
