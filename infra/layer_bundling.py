"""Builds the functions' dependency layer from ``lambdas/layer.lock``, on this machine or in Docker.

CDK calls :meth:`LocalLayerBundler.try_bundle` before it would start the Docker image of
``BundlingOptions``. Both paths run the same ``pip install``: exactly the wheels the lock names, checked
against its sha256 hashes, nothing else (``--require-hashes --no-deps``), for the Lambda runtime's
platform (CPython 3.13, manylinux aarch64 up to glibc 2.34, binary wheels only), into
``<output>/python``. The lock leaves out the AWS SDK the runtime provides (see ``infra/layer_lock.py``).
The local build is kept under ``~/.cache/automl-archive/layer-<hash>/`` so that the next synth (tests
synthesise many times) copies the directory instead of calling pip.
"""

from __future__ import annotations

import compileall
import hashlib
import py_compile
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import ILocalBundling

from infra import config, layer_platform

# Files pip leaves behind that the layer does not need.
_JUNK_DIRS = ("bin", "__pycache__")
# Where CDK mounts the asset source (lambdas/) and collects the output in the bundling container.
_DOCKER_INPUT = "/asset-input"
_DOCKER_OUTPUT = "/asset-output"


def platform_arguments() -> list[str]:
    """pip options that pick the wheels the Lambda runtime can load, whatever machine pip runs on."""
    platforms = [item for platform in layer_platform.LAYER_PLATFORMS for item in ("--platform", platform)]
    interpreter = ["--implementation", "cp", "--python-version", layer_platform.LAYER_PYTHON_VERSION]
    return ["--only-binary=:all:", *interpreter, *platforms]


def pip_install_arguments(lock: str, target: str) -> list[str]:
    """``pip`` arguments installing exactly the locked wheels into ``target`` (local and Docker builds).

    ``--require-hashes``: a wheel whose bytes differ from the lock fails the build. ``--no-deps``: the
    lock is the whole closure already, and pip must not add back the AWS SDK the lock leaves out. The
    platform options apply in Docker too, so that the image's pip picks the very wheel the lock hashed
    (on its own it might prefer another build of the same version).
    """
    return [
        "install",
        "--requirement",
        lock,
        "--target",
        target,
        "--require-hashes",
        "--no-deps",
        *platform_arguments(),
        "--disable-pip-version-check",
        "--quiet",
    ]


def layer_hash(lock: Path = layer_platform.LAYER_LOCK) -> str:
    """Hash of everything that decides the layer's content: the lock's bytes (every resolved version and
    wheel hash), the target platform and the packages left to the runtime."""
    digest = hashlib.sha256()
    digest.update(lock.read_bytes())
    for part in (
        layer_platform.LAYER_PYTHON_VERSION,
        *layer_platform.LAYER_PLATFORMS,
        *layer_platform.LAYER_EXCLUDED_PACKAGES,
    ):
        digest.update(b"\0" + part.encode())
    return digest.hexdigest()


def docker_command(lock: Path = layer_platform.LAYER_LOCK) -> list[str]:
    """The same build inside the SAM build image, for machines where local bundling fails."""
    site = f"{_DOCKER_OUTPUT}/python"
    # The container sees the asset source, lambdas/, at /asset-input: the lock must live there.
    mounted_lock = f"{_DOCKER_INPUT}/{lock.relative_to(config.LAMBDAS_DIR).as_posix()}"
    install = ["python", "-m", "pip", *pip_install_arguments(mounted_lock, site)]
    script = (
        f"{shlex.join(install)} && rm -rf {site}/bin"
        # The image's Python is the runtime's: ship its bytecode, since /opt is read-only in Lambda
        # and every cold start would otherwise compile the layer's ~1 MB of source.
        f" && python -m compileall -q -j 0 --invalidation-mode unchecked-hash {site}"
    )
    return ["bash", "-c", script]


def _remove_junk(site: Path) -> None:
    for junk in _JUNK_DIRS:
        shutil.rmtree(site / junk, ignore_errors=True)
    for cache in site.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def _compile_if_runtime_python(site: Path) -> None:
    """Ship bytecode when this interpreter is the runtime's version (bytecode is version-specific);
    otherwise the layer carries source only and Lambda compiles it at each cold start."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == layer_platform.LAYER_PYTHON_VERSION:
        compileall.compile_dir(
            str(site), quiet=1, workers=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )


def _pip_install(lock: Path, target: Path) -> None:
    # sys.executable, not "python3": the interpreter running the CDK app has pip and its config.
    subprocess.run(  # noqa: S603 - fixed argument list, no shell
        [sys.executable, "-m", "pip", *pip_install_arguments(str(lock), str(target))],
        check=True,
        capture_output=True,
        text=True,
    )


def build_layer_dir(lock: Path = layer_platform.LAYER_LOCK, cache_root: Path = layer_platform.LAYER_CACHE_DIR) -> Path:
    """Return the cached layer directory (containing ``python/``), building it if absent.

    The build happens in a temporary sibling directory that is renamed into place, so parallel
    synths (pytest-xdist) never see a half-built cache.
    """
    cached = cache_root / f"layer-{layer_hash(lock)}"
    if (cached / "python").is_dir():
        return cached
    cache_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".building-", dir=cache_root))
    try:
        _pip_install(lock, staging / "python")
        _remove_junk(staging / "python")
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
        self, lock: Path = layer_platform.LAYER_LOCK, cache_root: Path = layer_platform.LAYER_CACHE_DIR
    ) -> None:
        self._lock = lock
        self._cache_root = cache_root

    def try_bundle(self, output_dir: str, *_options: Any, **_keyword_options: Any) -> bool:
        # jsii passes the BundlingOptions struct positionally; this bundler needs none of it.
        try:
            source = build_layer_dir(self._lock, self._cache_root)
        except subprocess.CalledProcessError as error:
            print(f"Local layer bundling failed: {error}\n{error.stderr}CDK will try Docker.", file=sys.stderr)
            return False
        except OSError as error:
            print(f"Local layer bundling failed: {error}. CDK will try Docker.", file=sys.stderr)
            return False
        shutil.copytree(source, output_dir, dirs_exist_ok=True)
        return True


__all__ = [
    "LocalLayerBundler",
    "build_layer_dir",
    "docker_command",
    "layer_hash",
    "pip_install_arguments",
    "platform_arguments",
]
