"""Checks simulated answers against botocore's sagemaker output shapes."""

from __future__ import annotations

from typing import Any

import botocore.session
from botocore.validate import ParamValidator


class AnswerValidationError(AssertionError):
    """A simulated answer does not fit botocore's output shape: a bug in the simulator."""


class ShapeValidator:
    """Validates answers exactly as botocore's Stubber validates stubbed responses."""

    def __init__(self) -> None:
        self._model = botocore.session.get_session().get_service_model("sagemaker")
        self._validator = ParamValidator()

    def validate(self, operation: str, answer: dict[str, Any]) -> None:
        shape = self._model.operation_model(operation).output_shape
        report = self._validator.validate(answer, shape)
        if report.has_errors():
            raise AnswerValidationError(
                f"{operation} answer does not fit botocore's model:\n{report.generate_report()}"
            )
