"""``python -m bot`` runs the same CLI as ``founder-coach``."""

from bot.cli import main

raise SystemExit(main())
