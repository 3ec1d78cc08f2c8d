"""The backfill's resume journal: which jobs were handed off (enqueued or archived), at which state.

An append-only JSON Lines file: a header naming the backfill (stack, region, filters, mode), then
one line per job handed off (`{"job": name, "ordering": key}`), flushed and fsynced after every
batch. Appending keeps each save O(batch) however long the backfill; a torn last line (a crash in
the middle of a write) is ignored on load. A job is skipped on a rerun when the journal holds it at
the same or a later state; a job whose state moved on since is handed off again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from automl_archive_cli.errors import CliError

FORMAT_VERSION = 1


def default_checkpoint_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "automl-archive"


def checkpoint_path(identity: dict[str, Any], directory: Path | None = None) -> Path:
    """`backfill-<stack>-<region>-<hash of the filters and mode>.jsonl` in the cache directory."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    stack = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in str(identity.get("stack", "stack")))
    region = str(identity.get("region", "region"))
    return (directory or default_checkpoint_dir()) / f"backfill-{stack}-{region}-{digest}.jsonl"


class Checkpoint:
    def __init__(self, path: Path, identity: dict[str, Any], handed_off: dict[str, int] | None = None) -> None:
        self.path = path
        self.identity = identity
        self.handed_off: dict[str, int] = dict(handed_off or {})
        self._file: IO[str] | None = None

    @classmethod
    def load(cls, path: Path, identity: dict[str, Any]) -> Checkpoint:
        """The journal at `path` (empty when there is none); CliError if it belongs to another backfill."""
        if not path.exists():
            return cls(path, identity)
        handed_off: dict[str, int] = {}
        with path.open(encoding="utf-8") as journal:
            lines = journal.read().splitlines()
        for number, line in enumerate(lines):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn write at the end of an interrupted run
            if number == 0:
                if entry.get("checkpoint") != FORMAT_VERSION or entry.get("identity") != identity:
                    raise CliError(
                        f"Checkpoint {path} belongs to another backfill ({entry.get('identity')}); "
                        "pass another --checkpoint, or delete it to start over."
                    )
                continue
            key = str(entry["job"]).lower()
            handed_off[key] = max(int(entry["ordering"]), handed_off.get(key, -1))
        return cls(path, identity, handed_off)

    def covers(self, job_name: str, ordering: int) -> bool:
        """True when this job was already handed off at this state or a later one."""
        return self.handed_off.get(job_name.lower(), -1) >= ordering

    def record(self, jobs: Iterable[tuple[str, int]]) -> None:
        """Append (job name, ordering key) pairs and make them durable before returning."""
        entries = list(jobs)
        if not entries:
            return
        journal = self._open()
        journal.write("".join(json.dumps({"job": name, "ordering": ordering}) + "\n" for name, ordering in entries))
        journal.flush()
        os.fsync(journal.fileno())
        for name, ordering in entries:
            key = name.lower()
            self.handed_off[key] = max(ordering, self.handed_off.get(key, -1))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def _open(self) -> IO[str]:
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            new = not self.path.exists() or self.path.stat().st_size == 0
            self._file = self.path.open("a", encoding="utf-8")
            if new:
                self._file.write(json.dumps({"checkpoint": FORMAT_VERSION, "identity": self.identity}) + "\n")
        return self._file
