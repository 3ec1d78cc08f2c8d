"""Plain Python values to DynamoDB attribute values and back, within DynamoDB's number limits."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from automl_archive.models.record import NUMERIC_JOB_RECORD_COLUMNS


def absent(value: Any) -> bool:
    """None and empty collections are not stored (DynamoDB rejects empty sets)."""
    return value is None or (isinstance(value, list | tuple | set | frozenset) and not value)


# DynamoDB numbers: at most 38 significant digits, magnitude 1E-130 to 9.99...E+125 (or zero); anything
# else is a ValidationException. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number
DYNAMO_NUMBER_MAX_DIGITS = 38
DYNAMO_NUMBER_MIN_EXPONENT = -130
DYNAMO_NUMBER_MAX_EXPONENT = 125


def dynamo_number(value: int | float | Decimal | str) -> str | None:
    """The number as DynamoDB's N text, or None when DynamoDB cannot hold it (range, precision, NaN)."""
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if number.is_zero():
        return "0"
    significant = "".join(map(str, number.as_tuple().digits)).strip("0")  # DynamoDB trims both ends
    if len(significant) > DYNAMO_NUMBER_MAX_DIGITS:
        return None
    if not DYNAMO_NUMBER_MIN_EXPONENT <= number.adjusted() <= DYNAMO_NUMBER_MAX_EXPONENT:
        return None
    return repr(value) if isinstance(value, float) else str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def storable_summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A top-level number DynamoDB cannot hold (a metric of 1e-200, say) is stored as null plus its text
    in `<name>_text`; the `_text` attribute of a number that fits (or is absent) is removed, so it never
    outlives the state it came from. The S3 record and the raw answer keep the value exactly."""
    storable: dict[str, Any] = {}
    for name, value in summary.items():
        storable[name] = value
        if name in NUMERIC_JOB_RECORD_COLUMNS or _is_number(value):
            unstorable = value is not None and dynamo_number(value) is None
            storable[name] = None if unstorable else value
            storable[f"{name}_text"] = repr(value) if unstorable else None
    return storable


def to_dynamo(value: Any) -> dict[str, Any]:
    """Marshal the plain values the archiver stores (no floats lost to Decimal conversions); a nested
    number DynamoDB cannot hold is kept as its text."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        text = dynamo_number(value)
        return {"N": text} if text is not None else {"S": repr(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, frozenset | set):
        return {"SS": sorted(value)}
    if isinstance(value, list | tuple):
        return {"L": [to_dynamo(item) for item in value]}
    if isinstance(value, dict):
        return {"M": {key: to_dynamo(item) for key, item in value.items() if item is not None}}
    if value is None:
        return {"NULL": True}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def from_dynamo(item: dict[str, Any]) -> dict[str, Any]:
    return {name: _from_attribute(value) for name, value in item.items()}


def _from_attribute(value: dict[str, Any]) -> Any:
    ((kind, raw),) = value.items()
    if kind == "N":
        # Integers stay exact: the state ordering key is wider than a float's 53-bit mantissa.
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == "L":
        return [_from_attribute(item) for item in raw]
    if kind == "M":
        return from_dynamo(raw)
    if kind == "NULL":
        return None
    if kind == "SS":
        return set(raw)
    return raw
