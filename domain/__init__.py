"""The practice's business rules: entities, value objects, errors, ports and use cases."""
