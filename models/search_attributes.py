"""Search attributes of a case workflow. Registered when the server starts; no personal data."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

CASE_STATE = SearchAttributeKey.for_keyword("CaseState")
DEPARTMENT = SearchAttributeKey.for_keyword("Department")
CASE_KIND = SearchAttributeKey.for_keyword("CaseKind")
FISCAL_YEAR = SearchAttributeKey.for_int("FiscalYear")
NEXT_DEADLINE = SearchAttributeKey.for_datetime("NextDeadline")
PARKED_STEP = SearchAttributeKey.for_keyword("ParkedStep")

ALL = (CASE_STATE, DEPARTMENT, CASE_KIND, FISCAL_YEAR, NEXT_DEADLINE, PARKED_STEP)

_CLI_TYPE = {"KEYWORD": "Keyword", "INT": "Int", "DATETIME": "Datetime"}
CLI_FLAGS = [f"{key.name}={_CLI_TYPE[key.indexed_value_type.name]}" for key in ALL]
