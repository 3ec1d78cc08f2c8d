"""``lambdas/layer.lock``: the layer's whole dependency closure, pinned, with sha256 hashes.

``make lock`` (``python -m infra.layer_lock``) asks pip to resolve ``lambdas/requirements.txt`` for the
layer's platform, with the same platform options the build uses, without installing anything
(``pip install --dry-run --report``), and writes every resolved wheel as ``name==version
--hash=sha256:...``, except the distributions the Lambda runtime provides. The layer build installs the
lock with ``--require-hashes --no-deps`` and the layer's asset hash is taken from the lock's bytes, so
any change of any resolved version or wheel makes a new layer, and nothing unpinned gets in.

The lock records the requirement lines it was resolved from (``# input:``); synth refuses a lock whose
inputs differ from ``lambdas/requirements.txt`` (run ``make lock``).
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from infra import config, layer_platform
from infra.layer_bundling import platform_arguments

HEADER = (
    "# The dependency layer's packages: the whole closure of lambdas/requirements.txt for CPython\n"
    "# {python} on manylinux aarch64, minus what the Lambda runtime provides. Written by `make lock`\n"
    "# (python -m infra.layer_lock); do not edit by hand.\n"
)
INPUT_PREFIX = "# input: "
_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)")
_HASH = re.compile(r"--hash=sha256:(?P<digest>[0-9a-f]{64})")


class LockError(ValueError):
    """The lock cannot be written, or does not match lambdas/requirements.txt."""


@dataclass(frozen=True, order=True)
class LockedWheel:
    name: str  # normalised (PEP 503)
    version: str
    sha256: str


@dataclass(frozen=True)
class Lock:
    inputs: tuple[str, ...]  # the requirement lines the lock was resolved from
    pins: dict[str, str]  # normalised name -> version
    hashes: dict[str, tuple[str, ...]]  # normalised name -> sha256 digests


def normalise(name: str) -> str:
    """PEP 503 name normalisation: ``Typing_Extensions`` and ``typing-extensions`` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(requirements: Path) -> tuple[str, ...]:
    """The requirements file's requirement lines, without comments and blank lines."""
    lines = (line.split(" #", 1)[0].strip() for line in requirements.read_text().splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


def top_level_pins(requirements: Path) -> dict[str, str]:
    """``name==version`` pins of a requirements file (normalised name -> version)."""
    pins: dict[str, str] = {}
    for line in requirement_lines(requirements):
        match = _PIN.match(line)
        if match is None:
            raise LockError(f"{requirements}: {line!r} is not pinned as name==version")
        pins[normalise(match["name"])] = match["version"]
    return pins


def read_lock(lock: Path = layer_platform.LAYER_LOCK) -> Lock:
    inputs: list[str] = []
    pins: dict[str, str] = {}
    hashes: dict[str, list[str]] = {}
    current = ""
    for line in lock.read_text().splitlines():
        if line.startswith(INPUT_PREFIX):
            inputs.append(line.removeprefix(INPUT_PREFIX).strip())
        elif match := _PIN.match(line):
            current = normalise(match["name"])
            pins[current] = match["version"]
            hashes[current] = []
        if current and (digest := _HASH.search(line)):
            hashes[current].append(digest["digest"])
    return Lock(inputs=tuple(inputs), pins=pins, hashes={name: tuple(found) for name, found in hashes.items()})


def check_lock_matches(requirements: Path = config.LAMBDA_REQUIREMENTS, lock: Path = layer_platform.LAYER_LOCK) -> None:
    """Raise :class:`LockError` unless the lock was resolved from these requirement lines."""
    wanted, recorded = requirement_lines(requirements), read_lock(lock).inputs
    if wanted != recorded:
        raise LockError(
            f"{lock} was resolved from {list(recorded)}, but {requirements} now asks for {list(wanted)}: "
            "run `make lock` and commit the new lock."
        )


def _sha256(download_info: dict[str, Any]) -> str:
    digest = download_info.get("archive_info", {}).get("hashes", {}).get("sha256")
    if digest:
        return str(digest)
    url = str(download_info["url"])
    if url.startswith("file://"):  # a wheel from a local --find-links directory carries no hash
        return hashlib.sha256(Path(unquote(urlparse(url).path)).read_bytes()).hexdigest()
    raise LockError(f"the package index gave no sha256 for {url}")


def wheels_from_report(report: dict[str, Any]) -> list[LockedWheel]:
    """The wheels of a ``pip install --report`` (format version 1), less the runtime's packages."""
    provided = {normalise(name) for name in layer_platform.LAYER_EXCLUDED_PACKAGES}
    wheels = []
    for item in report["install"]:
        name = normalise(item["metadata"]["name"])
        if name not in provided:
            wheels.append(LockedWheel(name, item["metadata"]["version"], _sha256(item["download_info"])))
    return sorted(wheels)


def render_lock(inputs: tuple[str, ...], wheels: list[LockedWheel]) -> str:
    lines = [HEADER.format(python=layer_platform.LAYER_PYTHON_VERSION).rstrip("\n")]
    lines += [f"{INPUT_PREFIX}{line}" for line in inputs]
    lines += [f"{wheel.name}=={wheel.version} \\\n    --hash=sha256:{wheel.sha256}" for wheel in wheels]
    return "\n".join(lines) + "\n"


def resolve(requirements: Path) -> list[LockedWheel]:
    """Resolve ``requirements`` for the layer's platform with pip, installing nothing."""
    with tempfile.TemporaryDirectory(prefix="layer-lock-") as scratch:
        report = Path(scratch) / "report.json"
        # pip accepts platform options only with --target, even for a dry run; nothing is written there.
        subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--report",
                str(report),
                "--requirement",
                str(requirements),
                "--target",
                str(Path(scratch) / "target"),
                *platform_arguments(),
                "--disable-pip-version-check",
                "--quiet",
            ],
            check=True,
        )
        return wheels_from_report(json.loads(report.read_text()))


def write_lock(
    requirements: Path = config.LAMBDA_REQUIREMENTS, lock: Path = layer_platform.LAYER_LOCK
) -> list[LockedWheel]:
    wheels = resolve(requirements)
    lock.write_text(render_lock(requirement_lines(requirements), wheels))
    return wheels


def main() -> None:
    wheels = write_lock()
    for wheel in wheels:
        print(f"{wheel.name}=={wheel.version}")
    print(f"Wrote {layer_platform.LAYER_LOCK.relative_to(config.PROJECT_ROOT)} ({len(wheels)} packages).")


if __name__ == "__main__":
    main()
