"""What follows an attempt: every branch of :func:`decisions.after_attempt`, with the sentences users read."""

from __future__ import annotations

from typing import Any

import pytest

from jobsmith.domain import decisions, states

S = states.Status
Outcome = decisions.Outcome
Stop = decisions.Stop


def after(**facts: Any) -> decisions.AttemptDecision:
    """The decision for an attempt 1 of a job with 2 retries, 60 s and 300 MiB, unless ``facts`` say otherwise."""
    values: dict[str, Any] = {"outcome": None, "stop": None, "attempts": 1, "max_retries": 2, "timeout_s": 60,
                              "peak_rss": 0, "memory_limit_mb": 300}
    return decisions.after_attempt(**(values | facts))


def test_a_process_that_returned_completes() -> None:
    assert after(outcome=Outcome.DONE) == decisions.AttemptDecision(S.COMPLETED)


@pytest.mark.parametrize("stop", [Stop.CANCELLED, Stop.TIMEOUT, Stop.MEMORY, Stop.SHUTDOWN])
def test_a_process_that_returned_while_being_stopped_still_completes(stop: decisions.Stop) -> None:
    assert after(outcome=Outcome.DONE, stop=stop).next_state is S.COMPLETED


@pytest.mark.parametrize("outcome", [None, *Outcome])
def test_a_lost_lease_discards_whatever_the_process_did(outcome: decisions.Outcome | None) -> None:
    assert after(outcome=outcome, stop=Stop.LOST, error="boom") == decisions.AttemptDecision(None)


@pytest.mark.parametrize("outcome", [None, Outcome.FAILED, Outcome.CANCELLED])
def test_a_cancelled_job_ends_cancelled_whatever_its_process_said(outcome: decisions.Outcome | None) -> None:
    assert after(outcome=outcome, stop=Stop.CANCELLED, error="boom", retryable=True) == decisions.AttemptDecision(
        S.CANCELLED, "cancelled by the client")


def test_a_timeout_fails_naming_the_limit() -> None:
    assert after(stop=Stop.TIMEOUT, timeout_s=7) == decisions.AttemptDecision(
        S.FAILED, "timed out after 7 s (the job's timeout_s); its process was stopped")


def test_too_much_memory_fails_naming_the_peak_and_the_limit() -> None:
    assert after(stop=Stop.MEMORY, peak_rss=412 * 2**20 + 5) == decisions.AttemptDecision(
        S.FAILED, "used 412 MiB of memory, over the limit of 300 MiB; its process was stopped")


def test_a_shutdown_requeues_and_gives_the_attempt_back() -> None:
    assert after(stop=Stop.SHUTDOWN, outcome=Outcome.FAILED, error="interrupted") == decisions.AttemptDecision(
        S.QUEUED, "the worker shut down before the job finished; re-queued without spending an attempt",
        refund_attempt=True)


@pytest.mark.parametrize(("attempts", "max_retries"), [(1, 1), (2, 2), (1, 5)])
def test_a_retryable_error_requeues_spending_the_attempt_while_retries_are_left(attempts: int,
                                                                                 max_retries: int) -> None:
    decision = after(outcome=Outcome.FAILED, error="the service did not answer", retryable=True,
                     attempts=attempts, max_retries=max_retries)
    assert decision == decisions.AttemptDecision(S.QUEUED, "the service did not answer; retrying")


@pytest.mark.parametrize(("attempts", "max_retries"), [(2, 1), (1, 0), (4, 3)])
def test_a_retryable_error_fails_once_no_retry_is_left(attempts: int, max_retries: int) -> None:
    decision = after(outcome=Outcome.FAILED, error="the service did not answer", retryable=True,
                     attempts=attempts, max_retries=max_retries)
    assert decision == decisions.AttemptDecision(S.FAILED, "the service did not answer")


def test_an_error_that_is_not_retryable_fails_with_its_sentence_even_with_retries_left() -> None:
    decision = after(outcome=Outcome.FAILED, error="ValueError: bad data", attempts=1, max_retries=5)
    assert decision == decisions.AttemptDecision(S.FAILED, "ValueError: bad data")


def test_a_process_that_stopped_on_its_own_account_fails() -> None:
    assert after(outcome=Outcome.CANCELLED) == decisions.AttemptDecision(
        S.FAILED, "the process stopped without being cancelled")


def test_a_process_that_died_without_a_word_fails_saying_how() -> None:
    assert after(exit_description="was killed by SIGKILL") == decisions.AttemptDecision(
        S.FAILED, "the job's process was killed by SIGKILL before it finished")


@pytest.mark.parametrize(("attempts", "max_retries", "allowed"), [(1, 0, False), (1, 1, True), (2, 1, False)])
def test_retries_count_claims_including_the_one_that_ended(attempts: int, max_retries: int, allowed: bool) -> None:
    assert decisions.may_retry(attempts, max_retries) is allowed


def test_results_that_cannot_be_stored_fail_the_job_saying_why() -> None:
    assert decisions.after_unstored_results("No space left on device") == decisions.AttemptDecision(
        S.FAILED, "the results could not be stored: No space left on device")


# steps ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ended", "declared", "progress"), [
    (0, 4, 0.0), (1, 4, 0.25), (4, 4, 1.0), (5, 4, 1.0), (0, 0, None), (3, 0, None)])
def test_progress_of_steps_is_the_share_of_declared_steps_that_ended(ended: int, declared: int,
                                                                     progress: float | None) -> None:
    assert decisions.progress_of_steps(ended, declared) == progress


def test_no_final_job_leaves_a_step_open() -> None:
    completed = decisions.steps_at_end(S.COMPLETED)
    assert completed.running is states.StepState.SUCCESS and completed.not_run == "not run: the process did not need it"
    for final, said in ((S.FAILED, "failed"), (S.CANCELLED, "was cancelled"), (S.DELETED, "was deleted")):
        at_end = decisions.steps_at_end(final)
        assert at_end.running is states.StepState.FAILURE and at_end.not_run == f"not run: the job {said}"
