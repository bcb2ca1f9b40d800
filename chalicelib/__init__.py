"""batch-enrich's code: the domain, its ports and adapters, the handlers and the local runtime."""

import os

# The service uses no pydantic plugin, and pydantic looks for them on the first model it builds by
# reading the entry points of every installed distribution (~20-40 ms of every cold start,
# docs/performance.md). An operator who adds a plugin sets the variable (to "" or a list).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
