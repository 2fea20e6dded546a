"""``python -m bot`` does what ``linli`` does."""

from bot.cli import main

raise SystemExit(main())
