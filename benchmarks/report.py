"""The human-readable table and the JSON line."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
import json
import math


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table."""

    figure: str
    value: str
    target: str = ""
    met: bool | None = None
    """Whether the target is met; None without a target."""

    @property
    def verdict(self) -> str:
        """``ok``, ``OVER`` or nothing."""
        if self.met is None:
            return ""
        return "ok" if self.met else "OVER"


_HEADER = Row("figure", "value", "target")


def format_table(title: str, rows: Sequence[Row], notes: Sequence[str]) -> str:
    """Render the rows as aligned columns, then the notes on how each figure was measured."""
    widths = [
        max(len(getattr(row, column)) for row in (_HEADER, *rows))
        for column in ("figure", "value", "target")
    ]

    def line(row: Row) -> str:
        cells = (row.figure, row.value, row.target)
        text = "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return f"{text}  {row.verdict}".rstrip()

    rule = "  ".join("-" * width for width in widths)
    lines = [title, "", line(_HEADER), rule, *(line(row) for row in rows)]
    if notes:
        lines += ["", "How each figure is measured:", *(f"- {note}" for note in notes)]
    return "\n".join(lines)


def json_line(figures: Mapping[str, float]) -> str:
    """One JSON object on one line; every value a finite number."""
    for key, value in figures.items():
        if not math.isfinite(value):
            raise ValueError(f"{key} is not a finite number: {value}")
    return json.dumps(dict(figures), separators=(", ", ": "))
