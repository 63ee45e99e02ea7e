"""Thin routers, one per resource: parse the request, call one function, return a typed response."""
