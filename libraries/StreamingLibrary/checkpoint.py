"""The destructive checkpoint keyword (test environments with a local checkpoint only)."""

from __future__ import annotations

import shutil
from pathlib import Path

import requests
from robot.api import logger
from robot.api.deco import keyword

from lhkit.target import require_test_environment

from .base import StreamingComponent


class CheckpointKeywords(StreamingComponent):
    @keyword(tags=("Streaming", "Destructive"))
    def delete_streaming_checkpoint(self) -> str:
        """Deletes the streaming job's checkpoint directory (the target's ``streaming_checkpoint``); returns its path.

        Stop the service first. Refuses a target that is not a test environment, and fails when
        the target names no checkpoint (an external platform usually does not), when the job still
        answers, or when there is no checkpoint. The job then starts a new checkpoint generation
        with a new ``txnAppId`` and resumes after the offsets already in Bronze and the DLQ, so
        nothing is skipped or duplicated.

        | Stop Service | bronze-streaming |
        | Delete Streaming Checkpoint |
        | Start Service | bronze-streaming |
        """
        target = self.target
        require_test_environment(target, "delete the streaming checkpoint")
        if not target.streaming_checkpoint:
            raise AssertionError(
                f"Target '{target.name}' names no streaming_checkpoint; only a platform whose contract gives "
                "the checkpoint path can have it deleted"
            )
        path = Path(target.streaming_checkpoint)
        if target.streaming_metrics_url:
            try:
                self.http().get(self.metrics_url("/health"), timeout=2)
            except requests.RequestException:
                pass
            else:
                raise AssertionError(f"Stop bronze-streaming before deleting its checkpoint ({path}); it still answers")
        if not path.exists():
            raise AssertionError(f"No streaming checkpoint at {path}")
        shutil.rmtree(path)
        logger.info(f"Deleted the streaming checkpoint {path}.")
        return str(path)
