"""The waitlist, the CRM (leads and their timeline) and the email outbox."""
