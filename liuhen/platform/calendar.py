"""Working days on the official PRC calendar (DESIGN §5; deadlines catalogue).

Weekends and public holidays are off; make-up working days (调休) are on. Years are
data (catalog/calendar.yaml). A due date computed through a year that is not loaded
is still given, counted as plain weekdays, but marked provisional.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

CALENDAR_FILE = Path(__file__).parent / "catalog" / "calendar.yaml"
# Periods run on Wuhan's dates: China keeps UTC+8 all year (no daylight saving).
CHINA = timezone(timedelta(hours=8), "CST")


def local_date(moment: datetime) -> date:
    """The date in Wuhan of a moment; deadlines count from it, not from the UTC date."""
    return moment.astimezone(CHINA).date()


@dataclass(frozen=True)
class Due:
    on: date
    provisional: bool


def _days(items: Iterable[Any]) -> set[date]:
    out: set[date] = set()
    for item in items:
        if isinstance(item, list):
            first, last = item
            out.update(first + timedelta(n) for n in range((last - first).days + 1))
        else:
            out.add(item)
    return out


class WorkingCalendar:
    def __init__(self, years: Mapping[int, Mapping[str, Iterable[Any]]]) -> None:
        self.years = frozenset(years)
        self._holidays: set[date] = set()
        self._workdays: set[date] = set()
        for spec in years.values():
            self._holidays |= _days(spec.get("holidays", []))
            self._workdays |= _days(spec.get("workdays", []))

    @classmethod
    def load(cls, path: Path = CALENDAR_FILE) -> WorkingCalendar:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return cls({int(y): spec for y, spec in data["years"].items()})

    def is_known(self, day: date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        if day in self._workdays:
            return True
        if day in self._holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> Due:
        """The n-th working day after `start` (the day of the event is not counted)."""
        day, provisional, left = start, False, n
        while left > 0:
            day += timedelta(days=1)
            provisional |= not self.is_known(day)
            if self.is_working_day(day):
                left -= 1
        return Due(day, provisional)

    def add_calendar_days(self, start: date, n: int) -> Due:
        """n calendar days after `start`; a period that ends on a day off ends instead on
        the next working day (期间届满的最后一日是节假日的，以节假日后的第一日为期满日)."""
        day = start + timedelta(days=n)
        provisional = not self.is_known(day)
        while not self.is_working_day(day):
            day += timedelta(days=1)
            provisional |= not self.is_known(day)
        return Due(day, provisional)

    def add_months(self, start: date, n: int) -> Due:
        """The same day n months after `start` (the month's last day where it is shorter),
        moved on past days off like a period in days (民事诉讼法 Art 85: 期间以时、日、月、年
        计算; the review and suit windows, the court application's 3 months)."""
        months = start.month - 1 + n
        year, month = start.year + months // 12, months % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return self.add_calendar_days(date(year, month, day), 0)

    def add(self, start: date, n: int, unit: str) -> Due:
        if unit == "working_days":
            return self.add_working_days(start, n)
        if unit == "calendar_days":
            return self.add_calendar_days(start, n)
        if unit == "months":
            return self.add_months(start, n)
        raise ValueError(f"unknown unit {unit!r}")

    def working_days_between(self, first: date, last: date) -> int:
        """Working days after `first` up to and including `last`."""
        count, day = 0, first
        while day < last:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
