"""Local HTTP servers that behave like the vendors' documented APIs."""
