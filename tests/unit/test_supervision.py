from __future__ import annotations

from jobsmith.domain.decisions import Stop
from jobsmith.execution.supervision import Watch


def watch(**overrides: float) -> Watch:
    values = {"started": 0.0, "timeout_s": 10.0, "grace_s": 2.0, "shutdown_grace_s": 5.0, "memory_limit": 100}
    values.update(overrides)
    return Watch(**values)  # type: ignore[arg-type]


def decide(w: Watch, now: float, **facts: object) -> Stop | None:
    defaults: dict[str, object] = {"cancel_requested": False, "lost": False, "shutting_down": False, "rss": 10}
    defaults.update(facts)
    return w.decide(now, **defaults)  # type: ignore[arg-type]


def test_nothing_to_do_while_within_limits() -> None:
    assert decide(watch(), 5.0) is None


def test_each_reason_to_stop() -> None:
    assert decide(watch(), 1.0, cancel_requested=True) is Stop.CANCELLED
    assert decide(watch(), 1.0, lost=True) is Stop.LOST
    assert decide(watch(), 1.0, rss=101) is Stop.MEMORY
    assert decide(watch(), 10.5) is Stop.TIMEOUT


def test_the_first_reason_sticks() -> None:
    w = watch()
    assert decide(w, 1.0, cancel_requested=True) is Stop.CANCELLED
    assert decide(w, 11.0, rss=500) is Stop.CANCELLED
    assert w.peak_rss == 500


def test_shutdown_waits_for_its_grace_period() -> None:
    w = watch()
    assert decide(w, 1.0, shutting_down=True) is None
    assert decide(w, 5.9, shutting_down=True) is None
    assert decide(w, 6.1, shutting_down=True) is Stop.SHUTDOWN


def test_kill_at_once_for_lost_lease_and_memory_else_after_term_grace() -> None:
    lost = watch()
    decide(lost, 1.0, lost=True)
    assert lost.must_kill(1.0)
    cancelled = watch()
    decide(cancelled, 1.0, cancel_requested=True)
    assert not cancelled.must_kill(1.0)
    cancelled.term_sent_at = 1.0
    assert not cancelled.must_kill(2.9)
    assert cancelled.must_kill(3.1)
