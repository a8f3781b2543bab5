"""BP SQL (the BillingPlatform query language) compiled to parameterised SQLite.

sqlglot parses the text with its Oracle dialect (BP SQL is Oracle-flavoured: `''` inside
literals, `OFFSET n ROWS FETCH NEXT m ROWS ONLY`). The tree is then checked against the
subset real clients use and compiled by hand: field and entity names come only from the
schema, and every literal becomes a bound parameter, so no value (quotes, `--`, `;`, `%`,
`_`, backslashes, non-ASCII) can change what a query means. Anything outside the subset is
a `QueryError` (HTTP 400).

Supported: `SELECT field [AS alias], ... FROM ENTITY [alias] [WHERE ...] [ORDER BY field
[ASC|DESC] [NULLS FIRST|LAST], ...] [OFFSET n ROWS] [FETCH {NEXT|FIRST} m ROWS ONLY]`, with
= <> != < <= > >= [NOT] IN (...) IS [NOT] NULL [NOT] LIKE [ESCAPE] [NOT] BETWEEN, AND, OR,
NOT and parentheses. Keywords, entity and field names are case-insensitive.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from catalogsync.emulator.billingplatform.schema import Entity, Field, Kind, entity_named
from catalogsync.emulator.billingplatform.values import wire_sql
from catalogsync.emulator.sqlite import sql_literal, sql_name

__all__ = ["CompiledQuery", "QueryError", "compile_query", "compile_retrieve"]

Param = str | int | float | None

_SELECT_CLAUSES = frozenset({"expressions", "from", "from_", "where", "order", "offset", "limit"})
_COMPARISONS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}

#: Every argument a supported condition node may carry (`negate` is NOT LIKE).
_CONDITION_ARGS = frozenset({"this", "expression", "expressions", "low", "high", "negate"})


class QueryError(ValueError):
    """The SQL is not valid BP SQL, or uses something the emulator does not support."""


@dataclass(frozen=True)
class CompiledQuery:
    """SQLite text and parameters for one query, and the response key of each column.

    Every column it selects is already the wire text (`values.wire_sql`). `json_sql` is the
    same query selecting each row as its JSON object text instead (SQLite builds it, in C:
    `Database.run_query_json`), or None when no such text can be the answer's (two columns
    with one key, which a dict row folds into one)."""

    entity: Entity
    keys: tuple[str, ...]
    sql: str
    params: tuple[Param, ...]
    json_sql: str | None = None


def compile_query(text: str, *, max_rows: int) -> CompiledQuery:
    """Compile a full `SELECT` (the `/query` endpoint); at most `max_rows` rows."""
    select = _parse(text)
    entity, alias = _entity_of(select)
    return _Compiler(entity, alias).compile(select, max_rows=max_rows, all_fields=False)


def compile_retrieve(entity: Entity, where: str, *, max_rows: int) -> CompiledQuery:
    """Compile a retrieve's `queryAnsiSql` ("the SQL WHERE part") into a whole-record query."""
    # The entity name comes from the schema, and the combined text is parsed and checked
    # like any query, so a WHERE part cannot smuggle in another statement or clause.
    text = f"SELECT Id FROM {entity.name}" + (f" WHERE {where}" if where.strip() else "")
    select = _parse(text)
    found, alias = _entity_of(select)
    return _Compiler(found, alias).compile(select, max_rows=max_rows, all_fields=True)


def _parse(text: str) -> exp.Select:
    try:
        statements = [s for s in sqlglot.parse(text, read="oracle") if s is not None]
    except ParseError as exc:
        detail = exc.errors[0].get("description") if exc.errors else str(exc)
        raise QueryError(f"cannot parse the SQL: {detail}") from None
    except SqlglotError as exc:
        raise QueryError(f"cannot parse the SQL: {exc}") from None
    if len(statements) != 1:
        raise QueryError("send exactly one SELECT statement")
    select = statements[0]
    if not isinstance(select, exp.Select):
        raise QueryError(f"only SELECT is supported, not {select.key.upper()}")
    for clause, value in select.args.items():
        if value and clause not in _SELECT_CLAUSES:
            raise QueryError(f"unsupported clause: {clause.upper()}")
    return select


def _entity_of(select: exp.Select) -> tuple[Entity, str]:
    source = select.args.get("from_") or select.args.get("from")
    table = source.this if isinstance(source, exp.From) else None
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        raise QueryError("FROM must name one entity")
    extra = [k for k, v in table.args.items() if v and k not in ("this", "alias")]
    if extra:
        raise QueryError(f"unsupported FROM clause: {table.sql(dialect='oracle')}")
    entity = entity_named(table.name)
    if entity is None:
        raise QueryError(f"unknown entity: {table.name}")
    return entity, table.alias


def _count_of(select: exp.Select) -> str | None:
    """The response key of a lone `COUNT(field)` / `COUNT(*)` select item (its alias, as
    written; aggregates take aliases without AS, per the vendor's query-language page), or
    None when the select list is not one COUNT. Other aggregates are not supported."""
    if len(select.expressions) != 1:
        return None
    node = select.expressions[0]
    target = node.this if isinstance(node, exp.Alias) else node
    if not isinstance(target, exp.Count):
        return None
    if select.args.get("order") or select.args.get("offset") or select.args.get("limit"):
        raise QueryError("COUNT takes no ORDER BY, OFFSET or FETCH here")
    return node.alias if isinstance(node, exp.Alias) else target.sql(dialect="oracle")


@dataclass(frozen=True)
class _Operand:
    """A compiled-to-be operand: a field reference, or a literal (kept as written)."""

    field: Field | None = None
    value: Param = None
    number: float | None = None  # the literal's numeric value, when it has one


def _compiled(
    entity: Entity, keys: tuple[str, ...], columns: list[str], rest: list[str], params: list[Param]
) -> CompiledQuery:
    """The query selecting `columns` (SQLite expressions) as wire text under `keys`, and its
    `json_sql`; `rest` is the FROM clause onwards."""
    tail = " ".join(rest)
    values = [wire_sql(column) for column in columns]
    sql = f"SELECT {', '.join(values)} {tail}"
    json_sql = None
    if len(set(keys)) == len(keys) and not any("\0" in key for key in keys):
        # json_object escapes keys and values as json.dumps(ensure_ascii=False) does (every
        # code point; tests/emulator/test_query.py pins the bytes); the keys are literals.
        pairs = ", ".join(
            f"{sql_literal(key)}, {value}" for key, value in zip(keys, values, strict=True)
        )
        json_sql = f"SELECT json_object({pairs}) {tail}"
    return CompiledQuery(entity, keys, sql, tuple(params), json_sql)


class _Compiler:
    """Compiles one checked SELECT; collects bound parameters as it goes."""

    def __init__(self, entity: Entity, alias: str) -> None:
        self.entity = entity
        self.qualifiers = {entity.name.lower(), alias.lower()} - {""}
        self.params: list[Param] = []

    def compile(self, select: exp.Select, *, max_rows: int, all_fields: bool) -> CompiledQuery:
        count = None if all_fields else _count_of(select)
        if count is not None:
            return self._count(select, count)
        columns = [(f.name, f) for f in self.entity.fields] if all_fields else self._columns(select)
        sql = [f"FROM {sql_name(self.entity.name)}"]
        where = select.args.get("where")
        if where is not None:
            sql.append("WHERE " + self._condition(where.this))
        sql.append("ORDER BY " + self._order(select, dict(columns)))
        offset, fetch = _paging(select)
        limit = max_rows if fetch is None else min(fetch, max_rows)
        sql.append(f"LIMIT {int(limit)} OFFSET {int(offset)}")
        keys = tuple(key for key, _ in columns)
        return _compiled(self.entity, keys, [_quote(f) for _, f in columns], sql, self.params)

    def _count(self, select: exp.Select, key: str) -> CompiledQuery:
        """`SELECT COUNT(field) [alias] FROM ENTITY [WHERE ...]`: one row, the count."""
        sql = [f"FROM {sql_name(self.entity.name)}"]
        where = select.args.get("where")
        if where is not None:
            sql.append("WHERE " + self._condition(where.this))
        return _compiled(self.entity, (key,), ["COUNT(*)"], sql, self.params)

    # -- SELECT list and ORDER BY --------------------------------------------------------

    def _columns(self, select: exp.Select) -> list[tuple[str, Field]]:
        columns: list[tuple[str, Field]] = []
        for node in select.expressions:
            if isinstance(node, exp.Alias) and isinstance(node.this, exp.Column):
                columns.append((node.alias, self._field(node.this)))  # alias as written
            elif isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
                field = self._field(node)
                columns.append((field.name, field))  # canonical casing, whatever was sent
            elif isinstance(node, exp.Star) or (
                isinstance(node, exp.Column) and isinstance(node.this, exp.Star)
            ):
                raise QueryError("SELECT * is not supported; name the fields")
            else:
                raise QueryError(f"unsupported select expression: {node.sql(dialect='oracle')}")
        return columns

    def _order(self, select: exp.Select, aliases: dict[str, Field]) -> str:
        by_alias = {key.lower(): field for key, field in aliases.items()}
        terms: list[str] = []
        order = select.args.get("order")
        for item in order.expressions if order is not None else []:
            node = item.this
            if not isinstance(node, exp.Column):
                raise QueryError(f"ORDER BY takes field names, not {node.sql(dialect='oracle')}")
            alias_field = None if node.table else by_alias.get(node.name.lower())
            field = alias_field or self._field(node)
            direction = "DESC" if item.args.get("desc") else "ASC"
            # sqlglot fills in Oracle's default: NULLs sort as if larger than any value.
            nulls = "NULLS FIRST" if item.args.get("nulls_first") else "NULLS LAST"
            terms.append(f"{self._column_sql(field, numeric=True)} {direction} {nulls}")
        # [INFERRED] Id breaks ties (and is the order without ORDER BY), so paging with
        # OFFSET/FETCH never skips or repeats a row.
        terms.append('"Id" ASC')
        return ", ".join(terms)

    # -- WHERE ---------------------------------------------------------------------------

    def _condition(self, node: exp.Expression) -> str:
        # Reject arguments this compiler does not understand (a future sqlglot may add
        # some), rather than silently dropping them and changing the meaning.
        extra = [k for k, v in node.args.items() if v and k not in _CONDITION_ARGS]
        if extra:
            raise QueryError(f"unsupported condition: {node.sql(dialect='oracle')}")
        if isinstance(node, exp.Paren):
            return f"({self._condition(node.this)})"
        if isinstance(node, exp.And | exp.Or):
            op = "AND" if isinstance(node, exp.And) else "OR"
            return f"({self._condition(node.this)} {op} {self._condition(node.expression)})"
        if isinstance(node, exp.Not):
            return f"NOT ({self._condition(node.this)})"
        if type(node) in _COMPARISONS:
            return self._comparison(node.this, node.expression, _COMPARISONS[type(node)])
        if isinstance(node, exp.Between):
            low = self._comparison(node.this, node.args["low"], ">=")
            high = self._comparison(node.this, node.args["high"], "<=")
            return f"({low} AND {high})"
        if isinstance(node, exp.In):
            return self._in(node)
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            return f"{self._sql(self._operand(node.this), numeric=False)} IS NULL"
        if isinstance(node, exp.Like):
            return self._like(node, None)
        if isinstance(node, exp.Escape) and isinstance(node.this, exp.Like):
            return self._like(node.this, node.expression)
        raise QueryError(f"unsupported condition: {node.sql(dialect='oracle')}")

    def _comparison(self, left: exp.Expression, right: exp.Expression, op: str) -> str:
        lhs, rhs = self._operand(left), self._operand(right)
        numeric = _numeric(lhs, rhs)
        return f"{self._sql(lhs, numeric)} {op} {self._sql(rhs, numeric)}"

    def _in(self, node: exp.In) -> str:
        subject = self._operand(node.this)
        values = [self._operand(v) for v in node.expressions]
        if not values or any(v.field is not None for v in values):
            raise QueryError("IN takes a non-empty list of literal values")
        numeric = all(_numeric(subject, v) for v in values)
        listed = ", ".join(self._sql(v, numeric) for v in values)
        return f"{self._sql(subject, numeric)} IN ({listed})"

    def _like(self, node: exp.Like, escape: exp.Expression | None) -> str:
        subject = self._operand(node.this)
        pattern = self._operand(node.expression)
        escaped = self._operand(escape) if escape is not None else _Operand()
        if not isinstance(pattern.value, str) or pattern.field is not None:
            raise QueryError("LIKE takes a quoted pattern")
        if escape is not None and not (isinstance(escaped.value, str) and len(escaped.value) == 1):
            raise QueryError("ESCAPE takes a single quoted character")
        # bp_like (registered on the connection) gives Oracle's case-sensitive LIKE,
        # including for non-ASCII text, which SQLite's own LIKE folds only for ASCII.
        like = (
            f"bp_like({self._sql(subject, numeric=False)}, "
            f"{self._bind(pattern.value)}, {self._bind(escaped.value)})"
        )
        return f"NOT ({like})" if node.args.get("negate") else like

    # -- operands ------------------------------------------------------------------------

    def _operand(self, node: exp.Expression) -> _Operand:
        if isinstance(node, exp.Column):
            return _Operand(field=self._field(node))
        if isinstance(node, exp.Null):
            return _Operand()
        negative = isinstance(node, exp.Neg)
        literal = node.this if negative else node
        if not isinstance(literal, exp.Literal) or (negative and literal.is_string):
            raise QueryError(f"unsupported value: {node.sql(dialect='oracle')}")
        text = str(literal.this)
        if literal.is_string:
            return _Operand(value=text, number=_number_in(text))
        number = Decimal(("-" if negative else "") + text)
        value: Param = int(number) if number == number.to_integral_value() else float(number)
        return _Operand(value=value, number=float(number))

    def _sql(self, operand: _Operand, numeric: bool) -> str:
        if operand.field is not None:
            return self._column_sql(operand.field, numeric)
        if numeric:
            return self._bind(operand.number)
        return self._bind(operand.value)

    def _column_sql(self, field: Field, numeric: bool) -> str:
        # DECIMAL fields keep their text exactly ("10.50"), so numeric comparison and
        # ordering go through a cast.
        if numeric and field.kind is Kind.DECIMAL:
            return f"CAST({_quote(field)} AS REAL)"
        return _quote(field)

    def _bind(self, value: Param) -> str:
        self.params.append(value)
        return "?"

    def _field(self, column: exp.Column) -> Field:
        if column.args.get("db") or column.args.get("catalog"):
            raise QueryError(f"unsupported field path: {column.sql(dialect='oracle')}")
        if column.table and column.table.lower() not in self.qualifiers:
            raise QueryError(
                f"unsupported field path: {column.sql(dialect='oracle')} "
                "(relationship paths and joins are not emulated)"
            )
        field = self.entity.field(column.name)
        if field is None:
            if column.name.lower() == "rownum":
                raise QueryError("ROWNUM is not supported; page with OFFSET/FETCH")
            raise QueryError(f"unknown field {column.name!r} on {self.entity.name}")
        return field


def _numeric(lhs: _Operand, rhs: _Operand) -> bool:
    """Compare as numbers when a DECIMAL field meets a number or another numeric field."""
    return (_is_decimal(lhs) or _is_decimal(rhs)) and _numberish(lhs) and _numberish(rhs)


def _is_decimal(operand: _Operand) -> bool:
    return operand.field is not None and operand.field.kind is Kind.DECIMAL


def _numberish(operand: _Operand) -> bool:
    if operand.field is None:
        return operand.number is not None
    return operand.field.kind in (Kind.DECIMAL, Kind.ID, Kind.FLAG)


def _number_in(text: str) -> float | None:
    """The number a quoted literal spells ('12', ' 10.5 '), else None."""
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return float(number) if number.is_finite() else None


def _paging(select: exp.Select) -> tuple[int, int | None]:
    offset_node = select.args.get("offset")
    offset = _count(offset_node.expression, "OFFSET") if offset_node is not None else 0
    limit_node = select.args.get("limit")
    if limit_node is None:
        return offset, None
    if isinstance(limit_node, exp.Fetch):
        options = limit_node.args.get("limit_options")
        if options is not None and (options.args.get("percent") or options.args.get("with_ties")):
            raise QueryError("FETCH supports only NEXT/FIRST n ROWS ONLY")
        count = limit_node.args.get("count")
        return offset, 1 if count is None else _count(count, "FETCH")
    if isinstance(limit_node, exp.Limit):
        return offset, _count(limit_node.expression, "LIMIT")
    raise QueryError("unsupported row limit")


def _count(node: exp.Expression | None, clause: str) -> int:
    if isinstance(node, exp.Literal) and not node.is_string and str(node.this).isdigit():
        return int(str(node.this))
    raise QueryError(f"{clause} takes a non-negative whole number")


def _quote(field: Field) -> str:
    return sql_name(field.name)
