"""Managed services and people in virtual time, one module per service, driven by the account."""
