"""Where the work path's English phone names come from (``domain/enrich/phone_names.py``).

A Lambda package carries the tables (``chalicelib/phonedata``, made by ``infra/phonedata.py``
from the packaged phonenumbers when the package is built). A local process makes them once,
on first use, in the cache folder (``BATCH_ENRICH_CACHE_DIR``, a folder per phonenumbers
version) and reads them from there afterwards. Packaged tables of another phonenumbers version,
or tables that cannot be made, leave the enricher on phonenumbers' own data: the answers are the
same, only the start is slower, and the log says why, once per process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import phonenumbers

from chalicelib.domain.enrich.phone import LIBRARY_NAMES
from chalicelib.domain.enrich.phone_names import PhoneNames, TableNames
from chalicelib.domain.enrich.phone_tables import open_tables, write_tables
from chalicelib.observability import logger

# Inside a Lambda package, beside the service's code; absent from a source tree.
PACKAGED = Path(__file__).resolve().parents[1] / "phonedata"


def cached_tables(cache_dir: str) -> Path:
    """The folder of the tables of the installed phonenumbers in a cache folder."""
    return Path(cache_dir) / f"phonedata-{phonenumbers.__version__}"


@lru_cache(maxsize=8)
def phone_names(cache_dir: str, packaged: Path = PACKAGED) -> PhoneNames:
    """The English names the phone enricher reports: the packaged tables when there are any,
    else the cache's (made on first use), else phonenumbers' own data."""
    if packaged.exists():
        tables, why = open_tables(packaged)
        return TableNames(tables) if tables is not None else _library(why)
    if not cache_dir:
        return _library("BATCH_ENRICH_CACHE_DIR is empty")
    folder = cached_tables(cache_dir)
    tables, _ = open_tables(folder)
    if tables is None:
        try:
            write_tables(folder)
        except (OSError, ValueError) as error:
            return _library(f"the tables could not be made in {folder} ({type(error).__name__}: {error})")
        tables, why = open_tables(folder)
        if tables is None:
            return _library(why)
    return TableNames(tables)


def _library(why: str) -> PhoneNames:
    logger.warning(f"phone names come from phonenumbers' own geocoder and carrier data (slower to "
                   f"load, same answers): {why}")
    return LIBRARY_NAMES
