"""The error the query parser refuses a monitor query with, for tests that read its parts."""

import pytest

from components.monitors.query import QueryError, parse_monitor_query


def query_error(query: str) -> QueryError:
    with pytest.raises(QueryError) as raised:
        parse_monitor_query(query)
    return raised.value
