from __future__ import annotations

import itertools

import pytest

from jobsmith.domain import decisions, states

S = states.Status

# The contract's diagram (API.md), written out edge by edge.
CONTRACT = {
    (S.WAITING_FOR_DATA, S.QUEUED), (S.QUEUED, S.PROCESSING), (S.PROCESSING, S.COMPLETED),
    (S.PROCESSING, S.FAILED), (S.WAITING_FOR_DATA, S.CANCELLED), (S.QUEUED, S.CANCELLED),
    (S.PROCESSING, S.CANCELLATION_REQUESTED), (S.CANCELLATION_REQUESTED, S.CANCELLED),
    (S.CANCELLATION_REQUESTED, S.COMPLETED), (S.CANCELLATION_REQUESTED, S.FAILED), (S.QUEUED, S.FAILED),
    (S.PROCESSING, S.QUEUED),
    *((s, S.DELETED) for s in S if s != S.DELETED),
}


@pytest.mark.parametrize(("source", "target"), list(itertools.product(S, S)))
def test_every_transition_is_allowed_exactly_when_the_contract_says(source: S, target: S) -> None:
    assert states.can_transition(source, target) == ((source, target) in CONTRACT)


def test_final_states_are_the_four_of_the_contract() -> None:
    assert {s for s in S if s.is_terminal()} == {S.COMPLETED, S.FAILED, S.CANCELLED, S.DELETED}
    assert {s for s in S if s.is_running()} == {S.PROCESSING, S.CANCELLATION_REQUESTED}


def test_a_final_state_can_only_be_deleted() -> None:
    for state in states.FINAL:
        assert states.TRANSITIONS[state] <= {S.DELETED}


def test_sources_of_is_the_inverse_of_the_table() -> None:
    assert states.sources_of(S.CANCELLED) == {S.WAITING_FOR_DATA, S.QUEUED, S.CANCELLATION_REQUESTED}
    assert states.sources_of(S.PROCESSING) == {S.QUEUED}


def test_the_diagram_is_generated_from_the_table() -> None:
    diagram = states.mermaid()
    assert diagram.startswith("stateDiagram-v2")
    for source, target in CONTRACT:
        assert f"{source.value} --> {target.value}" in diagram
    assert diagram.count("-->") == len(CONTRACT) + 2  # plus the two start arrows
    assert "--> DELETED" not in states.mermaid(with_deleted=False)


@pytest.mark.parametrize(("attempts", "max_retries", "expected"), [
    (1, 2, S.QUEUED), (2, 2, S.QUEUED), (3, 2, S.FAILED), (1, 0, S.FAILED), (5, 100, S.QUEUED)])
def test_a_lost_worker_is_retried_while_retries_are_left(attempts: int, max_retries: int, expected: S) -> None:
    decision = decisions.after_lost_worker(attempts, max_retries)
    assert decision.next_state == expected
    assert f"attempt {attempts}" in decision.reason
    assert ("retrying" in decision.reason) == (expected == S.QUEUED)


@pytest.mark.parametrize(("raw", "clamped"), [(None, None), (-1, 0.0), (0.5, 0.5), (7, 1.0), (float("nan"), None)])
def test_progress_is_clamped_to_a_fraction(raw: float | None, clamped: float | None) -> None:
    assert decisions.clamp_progress(raw) == clamped
