"""Tests of the Clarify HTTP client."""
