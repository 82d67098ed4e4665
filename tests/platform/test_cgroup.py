"""cgroup v1 limit ordering: memory must never exceed memory+swap while limits change."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse.runner.cgroup import set_limit


class FakeKernel:
    """Files that reject a memory limit above the memsw limit, as the kernel does (EINVAL)."""

    def __init__(self, root: Path, mem: int, memsw: int):
        self.mem, self.memsw = root / "memory.limit_in_bytes", root / "memory.memsw.limit_in_bytes"
        self.mem.write_text(str(mem))
        self.memsw.write_text(str(memsw))


@pytest.mark.parametrize(("old", "new"), [(192, 320), (320, 192), (256, 256)])
def test_limits_change_in_a_valid_order(tmp_path: Path, old: int, new: int, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = FakeKernel(tmp_path, old, old)
    original = Path.write_text

    def checked_write(self: Path, text: str, *args: object, **kwargs: object) -> int:
        if self == kernel.mem and int(text) > int(kernel.memsw.read_text()):
            raise OSError(22, "Invalid argument")
        if self == kernel.memsw and int(text) < int(kernel.mem.read_text()):
            raise OSError(22, "Invalid argument")
        return original(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", checked_write)
    set_limit(tmp_path, new)
    assert int(kernel.mem.read_text()) == new == int(kernel.memsw.read_text())
