"""Server-rendered SVG charts for the health dashboard: the geometry of horizontal bar charts
and a column chart over days, computed here so that the templates only draw. Pure."""

from __future__ import annotations

from dataclasses import dataclass

ROW = 30  # px per bar of a bar chart
LABEL = 170  # px for the labels left of the bars
WIDTH = 560
VALUE = 60  # px at least for the number right of the bars
CHAR = 8  # px a character of that number takes at most (13 px text: a digit is 7.2)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # what the bar's length shows
    text: str  # the number written at its end
    href: str | None
    tone: str  # a CSS class: success | warning | info | danger | neutral | accent
    y: int
    width: float  # px


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL
    value_width: int = VALUE

    @property
    def plot_width(self) -> int:
        return self.width - self.label_width - self.value_width


def bar_chart(
    rows: list[tuple[str, float, str, str | None, str]], *, maximum: float | None = None
) -> BarChart:
    """`rows` of (label, value, text, link, tone) as bars scaled to the largest (or `maximum`);
    the bars leave room for the longest number ("1187 of 1200" of a large library)."""
    top = maximum if maximum is not None else max((r[1] for r in rows), default=0)
    value_width = max(VALUE, 8 + CHAR * max((len(r[2]) for r in rows), default=0))
    plot = WIDTH - LABEL - value_width
    bars = [
        Bar(label, value, text, href, tone, i * ROW, (value / top * plot) if top else 0.0)
        for i, (label, value, text, href, tone) in enumerate(rows)
    ]
    return BarChart(bars, max(len(bars), 1) * ROW, value_width=value_width)


@dataclass(frozen=True)
class Column:
    label: str  # the day, e.g. "03-14"
    value: int
    x: float
    y: float
    height: float
    href: str | None


@dataclass(frozen=True)
class ColumnChart:
    columns: list[Column]
    maximum: int
    width: int = WIDTH
    height: int = 160
    base: int = 130  # y of the axis; labels below it

    @property
    def column_width(self) -> float:
        return max(self.width / max(len(self.columns), 1) - 4, 2)


def column_chart(days: list[tuple[str, int, str | None]]) -> ColumnChart:
    """`days` of (label, count, link), oldest first, as columns."""
    top = max((v for _d, v, _h in days), default=0)
    chart = ColumnChart([], top)
    step = chart.width / max(len(days), 1)
    usable = chart.base - 16
    columns = []
    for i, (label, value, href) in enumerate(days):
        height = (value / top * usable) if top else 0.0
        columns.append(Column(label, value, i * step + 2, chart.base - height, height, href))
    return ColumnChart(columns, top)
