"""The stamps put on materials handed in (seed Art 9, 10, 18): "  年 月 日投诉人提交资料"
and, on a copy checked against its original, "经核对，原件与复印件一致". Used at intake and
during the investigation."""

from __future__ import annotations

from datetime import date

from liuhen.platform.errors import InvalidArgument

SUBMITTERS = {"complainant": "投诉人", "reporter": "举报人", "employer": "被监察单位"}
COPY_STAMP = "经核对，原件与复印件一致"


def stamps_for(*, submitted_by: str, day: date, is_copy: bool, checked: bool) -> list[str]:
    """The stamp texts of Art 9, 10 and 18: "  年 月 日投诉人提交资料", plus
    "经核对，原件与复印件一致" on a copy, which must have been checked."""
    if submitted_by not in SUBMITTERS:
        raise InvalidArgument(
            "UNKNOWN_SUBMITTER",
            "submitted_by must be complainant, reporter or employer",
            "提交人无效",
            article="seed Art 9, 18",
            field="submitted_by",
        )
    if is_copy and not checked:
        raise InvalidArgument(
            "COPY_NOT_CHECKED",
            "a copy is accepted only once checked against the original",
            "复印资料须经核对原件",
            article="seed Art 9, 18",
            field="checked_against_original",
        )
    stamps = [f"{day.year}年{day.month}月{day.day}日{SUBMITTERS[submitted_by]}提交资料"]
    if is_copy:
        stamps.append(COPY_STAMP)
    return stamps
