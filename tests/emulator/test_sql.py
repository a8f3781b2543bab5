"""The BP SQL compiler: literals never reach the SQL text, and any name round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogsync.emulator.billingplatform.schema import ENTITIES
from catalogsync.emulator.billingplatform.sql import QueryError, compile_query, compile_retrieve
from tests.conftest import examples
from tests.emulator.conftest import Api

EVIL = "x'); DROP TABLE PRODUCT; -- 100%_\\ Zoë"


def quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def test_literals_are_bound_parameters_never_sql_text() -> None:
    query = compile_query(
        f"SELECT Id FROM PRODUCT WHERE Name = {quoted(EVIL)} OR Name LIKE {quoted(EVIL)}",
        max_rows=10,
    )
    assert EVIL not in query.sql and "DROP" not in query.sql
    assert query.params.count(EVIL) == 2


def test_field_and_entity_names_come_from_the_schema() -> None:
    query = compile_query("select productid as p, NAME from package_product", max_rows=5)
    assert query.keys == ("p", "Name")
    assert 'FROM "PACKAGE_PRODUCT"' in query.sql and '"ProductId"' in query.sql
    assert query.sql.endswith("LIMIT 5 OFFSET 0")


def test_retrieve_where_parts_cannot_add_statements() -> None:
    entity = ENTITIES["PACKAGE"]
    with pytest.raises(QueryError):
        compile_retrieve(entity, "1=1; DELETE FROM PACKAGE", max_rows=10)
    query = compile_retrieve(entity, "Name = 'a' -- trailing comment", max_rows=10)
    assert query.params == ("a",)
    assert query.keys == entity.field_names


def test_any_name_round_trips_through_writes_and_queries(api: Api) -> None:
    seen: set[str] = set()

    @settings(max_examples=examples(75), deadline=None)
    @given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=30))
    def check(name: str) -> None:
        (result,) = api.upsert("PACKAGE", {"Name": name})
        assert result["success"] is True, result
        assert result["created"] is (name not in seen)
        seen.add(name)
        rows = api.rows(f"SELECT Id, Name FROM PACKAGE WHERE Name = {quoted(name)}")
        assert rows == [{"Id": str(result["Id"]), "Name": name}]
        like = name.replace("!", "!!").replace("%", "!%").replace("_", "!_")
        rows = api.rows(f"SELECT Name FROM PACKAGE WHERE Name LIKE {quoted(like)} ESCAPE '!'")
        assert rows == [{"Name": name}]

    check()
