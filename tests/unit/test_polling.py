"""The shared polling helper (lhcommon.polling, wrapped by lhkit.polling): timing, failure message, errors."""

from __future__ import annotations

import time

import pytest

from lhcommon.polling import WaitTimeout, to_seconds, wait_until


def test_returns_within_one_interval_after_condition_holds() -> None:
    ready_at = time.monotonic() + 0.3
    start = time.monotonic()
    result = wait_until(lambda: time.monotonic() >= ready_at, timeout=5, interval=0.2, description="x", log=False)
    assert result is True
    assert time.monotonic() - ready_at < 0.2 + 0.05
    assert time.monotonic() - start < 0.6


def test_timeout_message_names_condition_time_attempts_and_last_state() -> None:
    calls = iter(range(1000))
    with pytest.raises(WaitTimeout) as info:
        wait_until(lambda: next(calls), lambda v: v > 10**6, timeout=0.3, interval=0.1,
                   description="the counter to pass a million", describe=lambda v: f"counter={v}", log=False)
    message = str(info.value)
    assert "waiting for the counter to pass a million" in message
    assert "Timed out after 0.3" in message
    assert f"({info.value.attempts} attempts" in message
    assert info.value.attempts >= 3
    assert f"Last observed: counter={info.value.last}" in message


def test_real_errors_propagate_immediately() -> None:
    start = time.monotonic()

    def bad_sql() -> None:
        raise ValueError("Parser Error: syntax error at or near 'SELEC'")

    with pytest.raises(ValueError, match="syntax error"):
        wait_until(bad_sql, timeout=10, description="rows", log=False)
    assert time.monotonic() - start < 0.1


def test_transient_errors_are_retried_and_reported() -> None:
    attempts = {"n": 0}

    def flaky() -> int:
        attempts["n"] += 1
        if attempts["n"] < 3:
            raise ConnectionError("refused")
        return attempts["n"]

    assert wait_until(flaky, timeout=2, interval=0.01, transient=(ConnectionError,), description="x", log=False) == 3
    with pytest.raises(WaitTimeout, match="Last observed: ConnectionError: refused"):
        wait_until(lambda: (_ for _ in ()).throw(ConnectionError("refused")), timeout=0.1, interval=0.02,
                   transient=(ConnectionError,), description="x", log=False)


def test_default_interval_is_at_most_half_a_second() -> None:
    from lhcommon import polling

    assert polling.DEFAULT_INTERVAL <= polling.MAX_DEFAULT_INTERVAL <= 0.5


def test_robot_wrapper_reports_one_summary_line() -> None:
    from lhkit import polling as robot_polling

    lines: list[str] = []
    assert robot_polling.wait_until(lambda: 5, timeout=1, description="five", report=lines.append) == 5
    assert len(lines) == 1 and "for five" in lines[0]
    assert robot_polling.WaitTimeout is WaitTimeout


@pytest.mark.parametrize(("value", "seconds"), [(None, 7.0), ("", 7.0), (3, 3.0), ("1 min 5 s", 65.0), ("250ms", 0.25)])
def test_to_seconds(value: object, seconds: float) -> None:
    assert to_seconds(value, 7.0) == seconds


def test_a_second_holder_in_the_same_process_times_out_instead_of_blocking(tmp_path) -> None:
    import threading

    from lhcommon.locks import LockTimeout, exclusive_lock

    lock = tmp_path / "x.lock"
    held, release, errors = threading.Event(), threading.Event(), []

    def first() -> None:
        with exclusive_lock(lock, 5, "first"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(5)
    try:
        with exclusive_lock(lock, 0.3, "second"):
            errors.append("acquired a lock another thread holds")
    except LockTimeout as error:
        assert "another thread of this process" in str(error)
    else:
        errors.append("no LockTimeout")
    finally:
        release.set()
        thread.join(10)
    assert not errors, errors
