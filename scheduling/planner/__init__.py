"""The meeting planner: turns cadences and availability into recurring weekly meeting slots.

Pure Python over dataclasses (no Django): the services build a PlanningProblem from the database, call `plan`,
check the result with `validate_plan` and write it back.
"""

from scheduling.planner.greedy import plan_first_fit
from scheduling.planner.problem import (
    BusyTime,
    CohortCalendar,
    DailyHours,
    DateRange,
    Demand,
    ExtraHours,
    Limits,
    ObjectiveParts,
    OrganiserSummary,
    Person,
    Placement,
    PlanningProblem,
    PlanResult,
    PreferenceWeights,
    PublishedSlot,
    Unplaced,
    WeeklySlot,
    Window,
)
from scheduling.planner.solver import plan
from scheduling.planner.validate import validate_plan

__all__ = [
    "BusyTime",
    "CohortCalendar",
    "DailyHours",
    "DateRange",
    "Demand",
    "ExtraHours",
    "Limits",
    "ObjectiveParts",
    "OrganiserSummary",
    "Person",
    "Placement",
    "PlanResult",
    "PlanningProblem",
    "PreferenceWeights",
    "PublishedSlot",
    "Unplaced",
    "WeeklySlot",
    "Window",
    "plan",
    "plan_first_fit",
    "validate_plan",
]
