"""The base of the service's pydantic models: each builds its validator on first use."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LazyModel(BaseModel):
    """A pydantic model whose schema, validator and serializer are built when it is first used
    (``defer_build``), not when its module is imported.

    Every function imports ``app`` and with it the routes' models, and a function touches few of
    them: the API's cold start built ~100 models it never used (docs/performance.md). A subclass's
    own ``model_config`` merges with this one.
    """

    model_config = ConfigDict(defer_build=True)
