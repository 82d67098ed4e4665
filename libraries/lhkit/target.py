"""The platform under test: a :class:`contract.PlatformContract`, chosen by the variables file.

Robot suites choose the target with a variables file (``-V variables/<target>.py``) that
sets ``${LH_TARGET}`` to a contract mapping; ``resources/platform.resource`` imports
``variables/default.py`` so that a plain ``robot suites/...`` aims at the embedded platform,
and a ``-V`` on the command line overrides it. Outside Robot (pytest, benchmarks),
``LH_CONTRACT_FILE`` names a contract JSON file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from contract.platform import SECRET_FIELDS, PlatformContract
from lhcommon import masking

# The type keyword libraries call their target; it is the contract itself.
Target = PlatformContract


class NoTarget(RuntimeError):
    ROBOT_SUPPRESS_NAME = True


def from_value(value: Mapping[str, Any] | PlatformContract) -> PlatformContract:
    """A contract from a ``${LH_TARGET}`` mapping (secrets may be Robot ``Secret`` values) or a contract."""
    if isinstance(value, PlatformContract):
        contract = value
    else:
        clean = {k: (masking.reveal(v) if k in SECRET_FIELDS else v) for k, v in value.items()}
        contract = PlatformContract.from_mapping(clean)
    masking.register(*(getattr(contract, k) for k in SECRET_FIELDS))
    return contract


def as_variables(contract: PlatformContract) -> dict[str, Any]:
    """The ``${LH_TARGET}`` value for a variables file: secrets wrapped in Robot's ``Secret``."""
    out = contract.to_dict()
    for key in SECRET_FIELDS:
        out[key] = as_secret(out[key])
    return out


def as_secret(value: str) -> Any:
    """Wrap a value in ``robot.api.types.Secret`` (RF 7.4+) so Robot never logs it."""
    from robot.api.types import Secret

    return Secret(value)


class NotATestEnvironment(PermissionError):
    ROBOT_SUPPRESS_NAME = True


def require_test_environment(target: PlatformContract, action: str) -> None:
    if not target.test_environment:
        raise NotATestEnvironment(
            f"Refusing to {action}: target '{target.name}' is not marked as a test environment. "
            'Set "test_environment": true in its contract only if its data may be destroyed.'
        )


def current() -> PlatformContract:
    """The target of the running Robot execution (``${LH_TARGET}``), else ``LH_CONTRACT_FILE``."""
    values = _robot_target()
    if values is None:
        path = os.environ.get("LH_CONTRACT_FILE")
        if not path:
            raise NoTarget(
                "No target platform: import a variables file that sets ${LH_TARGET} "
                "(e.g. -V variables/embedded.py) or set LH_CONTRACT_FILE to a platform contract JSON file"
            )
        values = PlatformContract.load(path)
    target = from_value(values)
    masking.quiet_client_loggers()
    return target


def _robot_target() -> Mapping[str, Any] | None:
    from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

    try:
        return BuiltIn().get_variable_value("${LH_TARGET}")
    except RobotNotRunningError:
        return None
