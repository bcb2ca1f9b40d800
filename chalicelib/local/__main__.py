"""``python -m chalicelib.local``: the batch-enrich command."""

from chalicelib.local.cli import main

raise SystemExit(main())
