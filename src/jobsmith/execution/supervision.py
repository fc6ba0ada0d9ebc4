"""Watching one running job from its worker: messages, lease, cancel, timeout, memory.

The decisions are kept in :class:`Watch` (pure bookkeeping over the clock and the facts seen)
so that the runner's loop stays a plain sequence of observe, decide, act. Why a job was stopped
is the domain's :class:`~jobsmith.domain.decisions.Stop`: what that means for the job is decided
there too (:func:`~jobsmith.domain.decisions.after_attempt`).
"""

from __future__ import annotations

import dataclasses

from jobsmith.domain import decisions


@dataclasses.dataclass
class Watch:
    """Deadlines of one attempt, on the monotonic clock of the worker."""

    started: float
    timeout_s: float
    grace_s: float
    shutdown_grace_s: float
    memory_limit: int
    stop: decisions.Stop | None = None
    term_sent_at: float | None = None
    killed: bool = False
    shutdown_since: float | None = None
    peak_rss: int = 0

    def decide(self, now: float, *, cancel_requested: bool, lost: bool, shutting_down: bool,
               rss: int) -> decisions.Stop | None:
        """The reason to stop the job now, if any; the first reason found sticks."""
        self.peak_rss = max(self.peak_rss, rss)
        if self.stop is not None:
            return self.stop
        if lost:
            self.stop = decisions.Stop.LOST
        elif cancel_requested:
            self.stop = decisions.Stop.CANCELLED
        elif rss > self.memory_limit:
            self.stop = decisions.Stop.MEMORY
        elif now - self.started > self.timeout_s:
            self.stop = decisions.Stop.TIMEOUT
        elif shutting_down:
            self.shutdown_since = self.shutdown_since or now
            if now - self.shutdown_since > self.shutdown_grace_s:
                self.stop = decisions.Stop.SHUTDOWN
        return self.stop

    def must_kill(self, now: float) -> bool:
        """KILL at once for a lost lease or memory; else after the TERM grace period."""
        if self.stop in (decisions.Stop.LOST, decisions.Stop.MEMORY):
            return True
        return self.term_sent_at is not None and now - self.term_sent_at > self.grace_s
