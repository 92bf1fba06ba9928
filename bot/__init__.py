"""Founder Coach: a coach for founders of AI / large-model startups.

Importing the package has no side effects; see ``bot.cli`` for the entry point.
"""

__version__ = "0.1.0"
