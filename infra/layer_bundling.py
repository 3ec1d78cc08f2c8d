"""Builds the exporter's dependency layer on this machine, without Docker, and caches it.

CDK calls :meth:`LocalLayerBundler.try_bundle` before it would start the Docker image of
``BundlingOptions``. The bundler pip-installs ``lambdas/requirements.txt`` for the Lambda platform
(Python 3.13, arm64, binary wheels only) into ``<output>/python``, removes the AWS SDK packages the
runtime provides, and keeps the result under ``~/.cache/automl-archive/layer-<hash>/`` so that the next
synth (tests synthesise many times) copies the directory instead of calling pip.
"""

from __future__ import annotations

import compileall
import hashlib
import py_compile
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import ILocalBundling

from infra import config

# Files pip leaves behind that the layer does not need.
_JUNK_DIRS = ("bin", "__pycache__")


def layer_hash(requirements: Path = config.LAMBDA_REQUIREMENTS) -> str:
    """Hash of everything that decides the layer's content: requirements, platform, pruning."""
    digest = hashlib.sha256()
    digest.update(requirements.read_bytes())
    for part in (config.LAYER_PLATFORM, config.LAYER_PYTHON_VERSION, *config.LAYER_EXCLUDED_PACKAGES):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


def docker_command() -> list[str]:
    """The same build inside the SAM build image, for machines where local bundling fails."""
    removals = " ".join(f"/asset-output/python/{name} /asset-output/python/{name}-*" for name in _pruned())
    script = (
        "pip install --quiet -r /asset-input/requirements.txt -t /asset-output/python"
        f" && rm -rf {removals} /asset-output/python/bin"
        # The image's Python is the runtime's: ship its bytecode, since /opt is read-only in Lambda
        # and every cold start would otherwise compile the layer's ~1 MB of source.
        " && python -m compileall -q -j 0 --invalidation-mode unchecked-hash /asset-output/python"
    )
    return ["bash", "-c", script]


def _pruned() -> list[str]:
    # dateutil's distribution is python_dateutil-*; the others share their import name.
    names = list(config.LAYER_EXCLUDED_PACKAGES)
    return [*names, "python_dateutil", "six.py"]


def _prune(site: Path) -> None:
    for name in _pruned():
        for path in [site / name, *site.glob(f"{name}-*.dist-info")]:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    for junk in _JUNK_DIRS:
        shutil.rmtree(site / junk, ignore_errors=True)
    for cache in site.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def _compile_if_runtime_python(site: Path) -> None:
    """Ship bytecode when this interpreter is the runtime's version (bytecode is version-specific);
    otherwise the layer carries source only and Lambda compiles it at each cold start."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == config.LAYER_PYTHON_VERSION:
        compileall.compile_dir(
            str(site), quiet=1, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )


def _pip_install(requirements: Path, target: Path) -> None:
    # sys.executable, not "python3": the interpreter running the CDK app has pip and its config.
    options = {
        "--requirement": str(requirements),
        "--target": str(target),
        "--platform": config.LAYER_PLATFORM,
        "--implementation": "cp",
        "--python-version": config.LAYER_PYTHON_VERSION,
    }
    flags = ["--only-binary=:all:", "--disable-pip-version-check", "--quiet"]
    arguments = [item for pair in options.items() for item in pair]
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [sys.executable, "-m", "pip", "install", *arguments, *flags],
        check=True,
        capture_output=True,
        text=True,
    )


def build_layer_dir(requirements: Path = config.LAMBDA_REQUIREMENTS, cache_root: Path = config.LAYER_CACHE_DIR) -> Path:
    """Return the cached layer directory (containing ``python/``), building it if absent.

    The build happens in a temporary sibling directory that is renamed into place, so parallel
    synths (pytest-xdist) never see a half-built cache.
    """
    cached = cache_root / f"layer-{layer_hash(requirements)}"
    if (cached / "python").is_dir():
        return cached
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_root))
    try:
        _pip_install(requirements, staging / "python")
        _prune(staging / "python")
        _compile_if_runtime_python(staging / "python")
        try:
            staging.rename(cached)
        except OSError:
            if not (cached / "python").is_dir():  # lost a race only if the winner finished
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return cached


@jsii.implements(ILocalBundling)
class LocalLayerBundler:
    """jsii ``ILocalBundling``: build the layer with local pip; fall back to Docker on failure."""

    def __init__(
        self, requirements: Path = config.LAMBDA_REQUIREMENTS, cache_root: Path = config.LAYER_CACHE_DIR
    ) -> None:
        self._requirements = requirements
        self._cache_root = cache_root

    def try_bundle(self, output_dir: str, *_options: Any, **_keyword_options: Any) -> bool:
        # jsii passes the BundlingOptions struct positionally; this bundler needs none of it.
        try:
            source = build_layer_dir(self._requirements, self._cache_root)
        except subprocess.CalledProcessError as error:
            print(f"Local layer bundling failed: {error}\n{error.stderr}CDK will try Docker.", file=sys.stderr)
            return False
        except OSError as error:
            print(f"Local layer bundling failed: {error}. CDK will try Docker.", file=sys.stderr)
            return False
        shutil.copytree(source, output_dir, dirs_exist_ok=True)
        return True


__all__ = ["LocalLayerBundler", "build_layer_dir", "docker_command", "layer_hash"]
