"""Staff admin: Piccolo Admin configuration, forms and role checks."""
