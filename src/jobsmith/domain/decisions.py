"""Pure decisions of the job lifecycle: no I/O, so every branch is unit tested."""

from __future__ import annotations

import dataclasses

from jobsmith.domain import states


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
    if attempts <= max_retries:
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
