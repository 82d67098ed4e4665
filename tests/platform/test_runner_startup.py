"""The start-up state machine (lakehouse.runner.startup), driven with plain values: no processes."""

from __future__ import annotations

from dataclasses import dataclass

from lakehouse.runner.startup import Phase, Proc, RunProbe, Start, Startup


@dataclass(frozen=True)
class Svc:
    name: str
    depends_on: tuple[str, ...] = ()
    oneshot: bool = False
    start_timeout: float = 10.0


BROKER = Svc("broker")
INIT = Svc("init", ("broker",), oneshot=True)
APP = Svc("app", ("init",))
STOPPED = Proc("STOPPED")


def procs(**states: Proc) -> dict[str, Proc]:
    return {name: states.get(name, STOPPED) for name in ("broker", "init", "app")}


def test_starts_in_dependency_order_and_reports_readiness() -> None:
    m = Startup([BROKER, INIT, APP], t0=0.0)
    assert m.step(0.0, procs()) == [Start("broker")]
    assert m.phase("init") is Phase.PENDING and "waiting for broker" in m.waiting()
    assert m.step(0.1, procs(broker=Proc("STARTING"))) == [RunProbe("broker")]
    # A probe in flight is not asked for again.
    assert m.step(0.2, procs(broker=Proc("RUNNING"))) == []
    # The broker's probe passes: the one-shot that needs it starts in the same step.
    assert m.step(0.5, procs(broker=Proc("RUNNING")), {"broker": (True, "1 broker")}) == [Start("init")]
    assert m.ready_after == {"broker": 0.5}
    assert m.step(0.6, procs(broker=Proc("RUNNING"), init=Proc("RUNNING"))) == []
    assert m.step(1.0, procs(broker=Proc("RUNNING"), init=Proc("EXITED", 0))) == [Start("app")]
    assert m.step(1.1, procs(broker=Proc("RUNNING"), init=Proc("EXITED", 0), app=Proc("RUNNING"))) == [RunProbe("app")]
    m.step(1.5, procs(broker=Proc("RUNNING"), init=Proc("EXITED", 0), app=Proc("RUNNING")), {"app": (True, "200")})
    assert m.done and m.failed is None
    assert m.started == ["broker", "init", "app"] and m.already_running == []


def test_running_daemons_and_finished_oneshots_are_adopted_not_restarted() -> None:
    m = Startup([BROKER, INIT], t0=0.0)
    running = procs(broker=Proc("RUNNING"), init=Proc("EXITED", 0))
    assert m.step(0.0, running) == [RunProbe("broker")]
    assert m.step(0.1, running, {"broker": (True, "ok")}) == []
    assert m.done
    assert m.started == [] and m.already_running == ["broker", "init"]


def test_failed_probe_is_retried_and_remembered() -> None:
    m = Startup([BROKER], t0=0.0)
    m.step(0.0, procs())
    assert m.step(0.1, procs(broker=Proc("RUNNING"))) == [RunProbe("broker")]
    assert m.step(0.5, procs(broker=Proc("RUNNING")), {"broker": (False, "connection refused")}) == [RunProbe("broker")]
    assert m.waiting() == "broker: RUNNING, probe: connection refused"


def test_oneshot_exit_status_fails_the_start() -> None:
    m = Startup([BROKER, INIT], t0=0.0)
    m.step(0.0, procs(broker=Proc("RUNNING")))
    m.step(0.1, procs(broker=Proc("RUNNING")), {"broker": (True, "ok")})
    assert m.step(0.5, procs(broker=Proc("RUNNING"), init=Proc("EXITED", 2))) == []
    assert m.failed == ("init", "exited with status 2")
    assert m.phase("init") is Phase.FAILED


def test_oneshot_that_cannot_spawn_fails_with_the_spawn_error() -> None:
    m = Startup([Svc("init", oneshot=True)], t0=0.0)
    m.step(0.0, {"init": STOPPED})
    m.step(0.1, {"init": Proc("FATAL", None, "can't find command")})
    assert m.failed == ("init", "could not be started: can't find command")


def test_daemon_that_dies_fails_even_with_a_passing_probe_result() -> None:
    m = Startup([BROKER], t0=0.0)
    m.step(0.0, procs())
    m.step(0.1, procs(broker=Proc("RUNNING")))
    assert m.step(0.2, procs(broker=Proc("EXITED", 1)), {"broker": (True, "stale")}) == []
    assert m.failed == ("broker", "is EXITED (exit status 1)")


def test_start_timeout_counts_from_the_start_and_names_the_last_state() -> None:
    m = Startup([Svc("slow", start_timeout=5)], t0=0.0)
    m.step(1.0, {"slow": STOPPED})
    m.step(2.0, {"slow": Proc("RUNNING")}, {})
    m.step(3.0, {"slow": Proc("RUNNING")}, {"slow": (False, "HTTP 503")})
    assert m.failed is None
    m.step(6.5, {"slow": Proc("RUNNING")}, {})
    assert m.failed == ("slow", "not ready 5 s after start (last: RUNNING, probe: HTTP 503)")


def test_dependency_outside_the_set_does_not_block() -> None:
    m = Startup([APP], t0=0.0)
    assert m.step(0.0, {"app": STOPPED}) == [Start("app")]


def test_start_slots_limit_how_many_services_start_at_once() -> None:
    a, b, c = (Svc(name, (), False, 10.0) for name in ("a", "b", "c"))
    m = Startup([a, b, c], t0=0.0, max_starting=2)
    actions = m.step(0.0, {n: Proc("STOPPED") for n in "abc"})
    assert [x.name for x in actions if isinstance(x, Start)] == ["a", "b"]
    assert m.phase("c") is Phase.PENDING and "waiting for a start slot" in m.waiting()
    # a becomes ready: its slot goes to c in the same step
    actions = m.step(1.0, {"a": Proc("RUNNING"), "b": Proc("RUNNING"), "c": Proc("STOPPED")}, {"a": (True, "ok")})
    assert [x.name for x in actions if isinstance(x, Start)] == ["c"]
    # c's timeout counts from its own start (1.0 s), not from the beginning
    m.step(11.0, {"a": Proc("RUNNING"), "b": Proc("RUNNING"), "c": Proc("RUNNING")}, {"b": (True, "ok")})
    assert m.failed is None
