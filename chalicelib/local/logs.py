"""Logging of the local commands: the service's JSON lines on standard error, or text for people.

``serve`` logs every step at INFO (``--verbose``: DEBUG); ``run`` and ``bench`` show a
progress bar and log only warnings (``--verbose``: INFO). ``--log-format text`` writes the same
records as ``time LEVEL message key=value`` lines. Child processes (the emulator, the
workers) read the same choice from ``BATCH_ENRICH_LOG_FORMAT`` and ``POWERTOOLS_LOG_LEVEL``.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from chalicelib.observability import configure_local
from chalicelib.settings import get_settings


def add_log_options(parser: argparse.ArgumentParser, top_level: bool = False) -> None:
    """``--verbose`` and ``--log-format``, before or after the command's name."""
    # A command's copy leaves the value alone when absent, so the top level's still counts.
    hidden: dict[str, Any] = {} if top_level else {"default": argparse.SUPPRESS}
    parser.add_argument("--verbose", action="store_true", help="log every step", **hidden)
    parser.add_argument("--log-format", choices=["json", "text"], **hidden,
                        help="log lines as JSON (the default, as on AWS) or as text for people")


def setup_logging(command: str, verbose: bool, log_format: str | None) -> None:
    """Set this process's (and its children's) log level and format for ``command``."""
    # A terminal running a batch wants its progress bar; a server is watched through its lines.
    quiet, loud = ("INFO", "DEBUG") if command == "serve" else ("WARNING", "INFO")
    level = loud if verbose else quiet
    log_format = log_format or "json"
    os.environ["POWERTOOLS_LOG_LEVEL"] = level
    os.environ["BATCH_ENRICH_LOG_FORMAT"] = log_format
    get_settings.cache_clear()
    configure_local(get_settings().log_format, level)


def setup_child_logging() -> None:
    """A child process of the local runtime logs as its parent chose."""
    configure_local(get_settings().log_format, os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))
