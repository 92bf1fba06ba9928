"""Rendering: content templates to Telegram HTML, console text or Markdown."""

from bot.rendering.markup import Target, convert, escape_markdown
from bot.rendering.renderer import Renderer

__all__ = ["Renderer", "Target", "convert", "escape_markdown"]
