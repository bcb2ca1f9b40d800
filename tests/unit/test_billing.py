"""Properties of the billing arithmetic: a settled prefix never costs more than the balance or the cap
allows, it is the longest that does, and every row is counted once."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.billing import PauseReason, affordable_prefix, plan_settlement, row_cost
from chalicelib.domain.models import RowResult, RowStatus

SETTLED_STATUSES = (RowStatus.COMPLETED, RowStatus.NOT_FOUND, RowStatus.FAILED, RowStatus.SKIPPED)
limits = st.none() | st.integers(min_value=0, max_value=60)


def _part(drawn: list[tuple[RowStatus, int | None, frozenset[str]]]) -> list[RowResult]:
    return [RowResult.model_construct(  # valid by construction: no validation on the hot path
        i=i, v=[], row_id=f"r{i}", status=status, credits=credits, found=sorted(found))
        for i, (status, credits, found) in enumerate(drawn)]


# A part's rows: any status, a price of their own or the batch's, enrichers that found data.
rows = st.lists(st.tuples(st.sampled_from(SETTLED_STATUSES),
                          st.none() | st.integers(min_value=0, max_value=7),
                          st.frozensets(st.sampled_from(["email", "phone", "company"]))),
                max_size=30).map(_part)


def _within(total: int, limit: int | None) -> bool:
    return limit is None or total <= limit


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=9), max_size=40), limits)
def test_the_affordable_prefix_is_the_longest_one_within_the_limit(costs: list[int],
                                                                   available: int | None) -> None:
    n = affordable_prefix(costs, available)

    assert 0 <= n <= len(costs)
    assert _within(sum(costs[:n]), available)
    assert n == len(costs) or not _within(sum(costs[:n + 1]), available)


@settings(max_examples=200, deadline=None)
@given(rows, st.integers(min_value=0, max_value=5), limits, limits)
def test_a_plan_never_costs_more_than_the_balance_or_the_cap_and_settles_the_longest_prefix(
    part: list[RowResult], price: int, balance: int | None, cap_left: int | None
) -> None:
    plan = plan_settlement(part, price, balance, cap_left)
    costs = [row_cost(row, price) for row in part]

    assert _within(plan.cost, balance) and _within(plan.cost, cap_left)
    assert plan.cost == sum(costs[:plan.settled])
    longer = sum(costs[:plan.settled + 1])
    assert plan.settled == len(part) or not (_within(longer, balance) and _within(longer, cap_left))


@settings(max_examples=200, deadline=None)
@given(rows, st.integers(min_value=0, max_value=5), limits, limits)
def test_a_plan_counts_every_row_once_and_says_why_it_stopped(
    part: list[RowResult], price: int, balance: int | None, cap_left: int | None
) -> None:
    plan = plan_settlement(part, price, balance, cap_left)
    prefix, rest = part[:plan.settled], part[plan.settled:]
    by_status = Counter(row.status for row in prefix)
    waiting = [row for row in rest if row.status is not RowStatus.SKIPPED]

    # A skipped row counts as skipped at once, settled or not: it waits for nothing (issue 11 #6).
    assert plan.settled + plan.parked + (len(rest) - len(waiting)) == len(part)
    assert (plan.completed, plan.not_found, plan.failed) == tuple(
        by_status[s] for s in SETTLED_STATUSES[:3])
    assert plan.skipped == sum(row.status is RowStatus.SKIPPED for row in part)
    assert plan.parked == len(waiting)
    assert plan.parked_cost == sum(row_cost(row, price) for row in waiting)
    assert plan.found == dict(Counter(name for row in prefix for name in row.found))
    assert plan.done == (plan.settled == len(part)) == (plan.parked == 0) == (plan.pause is None)
    if plan.pause is PauseReason.CAP:
        assert not _within(sum(row_cost(r, price) for r in part[:plan.settled + 1]), cap_left)
    if plan.pause is PauseReason.BALANCE:
        assert not _within(sum(row_cost(r, price) for r in part[:plan.settled + 1]), balance)


@given(rows)
def test_only_matched_rows_cost_anything(part: list[RowResult]) -> None:
    plan = plan_settlement(part, 3, None, None)

    assert plan.settled == len(part) and plan.pause is None
    assert plan.cost == sum(3 if row.credits is None else row.credits
                            for row in part if row.status is RowStatus.COMPLETED)


@settings(deadline=None)
@given(rows, st.integers(min_value=0, max_value=5))
def test_a_plan_works_out_each_row_s_cost_once_and_counts_its_lookups(part: list[RowResult],
                                                                      price: int) -> None:
    # GIVEN a part's rows, some of which asked vendors
    import chalicelib.domain.billing as billing

    for row in part[::3]:
        row.lookups = {"vendor_a": "called", "vendor_b": "cache_hit"}
    asked: list[int] = []

    def counted(row: RowResult, price: int) -> int:
        asked.append(row.i)
        return row_cost(row, price)

    # WHEN it is planned with no limit (every row settles)
    original = billing.row_cost
    billing.row_cost = counted
    try:
        plan = plan_settlement(part, price, None, None)
    finally:
        billing.row_cost = original

    # THEN each row's cost was asked once (twice before: the prefix, then the settlement's sum)
    assert sorted(asked) == [row.i for row in part]
    assert plan.cost == sum(row_cost(row, price) for row in part)
    assert plan.lookups == dict(Counter(how for row in part for how in row.lookups.values()))
