"""PlatformLibrary's backends against the real embedded platform and through an external target."""

from __future__ import annotations

import pytest

from contract.lifecycle import LifecycleError, UnsupportedOperation
from contract.platform import PlatformContract
from PlatformLibrary.backends import backend_for

pytestmark = pytest.mark.profiles("core")


def test_embedded_backend_keeps_one_session_and_survives_its_death(platform: PlatformContract) -> None:
    backend = backend_for(platform)
    try:
        assert backend.service_status("kafka").state == "RUNNING"
        session = backend._session
        assert session is not None and session.poll() is None, "calls go through a live session"
        for _ in range(3):
            backend.service_status("kafka")
        assert backend._session is session, "the session is reused, not restarted per call"
        session.kill()
        session.wait()
        assert backend.service_status("kafka").state == "RUNNING", "a new session after the old one died"
        assert backend._session is not session
        with pytest.raises(LifecycleError, match="Unknown service 'no-such-service'"):
            backend.service_status("no-such-service")
    finally:
        backend.close()


def test_external_backend_probes_the_targets_own_endpoints(platform: PlatformContract) -> None:
    external = platform.as_external(services=())
    backend = backend_for(external)
    assert backend.health("s3")[0], backend.health("s3")[1]
    wrong = backend_for(external.with_overrides(s3_secret_key="not-the-secret"))
    ok, detail = wrong.health("s3")
    assert not ok and "SignatureDoesNotMatch" in detail and "not-the-secret" not in detail
    with pytest.raises(UnsupportedOperation, match="not managed by this toolkit"):
        backend.kill_service("kafka")
