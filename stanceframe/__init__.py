"""stanceframe: stance and framing tags for news coverage, with a small CPU transformer."""

__version__ = "0.1.0"
