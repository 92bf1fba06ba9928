"""Exports: the founder's coaching summary as Markdown, HTML, JSON and CSV."""
