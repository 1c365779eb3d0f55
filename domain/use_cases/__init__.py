"""One module per use case: a class with keyword-only ports and one ``async execute``."""
