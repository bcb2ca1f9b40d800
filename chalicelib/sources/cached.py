"""A vendor source behind the tenant's result cache: an answer kept is never paid for again.

Per lookup key (``lookup_input.cache_key``) the source answers from, in order: what this
pipeline already had (another row of the part), a usable answer in the cache (primed for a
part's rows with one batched read), the answer of another worker that claimed the same key
and is asking now (polled until its lease ends), and only then the vendor, under a claim, whose
answer (a match or a miss; never an error) is kept for ``ttl_seconds``. Cache trouble never
costs a row: a read or write that fails is a vendor call instead.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chalicelib.domain.enrich.base import AttributeStatus, CanonicalRecord, EnricherResult, Lookup
from chalicelib.domain.enrich.deadline import expired, time_left
from chalicelib.observability import logger, metrics
from chalicelib.ports.result_cache import Answer, CacheEntry, ResultCache
from chalicelib.sources.http_provider import HttpProvider
from chalicelib.sources.lookup_input import cache_key, normalized_input

_POLL_FIRST = 0.05  # seconds before a waiter reads a claimed key again (doubling to _POLL_MOST)
_POLL_MOST = 0.5


@dataclass(frozen=True)
class CacheScope:
    """Whose cache and for which batch: answers kept before ``fresh_after`` are not reused."""

    tenant_id: str
    batch_id: str
    region: str  # phone region for inputs given without a country
    ttl_seconds: float
    fresh_after: float = 0.0  # epoch seconds (a refresh: the batch's or the reprocess's start)


class CachedSource:
    """A vendor source (``HttpProvider``) asked only for lookup inputs nobody has an answer for."""

    def __init__(self, source: HttpProvider, cache: ResultCache, scope: CacheScope,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.name = source.name
        self._source = source
        self._cache = cache
        self._scope = scope
        self._clock = clock
        self._sleep = sleep
        self._fingerprint = source.config.answer_fingerprint()
        config = source.config
        # How long a claim holds: a lookup's worst case (every attempt timing out), and a little.
        self._lease = config.timeout_seconds * (config.max_retries + 1) + 5.0
        self._lock = threading.Lock()
        self._answers: dict[str, Answer] = {}  # answers this pipeline holds, by key
        self._asking: dict[str, threading.Event] = {}  # keys a thread of this process is asking
        self._primed: dict[str, CacheEntry | None] = {}

    def prepare(self, records: Sequence[CanonicalRecord]) -> None:
        """Read the cache for every lookup a part's rows may make, in one batched read."""
        keys = [key for key in map(self._key, records) if key is not None]
        wanted = [key for key in dict.fromkeys(keys) if key not in self._answers]
        try:
            found = self._cache.get_many(wanted)
        except Exception as exc:  # a cache that cannot be read is a cache that is empty
            logger.warning("result cache unreadable", extra={"source": self.name, "error": str(exc)})
            return
        with self._lock:
            self._primed.update({key: found.get(key) for key in wanted})

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """The answer for the record's lookup input, reused if anyone has it, else the vendor's."""
        key = self._key(record)
        if key is None:  # the record lacks the source's input: it says so, without a call
            return self._source.enrich(record)
        while True:
            with self._lock:
                known = self._answers.get(key)
                waiting = None if known else self._asking.get(key)
                if known is None and waiting is None:
                    self._asking[key] = threading.Event()
            if known is not None:
                return self._reused(known)
            if waiting is None:
                return self._resolve(key, record)
            # another thread of this part asks: its answer (or its failure) first, within the
            # row's deadline
            if not waiting.wait(time_left()):
                return _timed_out()

    def _key(self, record: CanonicalRecord) -> str | None:
        inputs = normalized_input(self._source.config, record, self._scope.region)
        return None if inputs is None else cache_key(self._scope.tenant_id, self.name,
                                                     self._fingerprint, inputs)

    def _resolve(self, key: str, record: CanonicalRecord) -> EnricherResult:
        """This thread owns ``key`` in this process: find its answer or ask for it."""
        try:
            result, answer = self._find_or_ask(key, record)
        finally:
            with self._lock:
                self._asking.pop(key).set()
        if answer is not None:
            with self._lock:
                self._answers[key] = answer
        return result

    def _find_or_ask(self, key: str, record: CanonicalRecord) -> tuple[EnricherResult, Answer | None]:
        with self._lock:
            primed, entry = key in self._primed, self._primed.pop(key, None)
        if not primed:
            entry = self._read(key)
        give_up = self._clock() + self._lease
        poll = _POLL_FIRST
        while True:
            now = self._clock()
            if entry is not None and entry.usable(now, self._scope.fresh_after):
                assert entry.answer is not None
                return self._reused(entry.answer), entry.answer
            if entry is not None and entry.claimed(now) and now < give_up:
                if expired():  # the row cannot wait any longer for another worker's answer
                    return _timed_out(), None
                self._sleep(min(poll, time_left() or poll))  # another worker asks the vendor this
                poll = min(poll * 2, _POLL_MOST)
            else:
                owner = uuid.uuid4().hex
                claimed = self._claim(key, owner, now)
                if claimed or now >= give_up:
                    return self._ask(key, record, owner if claimed else None)
            entry = self._read(key)

    def _ask(self, key: str, record: CanonicalRecord,
             owner: str | None) -> tuple[EnricherResult, Answer | None]:
        result = self._source.enrich(record)
        now = self._clock()
        answered = result.status is AttributeStatus.RUN and result.error is None
        answer = Answer(result.matched, result.outputs, now, self._scope.batch_id) if answered else None
        try:
            if answer is not None:
                self._cache.put(key, answer, now + self._scope.ttl_seconds)
            elif owner is not None:
                self._cache.release(key, owner)
        except Exception as exc:  # the row has its answer; only the next asker pays for this
            logger.warning("result cache not written", extra={"source": self.name, "error": str(exc)})
        return result, answer

    def _reused(self, answer: Answer) -> EnricherResult:
        how = Lookup.BATCH if answer.batch_id == self._scope.batch_id else Lookup.CACHE
        metrics.count("VendorDuplicates" if how is Lookup.BATCH else "VendorCacheHits", source=self.name)
        return EnricherResult(status=AttributeStatus.RUN, matched=answer.matched,
                              outputs=dict(answer.outputs), lookup=how)

    def _read(self, key: str) -> CacheEntry | None:
        try:
            return self._cache.get_many([key]).get(key)
        except Exception as exc:
            logger.warning("result cache unreadable", extra={"source": self.name, "error": str(exc)})
            return None

    def _claim(self, key: str, owner: str, now: float) -> bool:
        try:
            return self._cache.claim(key, owner, now + self._lease, self._scope.fresh_after, now)
        except Exception as exc:  # no claim, no wait: ask the vendor
            logger.warning("result cache claim failed", extra={"source": self.name, "error": str(exc)})
            return True


def _timed_out() -> EnricherResult:
    return EnricherResult(status=AttributeStatus.ERROR,
                          error="timeout: the row's deadline passed waiting for another row's answer")
