"""Ready presets for well-known vendors' public APIs, written from each vendor's documentation.

A tenant configures ``{"preset": "...", "secret_name": "..."}`` and overrides only what differs
(``spec.PresetSource``): scalars replace the preset's value; a map (``query``, ``body``,
``headers``, ``outputs``) is merged key by key, a ``null`` value removing that key. Each preset
says what the vendor documents: the request and its authentication, where the answer sits in
the reply, what means "no match" (nothing billed), which status means "slow down" (waited out
and retried) and the documented rate limit. Prices are the tenant's decision and have no
default here.
"""

from __future__ import annotations

from typing import Any

PRESETS: dict[str, dict[str, Any]] = {
    # People Data Labs, Person Enrichment API (docs.peopledatalabs.com, "Reference - Person
    # Enrichment API", "Authentication", "Fix 429 rate limit errors"): GET /v5/person/enrich
    # with the person's identifiers as query parameters; the key in the X-Api-Key header. 200
    # with {"status", "likelihood", "data": {...}} on a match, 404 when no person matches (and
    # only matches are charged); 429 beyond the key's limit, a fixed window of 100 requests a
    # minute on free plans (1,000 on paid ones: override rate_limit_per_second), without
    # Retry-After (x-ratelimit-reset instead): the backoff applies.
    "peopledatalabs_person": {
        "name": "peopledatalabs", "url": "https://api.peopledatalabs.com/v5/person/enrich",
        "method": "GET",
        "query": {"email": "email", "phone": "phone", "profile": "linkedin",
                  "first_name": "first_name", "last_name": "last_name", "name": "full_name",
                  "company": "company"},
        "auth_header": "X-Api-Key", "auth_scheme": "", "requires": ["email"],
        "match_path": "data.id",
        "outputs": {"full_name": "data.full_name", "job_title": "data.job_title",
                    "company": "data.job_company_name", "company_website": "data.job_company_website",
                    "linkedin": "data.linkedin_url", "work_email": "data.work_email",
                    "mobile_phone": "data.mobile_phone", "location": "data.location_name",
                    "industry": "data.industry", "likelihood": "likelihood"},
        "not_found_statuses": [404], "throttle_statuses": [429],
        "rate_limit_per_second": 1.6,
    },
    # Hunter, Email Finder (hunter.io/api-documentation/v2): GET /v2/email-finder with the
    # company's domain and the person's first and last name; the key in the X-API-KEY header
    # (or the api_key parameter). 200 with {"data": {"email", "score", "position", ...}}, whose
    # email is null when none was found (not counted against the plan); 403 means the rate
    # limit was reached (15 requests a second, 500 a minute: slow down and retry), 429 that
    # the plan's monthly requests are used up (an error, not retried: waiting will not help).
    "hunter_email_finder": {
        "name": "hunter", "url": "https://api.hunter.io/v2/email-finder", "method": "GET",
        "query": {"domain": "domain", "first_name": "first_name", "last_name": "last_name",
                  "full_name": "full_name"},
        "auth_header": "X-API-KEY", "auth_scheme": "", "requires": ["domain", "last_name"],
        "match_path": "data.email",
        "outputs": {"email": "data.email", "score": "data.score", "position": "data.position",
                    "linkedin": "data.linkedin_url", "phone": "data.phone_number",
                    "verification": "data.verification.status"},
        "not_found_statuses": [404], "throttle_statuses": [403],
        "rate_limit_per_second": 8.0,
    },
    # Foursquare Places API, Place Match (docs.foursquare.com: "Match a Place",
    # PlaceMatchResponse): GET places-api.foursquare.com/places/match with the place's name and
    # address parts; a service key as Authorization: Bearer and the API version in
    # X-Places-Api-Version. 200 with {"place": {"fsq_place_id", "name", "latitude",
    # "longitude", "location": {...}, "tel", "website", ...}} when a place matches; a reply
    # without a place, or 404, is no match. 429 beyond the plan's rate.
    "foursquare_place_match": {
        "name": "foursquare", "url": "https://places-api.foursquare.com/places/match",
        "method": "GET", "headers": {"X-Places-Api-Version": "2025-06-17"},
        "query": {"name": "company", "address": "street", "city": "city", "state": "state",
                  "postal_code": "zip"},
        "auth_header": "Authorization", "auth_scheme": "Bearer", "requires": ["company", "city"],
        "match_path": "place.fsq_place_id",
        "outputs": {"fsq_place_id": "place.fsq_place_id", "name": "place.name",
                    "address": "place.location.formatted_address",
                    "latitude": "place.latitude", "longitude": "place.longitude",
                    "phone": "place.tel", "website": "place.website",
                    "category": "place.categories.0.name"},
        "not_found_statuses": [404], "throttle_statuses": [429],
        "rate_limit_per_second": 10.0,
    },
}


def resolve(preset: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """A preset's configuration with a tenant's overrides applied (see the module docstring)."""
    merged = dict(PRESETS[preset])
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            combined = {**merged[key], **value}
            merged[key] = {name: kept for name, kept in combined.items() if kept is not None}
        else:
            merged[key] = value
    return merged
