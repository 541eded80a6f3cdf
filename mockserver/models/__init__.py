"""Pydantic models of every request and response body, one module per API area."""
