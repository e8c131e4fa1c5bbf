"""The payload converter: pydantic JSON, and a payload that fails its model is InvalidPayload.

A caller that skips the edge (a raw client, another SDK) can send an update or a start whose
input breaks a model rule (``models.limits``). Pydantic's converter would raise a
``ValidationError``, which the SDK answers with an untyped "Failed decoding arguments" for an
update and a workflow task failing for ever for a start. Raised as an ``ApplicationError`` of
type ``InvalidPayload`` instead, the update is rejected with the fields and reasons (the edge's
translator turns it back into ``InvalidPayload``), a start fails its workflow at once, and an
activity's input fails without retries.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.exceptions import ApplicationError

from models.errors import ErrorType, describe_validation_error


class _ModelJSONConverter(PydanticJSONPlainPayloadConverter):
    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        try:
            return super().from_payload(payload, type_hint)
        except ValidationError as exc:
            raise ApplicationError(
                describe_validation_error(exc),
                type=ErrorType.InvalidPayload,
                non_retryable=True,
            ) from None


class ModelPayloadConverter(CompositePayloadConverter):
    """Pydantic's converter, with a model's refusal raised as ``InvalidPayload``."""

    def __init__(self) -> None:
        super().__init__(
            *(
                _ModelJSONConverter() if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )
