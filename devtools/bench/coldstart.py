"""Cold start of the archiver: import the handler and build its first boto3 clients, in fresh processes.

Each sample is a new `python -S` process whose sys.path holds only what the Lambda execution
environment holds: the function asset (`lambdas/`, without `__pycache__`, as CDK zips it), the
dependency layer's packages (the venv's builds of the same pinned versions, without `__pycache__`,
as `infra/layer_bundling.py` prunes them) and the runtime's boto3 stack (which ships compiled). No
bytecode is written (`PYTHONDONTWRITEBYTECODE=1`): /var/task and /opt are read-only in Lambda, so
every cold start compiles what was shipped as source. The environment is the stack's (table, bucket,
topic, queue, Powertools) plus the runtime's (LAMBDA_TASK_ROOT, AWS_LAMBDA_FUNCTION_NAME, ...), with
fake credentials and AWS_ENDPOINT_URL on an unused local port: creating a client makes no call.

Product: `from automl_archive.handlers import archiver; archiver.build_archiver()` then the clients
the first record creates (SageMaker, DynamoDB, S3). Floor: `import boto3` and the same three clients
with the same botocore Config. Samples alternate product/floor so drift hits both. A second product
variant ships bytecode (compiled ahead, as a packaging fix would) to show what the packaging costs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from automl_archive.contracts.metric_names import METRICS_NAMESPACE, SERVICE_NAME
from automl_archive.contracts.settings import ArchiverSettings
from devtools.bench.common import LAMBDAS_DIR, median, percentile

RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")
DEFAULT_LAYER_PACKAGES = ("aws_lambda_powertools", "aws_xray_sdk", "wrapt", "typing_extensions.py")
LAYER_CACHE = Path.home() / ".cache" / "automl-archive"

_TIMER = "import time, resource\n_t0 = time.perf_counter()\n"
_REPORT = (
    "\nimport json\nprint(json.dumps({'ms': (time.perf_counter() - _t0) * 1000, "
    "'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n"
)
PRODUCT_CODE = (
    _TIMER
    + "from automl_archive.handlers import archiver\n"
    + "wired = archiver.build_archiver()\n"
    # The clients a first record creates (dal/aws/ creates each on first use): describe, load, write.
    + "for dal in (wired._sagemaker, wired._store, wired._archive):\n    dal.connect()\n"
    + _REPORT
)
FLOOR_CODE = (
    _TIMER
    + "import boto3\nfrom botocore.config import Config\n"
    + "timeouts = {'connect_timeout': 5, 'read_timeout': 20}\n"
    + "boto3.client('sagemaker', config=Config(retries={'mode': 'adaptive', 'max_attempts': 8}, **timeouts))\n"
    + "boto3.client('dynamodb', config=Config(retries={'mode': 'standard', 'max_attempts': 4}, **timeouts))\n"
    + "boto3.client('s3', config=Config(retries={'mode': 'standard', 'max_attempts': 4}, **timeouts))\n"
    + _REPORT
)


def site_packages() -> Path:
    import boto3  # noqa: PLC0415 - only to locate the installed packages

    return Path(boto3.__file__).resolve().parent.parent


def layer_dir() -> Path | None:
    """The newest built layer under ~/.cache/automl-archive/layer-*/python (None if never built)."""
    built = [path / "python" for path in LAYER_CACHE.glob("layer-*") if (path / "python").is_dir()]
    return max(built, key=lambda path: path.stat().st_mtime) if built else None


def layer_packages(layer: Path | None) -> list[str]:
    if layer is None:
        return list(DEFAULT_LAYER_PACKAGES)
    names = []
    for entry in sorted(layer.iterdir()):
        if entry.name.endswith((".dist-info", "-stubs")) or entry.name.startswith((".", "_")):
            continue
        if entry.is_dir() or entry.suffix == ".py":
            names.append(entry.name)
    return names


def build_environment_tree(root: Path, layer: Path | None) -> dict[str, Path]:
    """task/ (the asset), opt/python/ (the layer's packages), runtime/ (boto3 & co, compiled)."""
    site = site_packages()
    task, opt, runtime = root / "task", root / "opt" / "python", root / "runtime"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(LAMBDAS_DIR, task, ignore=ignore)
    opt.mkdir(parents=True)
    for name in layer_packages(layer):
        source = site / name
        if source.is_dir():
            shutil.copytree(source, opt / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, opt / name)
    runtime.mkdir()
    for name in RUNTIME_PACKAGES:
        if (site / name).exists():
            (runtime / name).symlink_to(site / name)
    return {"task": task, "opt": opt, "runtime": runtime}


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def lambda_environment(paths: dict[str, Path], home: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "PYTHONPATH": os.pathsep.join(str(paths[key]) for key in ("task", "opt", "runtime")),
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{unused_port()}",
        # What the Lambda runtime sets
        "LAMBDA_TASK_ROOT": str(paths["task"]),
        "LAMBDA_RUNTIME_DIR": str(paths["runtime"]),
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_LAMBDA_FUNCTION_NAME": "AutoMLJobArchive-Archiver",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "_HANDLER": "automl_archive.handlers.archiver.lambda_handler",
        # What the stack sets (the archiver's settings model writes it, as infra/constructs/archiver.py does)
        **ArchiverSettings(
            jobs_table_name="AutoMLJobArchive-Jobs",
            archive_bucket_name="automljobarchive-archive",
            alerts_topic_arn="arn:aws:sns:us-east-1:123456789012:AutoMLJobArchive-Alerts",
        ).to_environment(),
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def sample(code: str, environment: dict[str, str], cwd: Path) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-S", "-c", code], env=environment, cwd=cwd, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"cold-start sample failed:\n{completed.stderr[-3000:]}")
    result: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def compile_tree(*directories: Path) -> None:
    """Bytecode next to the sources, as a build step would ship it (unchecked: zips lose mtimes)."""
    import compileall  # noqa: PLC0415
    import py_compile  # noqa: PLC0415

    for directory in directories:
        compileall.compile_dir(
            directory, quiet=2, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH, workers=1
        )


def measure(samples: int) -> dict[str, Any]:
    layer = layer_dir()
    with tempfile.TemporaryDirectory(prefix="bench-coldstart-") as temporary:
        root = Path(temporary)
        paths = build_environment_tree(root / "env", layer)
        home = root / "home"
        home.mkdir()
        environment = lambda_environment(paths, home)
        for _ in range(2):  # warm the page cache for both, untimed
            sample(PRODUCT_CODE, environment, root)
            sample(FLOOR_CODE, environment, root)
        product, floor, rss_product, rss_floor = [], [], [], []
        for _ in range(samples):
            first = sample(PRODUCT_CODE, environment, root)
            second = sample(FLOOR_CODE, environment, root)
            product.append(first["ms"])
            floor.append(second["ms"])
            rss_product.append(first["maxrss_kb"])
            rss_floor.append(second["maxrss_kb"])
        compile_tree(paths["task"], paths["opt"])
        compiled, compiled_floor = [], []
        for _ in range(samples):
            compiled.append(sample(PRODUCT_CODE, environment, root)["ms"])
            compiled_floor.append(sample(FLOOR_CODE, environment, root)["ms"])
    return {
        "samples": samples,
        "layer_dir": str(layer) if layer else None,
        "layer_packages": layer_packages(layer),
        "product_ms": {"median": median(product), "p90": percentile(product, 0.9), "all": product},
        "floor_ms": {"median": median(floor), "p90": percentile(floor, 0.9), "all": floor},
        "compiled_product_ms": {"median": median(compiled), "p90": percentile(compiled, 0.9), "all": compiled},
        "compiled_floor_ms": {
            "median": median(compiled_floor),
            "p90": percentile(compiled_floor, 0.9),
            "all": compiled_floor,
        },
        "rss_product_kb": median(rss_product),
        "rss_floor_kb": median(rss_floor),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    result = measure(args.samples)
    result["seconds"] = time.perf_counter() - began
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
