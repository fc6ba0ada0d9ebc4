"""Texts that stand for "no value" in a numeric or datetime column: ``-``, ``n/a``, ``?``, ``NULL`` ...

Exports fill the gaps of a numeric column with such tokens, and without this module a column of
prices with a few dashes would either become text (when the dashes are many) or count them as
inconsistent values. Here they are nulls: type inference leaves them out of the sample it judges
(:func:`is_placeholder`), the typed column holds NULL for them (no parser reads them), and the
typed table's flag column says which token each one was, so their counts come from the scans
the statistics make anyway (:class:`TokenCount`) and the notes can say what was read as missing.

String columns keep these texts as values (a ``-`` among words may mean something); only
pandas' own null markers (:data:`sqlbits.NULL_TOKENS`) are nulls there, as in the old service.
"""

from __future__ import annotations

from collections.abc import Sequence

from jobsmith.processes.profile.analysis.sqlbits import NULL_TOKENS, Aggregates, literal

TOKENS: tuple[str, ...] = tuple(dict.fromkeys((
    "-", "--", "---", "\u2014", "\u2013", ".", "?", "n/a", "N/A", "NA", "na", "n.a.", "NULL", "null", "Null", "None",
    "none", "NONE", "NaN", "nan", "NAN", "#N/A", "#NA", "#VALUE!", "#DIV/0!", "#REF!", "#NUM!", "k.A.", "k. A.",
    "n.v.", *(token for token in NULL_TOKENS if token),
)))
"""The spellings recognised, in the order notes name them; each also in any other case (``nUlL``).
The Excel error values are there because an export writes them where a formula had no value, and
``k.A.`` (keine Angabe) and ``n.v.`` (nicht verfügbar) because German exports write those."""

LOWERED: tuple[str, ...] = tuple(dict.fromkeys(token.lower() for token in TOKENS))

INCONSISTENT, MISSING, FIRST_TOKEN = 0, 1, 2
"""The codes of a typed column's flag where its value is NULL: text that is not of the column's
type, a missing or blank cell, and from :data:`FIRST_TOKEN` on the placeholder it was
(:data:`TOKENS` by position, then :data:`LOWERED` for other spellings)."""

_LONGEST = max(map(len, TOKENS))


def is_placeholder(expr: str) -> str:
    """SQL true when the text ``expr`` is missing, blank or a placeholder in any case.

    The cheap length and edge test runs first, as in :func:`sqlbits.is_null_token`, so most texts
    never reach ``lower(trim(...))``.
    """
    tokens = ", ".join(literal(token) for token in ("", *LOWERED))
    edges = f"(length({expr}) <= {_LONGEST} OR {expr}[1] <= ' ' OR {expr}[-1] <= ' ')"
    return f"({expr} IS NULL OR ({edges} AND lower(trim({expr})) IN ({tokens})))"


def flag_code(raw: str) -> str:
    """SQL giving the flag code of the text ``raw`` whose typed value is NULL (see :data:`MISSING`)."""
    spelled = "[" + ", ".join(literal(token) for token in TOKENS) + "]"
    lowered = "[" + ", ".join(literal(token) for token in LOWERED) + "]"
    text = f"trim({raw})"
    return (f"(CASE WHEN {raw} IS NULL OR {text} = '' THEN {MISSING} "
            f"ELSE coalesce(list_position({spelled}, {text}) + {FIRST_TOKEN - 1}, "
            f"list_position({lowered}, lower({text})) + {FIRST_TOKEN - 1 + len(TOKENS)}, {INCONSISTENT}) "
            "END)::UTINYINT")


def missing(flag: str) -> str:
    """SQL true where the typed column's value was missing: empty, blank or a placeholder."""
    return f"{flag} >= {MISSING}"


def inconsistent(flag: str) -> str:
    """SQL true where the text was present but not of the column's type."""
    return f"{flag} = {INCONSISTENT}"


def token_of(code: int) -> str:
    """The placeholder a flag code stands for, as the notes name it."""
    position = code - FIRST_TOKEN
    return TOKENS[position] if position < len(TOKENS) else LOWERED[position - len(TOKENS)]


class TokenCount:
    """Counts the placeholders of one typed text column inside the two statistics scans.

    Scan 1 counts them all (a plain filtered count); only a column that has some gets the
    per-token histogram in scan 2, so a table without placeholders pays one count per column.
    """

    def __init__(self, name: str, flag: str) -> None:
        self.name, self.flag = name, flag
        self.total = 0
        self.found: dict[str, int] = {}
        self._slot: int | None = None

    def plan_first(self, batch: Aggregates) -> None:
        self._slot = batch.add(f"count(*) FILTER ({self.flag} >= {FIRST_TOKEN})")

    def read_first(self, batch: Aggregates) -> None:
        assert self._slot is not None
        self.total, self._slot = int(batch.value(self._slot) or 0), None

    def plan_second(self, batch: Aggregates) -> None:
        if self.total:
            self._slot = batch.add(f"histogram({self.flag}) FILTER ({self.flag} >= {FIRST_TOKEN})")

    def read_second(self, batch: Aggregates) -> None:
        if self._slot is None:
            return
        counts: dict[str, int] = {}
        for code, count in (batch.value(self._slot) or {}).items():
            token = token_of(int(code))
            counts[token] = counts.get(token, 0) + int(count)
        self.found = dict(sorted(counts.items(), key=lambda item: (-item[1], TOKENS.index(item[0])
                                                                   if item[0] in TOKENS else len(TOKENS))))

    def note(self) -> str | None:
        """``column 'price': the values '-' (12×) and 'n/a' (3×) were read as missing``; None without any."""
        if not self.found:
            return None
        return f"column {self.name!r}: {_values(list(self.found.items()))} read as missing"


def _values(counted: Sequence[tuple[str, int]]) -> str:
    named = [f"{token!r} ({count:,}\u00d7)" for token, count in counted]
    if len(named) == 1:
        return f"the value {named[0]} was"
    return f"the values {', '.join(named[:-1])} and {named[-1]} were"
