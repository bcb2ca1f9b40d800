"""Creator enricher: social platform and handle from a profile URL or an ``@handle``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, parse_qs, quote, unquote, urlsplit

from chalicelib.domain.enrich.base import (
    AttributeStatus,
    CanonicalRecord,
    EnricherResult,
)


@dataclass(frozen=True)
class Route:
    """One kind of profile path: ``kind`` is "" (/name), "@" (/@name) or a folder ("in", "c")."""

    kind: str
    handle: re.Pattern[str]
    url: str  # canonical profile URL with a {handle} slot
    case_sensitive: bool = False


@dataclass(frozen=True)
class Platform:
    """A platform's hosts, profile paths (the first is the one a bare handle uses), reserved paths."""

    name: str
    hosts: frozenset[str]
    routes: tuple[Route, ...]
    reserved: frozenset[str] = frozenset()


# Handle rules as each platform documents them; a name outside them cannot be a profile.
_INSTAGRAM = re.compile(r"(?!.*\.\.)(?!.*\.$)[a-z0-9._]{1,30}")
PLATFORMS: tuple[Platform, ...] = (
    Platform("instagram", frozenset({"instagram.com", "instagr.am"}),
             (Route("", _INSTAGRAM, "https://www.instagram.com/{handle}/"),),
             frozenset({"p", "reel", "reels", "tv", "explore", "stories", "accounts", "direct",
                        "about", "developer", "legal", "web", "challenge", "emails", "session",
                        "privacy", "directory", "topics", "locations", "api", "oauth", "ar"})),
    Platform("tiktok", frozenset({"tiktok.com"}),
             (Route("@", re.compile(r"(?!.*\.$)[a-z0-9._]{2,24}"), "https://www.tiktok.com/@{handle}"),)),
    Platform("youtube", frozenset({"youtube.com"}), (
        Route("@", re.compile(r"[a-z0-9._-]{3,30}"), "https://www.youtube.com/@{handle}"),
        Route("c", re.compile(r"[a-z0-9._-]{1,100}"), "https://www.youtube.com/c/{handle}"),
        Route("user", re.compile(r"[a-z0-9._-]{1,100}"), "https://www.youtube.com/user/{handle}"),
        # Channel IDs are case-sensitive: "UC" and 22 characters of URL-safe base64.
        Route("channel", re.compile(r"UC[A-Za-z0-9_-]{22}"), "https://www.youtube.com/channel/{handle}",
              case_sensitive=True),
    )),
    Platform("x", frozenset({"x.com", "twitter.com"}),
             (Route("", re.compile(r"[a-z0-9_]{1,15}"), "https://x.com/{handle}"),),
             frozenset({"home", "explore", "search", "i", "intent", "share", "settings", "messages",
                        "notifications", "login", "logout", "signup", "hashtag", "tos", "privacy",
                        "compose", "about", "account", "download", "jobs", "help", "en", "lists"})),
    Platform("twitch", frozenset({"twitch.tv"}),
             (Route("", re.compile(r"[a-z0-9][a-z0-9_]{3,24}"), "https://www.twitch.tv/{handle}"),),
             frozenset({"directory", "videos", "settings", "downloads", "jobs", "turbo", "search",
                        "subscriptions", "inventory", "wallet", "drops", "prime", "store",
                        "friends", "messages", "payments", "login", "signup", "team", "help"})),
    Platform("linkedin", frozenset({"linkedin.com"}),
             (Route("in", re.compile(r"[\w-]{3,100}"), "https://www.linkedin.com/in/{handle}"),)),
    Platform("facebook", frozenset({"facebook.com", "fb.com"}),
             (Route("", re.compile(r"[a-z0-9.]{3,50}"), "https://www.facebook.com/{handle}"),),
             frozenset({"pages", "groups", "events", "watch", "marketplace", "login", "login.php",
                        "sharer", "sharer.php", "share", "photo.php", "story.php", "permalink.php",
                        "policies", "gaming", "hashtag", "people", "search", "notifications",
                        "messages", "settings", "home.php", "friends", "bookmarks", "reels",
                        "stories", "photos", "videos", "privacy", "business", "legal", "help"})),
    Platform("threads", frozenset({"threads.net", "threads.com"}),
             (Route("@", _INSTAGRAM, "https://www.threads.com/@{handle}"),)),
    # OnlyFans publishes no handle rules; its profile paths hold letters, digits, ".", "_", "-".
    Platform("onlyfans", frozenset({"onlyfans.com"}),
             (Route("", re.compile(r"[a-z0-9._-]{1,50}"), "https://onlyfans.com/{handle}"),),
             frozenset({"my", "posts", "help", "terms", "privacy", "about", "login", "signup"})),
)
BY_HOST: dict[str, Platform] = {host: p for p in PLATFORMS for host in p.hosts}
# What people type in a "platform" column, letters only, lower-cased.
PLATFORM_ALIASES: dict[str, Platform] = {
    **{p.name: p for p in PLATFORMS},
    **{alias: BY_HOST[host] for alias, host in (
        ("ig", "instagram.com"), ("insta", "instagram.com"), ("yt", "youtube.com"),
        ("twitter", "x.com"), ("xtwitter", "x.com"), ("twitterx", "x.com"), ("fb", "fb.com"))},
}
# Subdomains that still show the main site; LinkedIn also uses country ones (de.linkedin.com).
PLAIN_SUBDOMAINS: frozenset[str] = frozenset({"", "www", "m", "mobile", "web"})
FACEBOOK_ID_URL = "https://www.facebook.com/profile.php?id={handle}"


def platform_name(text: str) -> str | None:
    """The platform a name stands for ("IG", "Twitter", "tik tok") as PLATFORMS names it, or None."""
    known = PLATFORM_ALIASES.get(re.sub(r"[^a-z]", "", text.lower()))
    return known.name if known else None


def platform_in_header(header: str) -> str | None:
    """The platform a column's name names ("Instagram", "TikTok handle", "X (Twitter)"), or None."""
    for word in [header, *re.findall(r"[a-z]+", header.lower())]:
        found = platform_name(word)
        if found:
            return found
    return None


class CreatorEnricher:
    """Find the platform, handle and canonical profile URL of a creator's social account."""

    name = "creator"

    def __init__(self, default_platform: str | None = None) -> None:
        # The batch's platform, for bare handles in rows without a platform column.
        self._platform = default_platform or ""

    def enrich(self, record: CanonicalRecord) -> EnricherResult:
        """Read ``handle`` (+ ``platform``), ``linkedin`` or a social ``website``; never raises."""
        # Each input column with the platform a bare name in it belongs to.
        platform = record.get("platform") or self._platform
        sources = (("handle", platform), ("linkedin", "linkedin"), ("website", ""))
        candidates = [((record.get(key) or "").strip(), platform) for key, platform in sources]
        # A company's own website is no creator input: only a known platform's URL counts.
        if not _platform_of_url(candidates[2][0]):
            candidates.pop()
        answers = [describe_profile(text, platform) for text, platform in candidates if text]
        if not answers:
            return EnricherResult(status=AttributeStatus.RUN_CONDITION_FAILED)
        for answer in answers:
            if isinstance(answer, dict):
                return EnricherResult(status=AttributeStatus.RUN, matched=True, outputs=answer)
        # Nothing usable: explain the most explicit input, the ``handle`` column first.
        outputs: dict[str, Any] = {"valid": False, "reason": answers[0]}
        return EnricherResult(status=AttributeStatus.RUN, matched=False, outputs=outputs)


def describe_profile(text: str, platform_name: str = "") -> dict[str, Any] | str:
    """A profile URL or handle -> {valid, platform, handle, profile_url}, or why it is none."""
    on_platform = _platform_of_url(text)
    parts = _split_url(text)
    if on_platform is not None and parts is not None:
        segments = [unquote(segment) for segment in parts.path.split("/") if segment]
        return _match(on_platform, segments, parts.query)
    if "/" in text:
        return "not a profile URL of a known platform"
    known = PLATFORM_ALIASES.get(re.sub(r"[^a-z]", "", platform_name.lower()))
    if known is None:
        return "unknown platform for a bare handle" if platform_name else "no platform for a bare handle"
    # A bare handle is read as the platform's main profile path: /name, /@name or /in/name.
    kind, handle = known.routes[0].kind, text.removeprefix("@")
    segments = {"": [handle], "@": [f"@{handle}"]}.get(kind, [kind, handle])
    return _match(known, segments, "")


def _platform_of_url(text: str) -> Platform | None:
    parts = _split_url(text)
    if parts is None or " " in text:
        return None
    host = (parts.hostname or "").rstrip(".")
    sub, _, main = host.partition(".") if host.count(".") >= 2 else ("", "", host)
    if sub in PLAIN_SUBDOMAINS or (main == "linkedin.com" and len(sub) == 2):
        return BY_HOST.get(main)
    return None


def _split_url(text: str) -> SplitResult | None:
    try:
        # People paste "instagram.com/x" without a scheme; urlsplit needs one to see the host.
        return urlsplit(text if "//" in text else f"https://{text}")
    except ValueError:  # e.g. an unbalanced "[" read as an IPv6 address
        return None


def _match(platform: Platform, segments: list[str], query: str) -> dict[str, Any] | str:
    if platform.name == "facebook" and segments[:1] == ["profile.php"]:
        # Accounts without a username only have a numeric id: facebook.com/profile.php?id=1000…
        ids = [value for value in parse_qs(query).get("id", []) if value.isdigit()]
        return _found(platform, ids[0], FACEBOOK_ID_URL) if ids else "not a profile URL"
    for route in platform.routes:
        if route.kind == "@":
            handle = segments[0][1:] if segments and segments[0].startswith("@") else None
        elif route.kind:
            handle = segments[1] if len(segments) > 1 and segments[0].lower() == route.kind else None
        else:
            handle = segments[0] if segments else None
        if handle is None:
            continue
        if not route.kind and handle.lower() in platform.reserved:
            return f"{platform.name} page, not a profile"
        normalized = handle if route.case_sensitive else handle.lower()
        if not route.handle.fullmatch(normalized):
            return f"not a valid {platform.name} handle"
        return _found(platform, normalized, route.url)
    return "not a profile URL"


def _found(platform: Platform, handle: str, url: str) -> dict[str, Any]:
    return {"valid": True, "platform": platform.name, "handle": handle,
            "profile_url": url.format(handle=quote(handle, safe=""))}
