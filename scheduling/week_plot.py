"""The week-at-a-glance chart as SVG geometry: bars of meetings held and still planned per week, and a line for
what the cadences demand, so the page draws it with no script. Pure: no Django."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class WeekCount:
    week_start: dt.date
    held: int
    planned: int  # scheduled or moved, not yet marked
    demanded: float  # the cadences' minimum, scaled by the workdays of the week outside breaks


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    held_y: float
    held_height: float
    planned_y: float
    planned_height: float
    label: str  # the week's Monday, "04 Jan"
    title: str  # the tooltip
    current: bool  # the week the page shows


@dataclass(frozen=True)
class WeekPlot:
    width: int
    height: int
    left: float
    right: float
    baseline: float
    tick_label_x: float
    week_label_y: float
    bars: tuple[Bar, ...]
    demanded_points: str  # an SVG polyline's points
    ticks: tuple[tuple[float, str], ...]  # (y, label) for the value axis


def _chart_ceiling(value: float) -> float:
    """The top of the chart's scale: 1 for a tiny cohort, else the next even count, so that the half-way tick
    is a whole number of meetings."""
    if value <= 1:
        return 1.0
    return float(math.ceil(value / 2) * 2)


def week_plot(weeks: tuple[WeekCount, ...], *, current: dt.date | None = None) -> WeekPlot:
    """Bars of meetings held (and, stacked above, still planned) per week; a line for the cadences' demand."""
    width, height, left, right, top, bottom = 720, 220, 40.0, 710.0, 10.0, 190.0
    highest = max([1.0] + [max(w.held + w.planned, w.demanded) for w in weeks])
    top_value = _chart_ceiling(highest)

    def y(value: float) -> float:
        return round(bottom - (bottom - top) * value / top_value, 1)

    slot = (right - left) / max(1, len(weeks))
    bars, points = [], []
    for index, week in enumerate(weeks):
        centre = left + slot * (index + 0.5)
        held_y = y(week.held)
        planned_y = y(week.held + week.planned)
        bars.append(
            Bar(
                x=round(centre - slot * 0.3, 1),
                width=round(slot * 0.6, 1),
                held_y=held_y,
                held_height=round(bottom - held_y, 1),
                planned_y=planned_y,
                planned_height=round(held_y - planned_y, 1),
                label=f"{week.week_start:%d %b}",
                title=f"Week of {week.week_start:%d %b %Y}: {week.held} held, {week.planned} still planned, "
                f"{week.demanded:g} demanded",
                current=week.week_start == current,
            )
        )
        points.append(f"{round(centre, 1)},{y(week.demanded)}")
    ticks = tuple((y(top_value * share), f"{top_value * share:g}") for share in (0, 0.5, 1))
    return WeekPlot(
        width=width,
        height=height,
        left=left,
        right=right,
        baseline=bottom,
        tick_label_x=left - 6,
        week_label_y=bottom + 14,
        bars=tuple(bars),
        demanded_points=" ".join(points),
        ticks=ticks,
    )
