"""`make node-check`: which Node.js the CDK CLI will run on, and whether the CDK supports it.

Standard library only: it runs before the venv exists. One line on stdout when the version is
supported, a warning on stderr (exit 0) when it is supported but end-of-life or not one the CDK
documents, an error (exit 1) when node is missing or too old.

The versions are those of the AWS CDK's support policy, "Supported Node.js versions for the AWS CDK"
(https://docs.aws.amazon.com/cdk/v2/guide/node-versions.html): the CDK supports Node.js LTS versions,
and an LTS version for six months after its community end-of-life. Update the tables with that page
when the pinned CDK CLI (package.json) moves on.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

SUPPORTED_MAJORS = (22, 24)  # LTS, not end-of-life
# Supported by the CDK past the version's end-of-life: major -> (Node.js EOL, CDK support ends).
END_OF_LIFE_MAJORS = {20: ("2026-04-30", "2026-10-30")}
OLDEST_MAJOR = min((*SUPPORTED_MAJORS, *END_OF_LIFE_MAJORS))
SOURCE = "https://docs.aws.amazon.com/cdk/v2/guide/node-versions.html"


@dataclass(frozen=True)
class Verdict:
    exit_code: int  # 0: go on (perhaps with a warning), 1: stop
    line: str
    to_stderr: bool


def supported_text() -> str:
    listed = [f"{major}.x" for major in sorted(SUPPORTED_MAJORS, reverse=True)]
    listed += [f"{major}.x (until {ends})" for major, (_eol, ends) in sorted(END_OF_LIFE_MAJORS.items())]
    return ", ".join(listed)


def judge(version: str | None) -> Verdict:
    """The verdict for `node --version`'s output (None: no node on PATH)."""
    if version is None:
        return Verdict(
            1,
            f"error: node not found on PATH. The CDK CLI needs Node.js {supported_text()}: install one "
            "(https://nodejs.org/en/download), then run make again.",
            True,
        )
    match = re.match(r"v?(\d+)\.", version.strip())
    if match is None:
        return Verdict(1, f"error: cannot read the Node.js version from `node --version`: {version.strip()!r}", True)
    found, major = version.strip(), int(match.group(1))
    if major in SUPPORTED_MAJORS:
        return Verdict(0, f"Node.js {found} found: supported by the CDK CLI ({supported_text()}).", False)
    if major in END_OF_LIFE_MAJORS:
        eol, ends = END_OF_LIFE_MAJORS[major]
        return Verdict(
            0,
            f"warning: Node.js {found} found: end-of-life since {eol}; the CDK supports it until {ends}. "
            f"Move to {' or '.join(f'{m}.x' for m in sorted(SUPPORTED_MAJORS, reverse=True))} (supported: "
            f"{supported_text()}; {SOURCE}).",
            True,
        )
    if major < OLDEST_MAJOR:
        return Verdict(
            1,
            f"error: Node.js {found} found: the CDK no longer supports it. Install {supported_text()} ({SOURCE}).",
            True,
        )
    return Verdict(
        0,
        f"warning: Node.js {found} found: not a version the CDK documents as supported ({supported_text()}; "
        f"{SOURCE}); it may work.",
        True,
    )


def node_version() -> str | None:
    """`node --version`, or None when there is no node to run."""
    node = shutil.which("node")
    if node is None:
        return None
    try:
        return subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> int:
    verdict = judge(node_version())
    print(verdict.line, file=sys.stderr if verdict.to_stderr else sys.stdout)
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
