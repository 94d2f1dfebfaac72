"""findings: semantic search over inspection reports of English councils' children's services."""

__version__ = "0.1.0"
