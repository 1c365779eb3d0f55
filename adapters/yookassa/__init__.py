"""YooKassa: the SDK-backed payment gateway and the built-in development sandbox."""
