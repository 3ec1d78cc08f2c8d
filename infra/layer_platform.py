"""The platform the dependency layer is built for, and where its lock lives."""

from __future__ import annotations

from pathlib import Path

from infra.config import LAMBDAS_DIR

# python3.13 runs on Amazon Linux 2023 (https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html),
# whose C library is glibc 2.34 (https://docs.aws.amazon.com/linux/al2023/ug/core-glibc.html): any
# manylinux wheel for glibc 2.17 to 2.34 runs there. Newest first, as pip prefers on the machine itself.
LAYER_PYTHON_VERSION = "3.13"
LAYER_PLATFORMS = (
    *(f"manylinux_2_{minor}_aarch64" for minor in range(34, 16, -1)),
    "manylinux2014_aarch64",  # the legacy alias of manylinux_2_17: some wheels carry only this tag
)
LAYER_DOCKER_PLATFORM = "linux/arm64"  # the functions' architecture (ARM_64)
LAYER_BUILD_IMAGE = "public.ecr.aws/sam/build-python3.13"
# Distributions the Lambda runtime already provides (the AWS SDK and its dependencies): left out of
# the lock, so the layer never shadows the runtime's boto3.
LAYER_EXCLUDED_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "urllib3", "six")
# The whole dependency closure for LAYER_PLATFORMS with sha256 hashes, written by `make lock`.
LAYER_LOCK = LAMBDAS_DIR / "layer.lock"
LAYER_CACHE_DIR = Path.home() / ".cache" / "automl-archive"
