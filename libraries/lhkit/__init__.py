"""Small pieces shared by every keyword library: target config, polling, HTML logging, secret masking."""

from .polling import WaitTimeout, to_seconds, wait_until
from .target import Target, current, require_test_environment

__all__ = ["Target", "WaitTimeout", "current", "require_test_environment", "to_seconds", "wait_until"]
