"""The public HTTP API (Litestar + msgspec), the webhook receiver and the reference pages."""
