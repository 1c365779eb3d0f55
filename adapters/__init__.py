"""Outbound adapters, named for their technology; each implements a domain port."""
