"""CreatorEnricher: platform, handle and canonical profile URL from links and @handles."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.enrich.base import AttributeStatus, EnricherResult
from chalicelib.domain.enrich.creator import CreatorEnricher


def enrich(**record: str) -> EnricherResult:
    return CreatorEnricher().enrich(record)


def profile(platform: str, handle: str, url: str) -> dict[str, Any]:
    return {"valid": True, "platform": platform, "handle": handle, "profile_url": url}


def invalid(reason: str) -> EnricherResult:
    return EnricherResult(status=AttributeStatus.RUN, matched=False,
                          outputs={"valid": False, "reason": reason})


def test_instagram_link_with_tracking_query_and_trailing_slash() -> None:
    result = enrich(handle="https://www.instagram.com/NatGeo/?hl=en&igsh=MWZ2")

    assert result == EnricherResult(
        status=AttributeStatus.RUN,
        matched=True,
        outputs=profile("instagram", "natgeo", "https://www.instagram.com/natgeo/"),
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.tiktok.com/@Charli.DAmelio?lang=en",
         profile("tiktok", "charli.damelio", "https://www.tiktok.com/@charli.damelio")),
        ("https://www.tiktok.com/@khaby.lame/video/7212345678901234567",
         profile("tiktok", "khaby.lame", "https://www.tiktok.com/@khaby.lame")),
        ("youtube.com/@MKBHD/videos", profile("youtube", "mkbhd", "https://www.youtube.com/@mkbhd")),
        ("https://m.youtube.com/c/LinusTechTips/",
         profile("youtube", "linustechtips", "https://www.youtube.com/c/linustechtips")),
        # Channel ids are case-sensitive and kept as they are.
        ("https://www.youtube.com/channel/UCBJycsmduvYEL83R_U4JriQ?sub_confirmation=1",
         profile("youtube", "UCBJycsmduvYEL83R_U4JriQ",
                 "https://www.youtube.com/channel/UCBJycsmduvYEL83R_U4JriQ")),
        ("https://twitter.com/NASA/", profile("x", "nasa", "https://x.com/nasa")),
        ("https://x.com/elonmusk/status/1234567890?s=20", profile("x", "elonmusk", "https://x.com/elonmusk")),
        ("https://mobile.twitter.com/BBCBreaking", profile("x", "bbcbreaking", "https://x.com/bbcbreaking")),
        ("https://www.twitch.tv/Ninja", profile("twitch", "ninja", "https://www.twitch.tv/ninja")),
        ("https://de.linkedin.com/in/hans-m%C3%BCller-4b2a1/",
         profile("linkedin", "hans-müller-4b2a1", "https://www.linkedin.com/in/hans-m%C3%BCller-4b2a1")),
        ("https://www.facebook.com/zuck", profile("facebook", "zuck", "https://www.facebook.com/zuck")),
        ("https://m.facebook.com/profile.php?id=100004123456789&ref=bookmarks",
         profile("facebook", "100004123456789",
                 "https://www.facebook.com/profile.php?id=100004123456789")),
        ("https://www.threads.net/@zuck", profile("threads", "zuck", "https://www.threads.com/@zuck")),
    ],
)
def test_profile_links_give_platform_handle_and_canonical_url(url: str, expected: dict[str, Any]) -> None:
    assert enrich(handle=url).outputs == expected


@pytest.mark.parametrize(
    ("handle", "platform", "expected"),
    [
        ("@nasa", "Instagram", profile("instagram", "nasa", "https://www.instagram.com/nasa/")),
        ("@khaby.lame", "TikTok", profile("tiktok", "khaby.lame", "https://www.tiktok.com/@khaby.lame")),
        ("NASA", "Twitter", profile("x", "nasa", "https://x.com/nasa")),
        ("mkbhd", "YouTube", profile("youtube", "mkbhd", "https://www.youtube.com/@mkbhd")),
        ("satya-nadella", "LinkedIn",
         profile("linkedin", "satya-nadella", "https://www.linkedin.com/in/satya-nadella")),
        ("@zuck", "threads", profile("threads", "zuck", "https://www.threads.com/@zuck")),
    ],
)
def test_bare_handles_use_the_platform_column(handle: str, platform: str, expected: dict[str, Any]) -> None:
    assert enrich(handle=handle, platform=platform).outputs == expected


def test_linkedin_column_and_a_social_website_are_read_too() -> None:
    assert enrich(linkedin="linkedin.com/in/SatyaNadella").outputs == profile(
        "linkedin", "satyanadella", "https://www.linkedin.com/in/satyanadella"
    )
    assert enrich(website="https://instagram.com/acme.tees").outputs == profile(
        "instagram", "acme.tees", "https://www.instagram.com/acme.tees/"
    )


def test_a_usable_column_wins_over_an_unusable_one() -> None:
    result = enrich(handle="@nasa", linkedin="https://www.linkedin.com/in/jane-doe-1a2b3c")

    assert result.outputs["platform"] == "linkedin"  # "@nasa" alone names no platform


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://www.instagram.com/p/CxYz123abc/", "instagram page, not a profile"),
        ("instagram.com/explore/tags/travel", "instagram page, not a profile"),
        ("https://twitter.com/home", "x page, not a profile"),
        ("https://x.com/search?q=python", "x page, not a profile"),
        ("https://www.facebook.com/groups/123456", "facebook page, not a profile"),
        ("https://www.twitch.tv/directory", "twitch page, not a profile"),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "not a profile URL"),
        ("https://www.tiktok.com/discover/dance", "not a profile URL"),
        ("https://www.linkedin.com/company/globex/", "not a profile URL"),
        ("https://www.instagram.com/", "not a profile URL"),
        ("https://example.com/@nasa", "not a profile URL of a known platform"),
        ("https://twitter.com/this_handle_is_too_long", "not a valid x handle"),
        ("https://www.instagram.com/nat..geo", "not a valid instagram handle"),
        ("https://www.twitch.tv/_ninja", "not a valid twitch handle"),
        ("https://www.youtube.com/channel/UC123", "not a valid youtube handle"),
    ],
)
def test_reserved_pages_and_invalid_handles_do_not_match(url: str, reason: str) -> None:
    assert enrich(handle=url) == invalid(reason)


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"handle": "@nasa"}, "no platform for a bare handle"),
        ({"handle": "nasa", "platform": "MySpace"}, "unknown platform for a bare handle"),
        ({"handle": "hello world", "platform": "instagram"}, "not a valid instagram handle"),
        ({"handle": "http://[::1"}, "not a profile URL of a known platform"),
    ],
)
def test_unusable_handles_are_reported_not_raised(record: dict[str, str], reason: str) -> None:
    assert CreatorEnricher().enrich(record) == invalid(reason)


@pytest.mark.parametrize(
    "record",
    [{}, {"handle": "  "}, {"platform": "instagram"}, {"website": "https://www.globex.com/about"}],
)
def test_no_creator_input_fails_the_run_condition(record: dict[str, str]) -> None:
    assert CreatorEnricher().enrich(record) == EnricherResult(
        status=AttributeStatus.RUN_CONDITION_FAILED
    )


def test_enricher_is_named_for_its_output_namespace() -> None:
    assert CreatorEnricher.name == "creator"
