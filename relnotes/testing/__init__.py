"""Test support: a GitHub-compatible HTTP server, its fixtures and the pytest plugin.

Shipped in the package so other projects' tests (and demos) can run relnotes against a
local server; nothing here is imported by relnotes itself.
"""
