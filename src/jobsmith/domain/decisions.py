"""Pure decisions of the job lifecycle: no I/O, so every branch is unit tested."""

from __future__ import annotations

import dataclasses
import enum

from jobsmith.domain import states


def may_retry(attempts: int, max_retries: int) -> bool:
    """Whether a job may run again: ``attempts`` counts claims, the one that just ended included,
    so ``max_retries=0`` allows one attempt and ``max_retries=2`` three."""
    return attempts <= max_retries


@dataclasses.dataclass(frozen=True)
class LostWorkerDecision:
    """What to do with a job whose worker vanished (its lease expired)."""

    next_state: states.Status
    reason: str


def after_lost_worker(attempts: int, max_retries: int) -> LostWorkerDecision:
    """Retry while ``attempts <= max_retries``, else fail; the reason says which and why.

    ``attempts`` counts claims, including the one that was lost, so ``max_retries=0`` means
    the first lost worker fails the job.
    """
    if may_retry(attempts, max_retries):
        return LostWorkerDecision(
            states.Status.QUEUED,
            f"worker lost during attempt {attempts}; retrying "
            f"({attempts} of {max_retries} retries used)",
        )
    return LostWorkerDecision(
        states.Status.FAILED,
        f"worker lost during attempt {attempts} and no retries are left "
        f"(max_retries={max_retries})",
    )


def clamp_progress(value: float | None) -> float | None:
    """Progress is a fraction in [0, 1]; anything outside is clipped, NaN is unknown."""
    if value is None or value != value:
        return None
    return min(1.0, max(0.0, float(value)))


class Stop(enum.Enum):
    """Why a worker's supervision stopped a job's process (or, for ``LOST``, gave the job up)."""

    CANCELLED = "cancelled"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    SHUTDOWN = "shutdown"
    LOST = "lost"


class Outcome(enum.Enum):
    """How a job's process said it ended: it returned, raised, or stopped on request."""

    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclasses.dataclass(frozen=True)
class AttemptDecision:
    """What the worker writes once an attempt ended.

    ``next_state`` is COMPLETED (seal the results, then finish), FAILED or CANCELLED (finish with
    ``reason``), QUEUED (hand the job back with ``reason``, giving back the attempt it spent when
    ``refund_attempt``), or None: write nothing, the job is no longer this worker's.
    """

    next_state: states.Status | None
    reason: str = ""
    refund_attempt: bool = False


def after_attempt(*, outcome: Outcome | None, stop: Stop | None, attempts: int, max_retries: int,
                  timeout_s: int, peak_rss: int, memory_limit_mb: int, error: str = "",
                  retryable: bool = False, exit_description: str = "") -> AttemptDecision:
    """What follows an attempt whose process ended: returned, raised, was stopped, or died.

    ``outcome`` is what the process said (None: it died without a word, and ``exit_description``
    says how, as in "was killed by SIGKILL"); ``error`` and ``retryable`` come with
    :attr:`Outcome.FAILED`; ``stop`` is why supervision stopped it, if it did; ``peak_rss`` is in
    bytes. A lost lease wins over everything (another worker may hold the job now); a process that
    returned completes even if a stop had begun (its results are whole); then the stop's reason;
    then what the process said. A retryable error retries while :func:`may_retry` allows.
    """
    if outcome is Outcome.DONE and stop is not Stop.LOST:
        return AttemptDecision(states.Status.COMPLETED)
    if stop is not None:
        return _after_stop(stop, timeout_s=timeout_s, peak_rss=peak_rss, memory_limit_mb=memory_limit_mb)
    if outcome is Outcome.FAILED:
        if retryable and may_retry(attempts, max_retries):
            return AttemptDecision(states.Status.QUEUED, f"{error}; retrying")
        return AttemptDecision(states.Status.FAILED, error)
    if outcome is Outcome.CANCELLED:
        return AttemptDecision(states.Status.FAILED, "the process stopped without being cancelled")
    return AttemptDecision(states.Status.FAILED, f"the job's process {exit_description} before it finished")


def _after_stop(stop: Stop, *, timeout_s: int, peak_rss: int, memory_limit_mb: int) -> AttemptDecision:
    """The attempt of a process that supervision stopped before it returned."""
    if stop is Stop.CANCELLED:
        return AttemptDecision(states.Status.CANCELLED, "cancelled by the client")
    if stop is Stop.TIMEOUT:
        return AttemptDecision(states.Status.FAILED, f"timed out after {timeout_s} s (the job's timeout_s); "
                                                     "its process was stopped")
    if stop is Stop.MEMORY:
        return AttemptDecision(states.Status.FAILED, f"used {peak_rss // 2**20} MiB of memory, over the "
                                                     f"limit of {memory_limit_mb} MiB; its process was stopped")
    if stop is Stop.SHUTDOWN:
        return AttemptDecision(states.Status.QUEUED, "the worker shut down before the job finished; "
                                                     "re-queued without spending an attempt", refund_attempt=True)
    return AttemptDecision(None)  # Stop.LOST: the job may be another worker's now


def after_unstored_results(why: str) -> AttemptDecision:
    """A process returned but its results could not be sealed (manifest, zip, archives; ``why``
    says what went wrong, as in "No space left on device"): the job fails saying so.

    Not a retry: the usual cause (a full disk or quota) does not pass within a retry's time, a retry
    would compute the results again only to meet it again, holding a worker and more disk meanwhile;
    and a job whose faces cannot serve its archives must not look COMPLETED. A person frees space
    and submits it again.
    """
    return AttemptDecision(states.Status.FAILED, f"the results could not be stored: {why}")


def progress_of_steps(ended: int, declared: int) -> float | None:
    """A job's progress as its steps tell it, for a process that reports no figure of its own: the
    share of its declared steps that ended, whatever their outcome (None without declared steps)."""
    if declared <= 0:
        return None
    return min(1.0, max(0, ended) / declared)


@dataclasses.dataclass(frozen=True)
class StepsAtEnd:
    """What a job's open steps become as it reaches a final state.

    ``running`` is the state of a step still running (the process died in it, or was stopped), with
    the job's reason as its message unless the step has one; ``not_run`` the message of a step the
    job never entered, which ends ``skip`` and keeps no start or end time: it never ran.
    """

    running: states.StepState
    not_run: str


def steps_at_end(final: states.Status) -> StepsAtEnd:
    """How the open steps of a job that became ``final`` are closed, so no final job shows a step
    ``queued`` or ``running``."""
    if final is states.Status.COMPLETED:
        return StepsAtEnd(states.StepState.SUCCESS, "not run: the process did not need it")
    verb = {states.Status.FAILED: "failed", states.Status.CANCELLED: "was cancelled"}.get(final, "was deleted")
    return StepsAtEnd(states.StepState.FAILURE, f"not run: the job {verb}")
