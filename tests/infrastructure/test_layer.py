"""The dependency layer: built for the runtime (arm64, Amazon Linux 2023), from a lock with hashes."""

from __future__ import annotations

import functools
import itertools
import json
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from packaging.requirements import Requirement

from infra import config, layer_bundling, layer_lock, layer_platform
from infra.constructs import function as function_module

from .conftest import Synthesized

# The Lambda python3.13 runtime: Amazon Linux 2023 on arm64 (Graviton).
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html
RUNTIME_MARKERS = {
    "python_version": layer_platform.LAYER_PYTHON_VERSION,
    "python_full_version": f"{layer_platform.LAYER_PYTHON_VERSION}.0",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "platform_machine": "aarch64",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "os_name": "posix",
}
PROVIDED_BY_RUNTIME = {layer_lock.normalise(name) for name in layer_platform.LAYER_EXCLUDED_PACKAGES}


def _platforms(arguments: list[str]) -> list[str]:
    return [value for flag, value in itertools.pairwise(arguments) if flag == "--platform"]


def _lock_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = layer_platform.LAYER_LOCK.read_text()
    assert old in text
    changed = tmp_path / "layer.lock"
    changed.write_text(text.replace(old, new))
    return changed


def _layer_site(synthesized: Synthesized) -> Path:
    layer_id, _ = synthesized.only("AWS::Lambda::LayerVersion")
    return synthesized.asset_dir(layer_id) / "python"


def _installed(site: Path) -> dict[str, metadata.Distribution]:
    return {layer_lock.normalise(dist.metadata["Name"]): dist for dist in metadata.distributions(path=[str(site)])}


# --- What decides the layer ------------------------------------------------------------------------


def test_stack_builds_the_layer_from_the_lock_for_arm64(monkeypatch: pytest.MonkeyPatch) -> None:
    # Old behaviour caught: the asset hash came from lambdas/requirements.txt (a new release of a
    # transitive dependency changed the layer without changing its hash), and Docker bundling ran
    # the build image for the host's architecture.
    assets: list[dict[str, Any]] = []
    bundlings: list[dict[str, Any]] = []
    original_from_asset = function_module.lambda_.Code.from_asset

    def from_asset(path: str, **options: Any) -> Any:
        assets.append(options)
        return original_from_asset(path, **options)

    def bundling_options(**options: Any) -> cdk.BundlingOptions:
        bundlings.append(options)
        return cdk.BundlingOptions(**options)

    monkeypatch.setattr(function_module.lambda_.Code, "from_asset", staticmethod(from_asset))
    monkeypatch.setattr(function_module, "BundlingOptions", bundling_options)
    # When the layer is built into a stack
    function_module.build_dependencies_layer(cdk.Stack(cdk.App(), "LayerOnly"), "Layer")
    # Then its asset hash is the lock's, and Docker builds in an arm64 container
    assert [options["asset_hash"] for options in assets] == [layer_bundling.layer_hash(layer_platform.LAYER_LOCK)]
    assert assets[0]["asset_hash_type"] == cdk.AssetHashType.CUSTOM
    assert [options["platform"] for options in bundlings] == ["linux/arm64"]
    assert bundlings[0]["command"] == layer_bundling.docker_command()


def test_layer_hash_changes_when_any_locked_package_changes(tmp_path: Path) -> None:
    # Given the committed lock and a copy in which only a transitive dependency (wrapt, pulled in by
    # the X-Ray SDK) has another version: lambdas/requirements.txt is the same for both
    locked_wrapt = f"wrapt=={layer_lock.read_lock().pins['wrapt']}"
    changed = _lock_copy(tmp_path, locked_wrapt, "wrapt==0.0.1")
    # Then the layer hash differs, and the default hash is the committed lock's
    assert layer_bundling.layer_hash(changed) != layer_bundling.layer_hash(layer_platform.LAYER_LOCK)
    assert layer_bundling.layer_hash() == layer_bundling.layer_hash(layer_platform.LAYER_LOCK)
    # And a changed wheel hash alone (same version, rebuilt wheel) is a new layer too
    digest = layer_lock.read_lock().hashes["wrapt"][0]
    rebuilt = _lock_copy(tmp_path, digest, "0" * 64)
    assert layer_bundling.layer_hash(rebuilt) != layer_bundling.layer_hash(layer_platform.LAYER_LOCK)


# --- The pip command (local and Docker) --------------------------------------------------------------


def test_local_build_installs_exactly_the_locked_wheels_for_al2023_arm64(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Old behaviour caught: pip resolved lambdas/requirements.txt afresh (any new release of a
    # dependency got in unhashed) and accepted only manylinux2014_aarch64 wheels, so a dependency
    # published only as manylinux_2_28_aarch64 failed the local build although AL2023 runs it.
    commands: list[list[str]] = []

    def recording_pip(command: list[str], **_kwargs: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        target = Path(command[command.index("--target") + 1])
        (target / "example").mkdir(parents=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", recording_pip)
    lock = tmp_path / "layer.lock"
    lock.write_text("example==1.0 \\\n    --hash=sha256:" + "a" * 64 + "\n")
    # When the local bundler builds the layer
    layer_bundling.build_layer_dir(lock, tmp_path / "cache")
    # Then pip installs the lock, hash-checked, without resolving dependencies, binary wheels only
    (command,) = commands
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[command.index("--requirement") + 1] == str(lock)
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:"} <= set(command)
    assert command[command.index("--python-version") + 1] == "3.13"
    # And it accepts manylinux wheels up to AL2023's glibc 2.34, the legacy manylinux2014 tag included
    platforms = _platforms(command)
    expected = {"manylinux2014_aarch64", "manylinux_2_17_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"}
    assert expected <= set(platforms)
    assert "manylinux_2_35_aarch64" not in platforms
    assert all(platform.endswith("_aarch64") for platform in platforms)


def test_docker_build_runs_the_same_hash_checked_install_and_compiles() -> None:
    # Old behaviour caught: the image's pip resolved requirements.txt for whatever it was running on.
    script = layer_bundling.docker_command()[-1]
    install = shlex.split(script.split(" && ")[0])
    assert install[:4] == ["python", "-m", "pip", "install"]
    assert install[install.index("--requirement") + 1] == "/asset-input/layer.lock"
    assert install[install.index("--target") + 1] == "/asset-output/python"
    assert {"--require-hashes", "--no-deps", "--only-binary=:all:"} <= set(install)
    assert _platforms(install) == list(layer_platform.LAYER_PLATFORMS)
    assert "compileall" in script and "unchecked-hash" in script


# --- The lock ----------------------------------------------------------------------------------------


def test_lock_is_current_with_the_requirements() -> None:
    # Old behaviour caught: no lock; the layer's transitive versions were whatever PyPI had that day.
    # Given lambdas/requirements.txt (edited by people) and lambdas/layer.lock (written by make lock)
    lock = layer_lock.read_lock()
    # Then the lock was resolved from exactly these requirement lines (extras included)
    layer_lock.check_lock_matches()
    assert lock.inputs == layer_lock.requirement_lines(config.LAMBDA_REQUIREMENTS)
    # And every top-level pin is in the lock at the same version
    for name, version in layer_lock.top_level_pins(config.LAMBDA_REQUIREMENTS).items():
        assert lock.pins.get(name) == version, f"{name}=={version}: run `make lock`"


def test_lock_hashes_every_package_and_leaves_the_aws_sdk_to_the_runtime() -> None:
    lock = layer_lock.read_lock()
    assert lock.pins, "empty lock"
    for name in lock.pins:
        assert len(lock.hashes[name]) == 1, name
    assert not PROVIDED_BY_RUNTIME & set(lock.pins)


def test_synth_refuses_a_lock_older_than_the_requirements(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given requirements that ask for another Powertools version than the lock was resolved from
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(config.LAMBDA_REQUIREMENTS.read_text().replace("==", "==99.", 1))
    stale = functools.partial(layer_lock.check_lock_matches, requirements, layer_platform.LAYER_LOCK)
    monkeypatch.setattr(function_module, "check_lock_matches", stale)
    # When the stack builds its layer, Then synth stops and says how to fix it
    with pytest.raises(layer_lock.LockError, match="make lock"):
        function_module.build_dependencies_layer(cdk.Stack(cdk.App(), "LayerOnly"), "Layer")


def test_lock_is_written_from_the_pip_report_without_the_runtime_packages(tmp_path: Path) -> None:
    # Given a pip report (format 1) with an index wheel, a local wheel without a hash, and botocore
    local_wheel = tmp_path / "local_pkg-1.0-py3-none-any.whl"
    local_wheel.write_bytes(b"wheel bytes")
    report = {
        "version": "1",
        "install": [
            {
                "metadata": {"name": "Typing_Extensions", "version": "4.16.0"},
                "download_info": {"url": "https://x/t.whl", "archive_info": {"hashes": {"sha256": "b" * 64}}},
            },
            {"metadata": {"name": "local.pkg", "version": "1.0"}, "download_info": {"url": local_wheel.as_uri()}},
            {
                "metadata": {"name": "botocore", "version": "1.44.8"},
                "download_info": {"url": "https://x/b.whl", "archive_info": {"hashes": {"sha256": "c" * 64}}},
            },
        ],
    }
    # When the lock is rendered and read back
    wheels = layer_lock.wheels_from_report(json.loads(json.dumps(report)))
    lock_file = tmp_path / "layer.lock"
    lock_file.write_text(layer_lock.render_lock(("x[extra]==1",), wheels))
    lock = layer_lock.read_lock(lock_file)
    # Then names are normalised, the local wheel is hashed, and the AWS SDK is left out
    assert lock.pins == {"local-pkg": "1.0", "typing-extensions": "4.16.0"}
    assert lock.hashes["typing-extensions"] == ("b" * 64,)
    assert lock.hashes["local-pkg"] == ("67c0d8f7de19e30c2d5891030a0b37cbfcdd240852b53055c0b28290ad52290b",)
    assert lock.inputs == ("x[extra]==1",)
    # And a report wheel without any hash from a remote index is refused
    report["install"] = [{"metadata": {"name": "x", "version": "1"}, "download_info": {"url": "https://x/x.whl"}}]
    with pytest.raises(layer_lock.LockError, match="no sha256"):
        layer_lock.wheels_from_report(report)


# --- The built layer ---------------------------------------------------------------------------------


def test_layer_holds_the_dependencies_but_not_the_aws_sdk(synthesized: Synthesized) -> None:
    # Given the layer's bundled asset directory
    _, layer = synthesized.only("AWS::Lambda::LayerVersion")
    site = _layer_site(synthesized)
    # Then Powertools and the X-Ray SDK are there, for Python 3.13 on arm64
    assert (site / "aws_lambda_powertools").is_dir()
    assert (site / "aws_xray_sdk").is_dir()
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    # And nothing the Lambda runtime provides (it must not shadow the runtime's boto3)
    for provided in ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"):
        assert not (site / provided).exists(), provided
    assert not PROVIDED_BY_RUNTIME & set(_installed(site))


def test_layer_holds_exactly_the_locked_versions(synthesized: Synthesized) -> None:
    # Old behaviour caught: the layer held whatever pip resolved at build time.
    installed = _installed(_layer_site(synthesized))
    assert {name: dist.version for name, dist in installed.items()} == layer_lock.read_lock().pins


def test_layer_closure_is_complete_without_the_runtime_packages(synthesized: Synthesized) -> None:
    # What --no-deps risks: a lock missing a dependency would build a layer that fails at import in
    # Lambda. Walk the requirements from lambdas/requirements.txt (with their extras) through the
    # installed metadata, markers evaluated for python3.13 on Linux aarch64.
    installed = _installed(_layer_site(synthesized))
    pending = [Requirement(line) for line in layer_lock.requirement_lines(config.LAMBDA_REQUIREMENTS)]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement = pending.pop()
        name = layer_lock.normalise(requirement.name)
        key = (name, frozenset(requirement.extras))
        if name in PROVIDED_BY_RUNTIME or key in seen:
            continue
        seen.add(key)
        assert name in installed, f"{requirement} is needed but not in the layer: run `make lock`"
        assert requirement.specifier.contains(installed[name].version, prereleases=True), str(requirement)
        for line in installed[name].requires or []:
            needed = Requirement(line)
            extras = requirement.extras or {""}
            if needed.marker is None or any(needed.marker.evaluate({**RUNTIME_MARKERS, "extra": e}) for e in extras):
                pending.append(needed)
    assert ("aws-xray-sdk", frozenset()) in seen  # the tracer extra was followed


# --- The local cache and its fallbacks ---------------------------------------------------------------


def test_local_bundler_copies_from_the_cache_without_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a cache already holding the layer for this lock
    lock = tmp_path / "layer.lock"
    lock.write_text("example==1.0\n")
    cached = tmp_path / "cache" / f"layer-{layer_bundling.layer_hash(lock)}" / "python" / "example"
    cached.mkdir(parents=True)
    (cached / "__init__.py").write_text("")

    def no_pip(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("pip must not run on a cache hit")

    monkeypatch.setattr(subprocess, "run", no_pip)
    # When CDK asks the local bundler for the layer
    output = tmp_path / "out"
    bundled = layer_bundling.LocalLayerBundler(lock, tmp_path / "cache").try_bundle(str(output))
    # Then it succeeds by copying the cached directory
    assert bundled is True
    assert (output / "python" / "example" / "__init__.py").is_file()


def test_local_bundler_declines_when_pip_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no cache and a pip that fails (e.g. offline without a package index, or a hash mismatch)
    lock = tmp_path / "layer.lock"
    lock.write_text("example==1.0\n")

    def failing_pip(args: list[str], **_kwargs: object) -> None:
        raise subprocess.CalledProcessError(1, args, stderr="no index\n")

    monkeypatch.setattr(subprocess, "run", failing_pip)
    # When CDK asks the local bundler
    bundled = layer_bundling.LocalLayerBundler(lock, tmp_path / "cache").try_bundle(str(tmp_path / "o"))
    # Then it returns False (CDK falls back to Docker) and leaves no half-built cache entry
    assert bundled is False
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []


@pytest.mark.parametrize(("runtime_version", "compiled"), [("3.13", True), ("3.99", False)])
def test_layer_ships_bytecode_only_when_built_by_the_runtime_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime_version: str, compiled: bool
) -> None:
    # Given a built layer and a runtime version that does or does not match this interpreter
    site = tmp_path / "python" / "example"
    site.mkdir(parents=True)
    (site / "__init__.py").write_text("VALUE = 1\n")
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    monkeypatch.setattr(layer_bundling.layer_platform, "LAYER_PYTHON_VERSION", here if compiled else runtime_version)
    # When the bundler finishes the layer
    layer_bundling._compile_if_runtime_python(tmp_path / "python")
    # Then bytecode is shipped only for a matching interpreter (bytecode is version-specific)
    assert any(site.glob("__pycache__/*.pyc")) is compiled
