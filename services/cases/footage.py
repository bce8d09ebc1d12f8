"""Art 23: where audio/video recording is mandatory, the file is not archived while an
on-site activity that needed footage has none. The media service says which sessions
lack footage and carry no exemption (涉及国家秘密等不适宜采取音、视频记录的除外)."""

from __future__ import annotations

from collections.abc import Sequence

from liuhen.platform.errors import FailedPrecondition
from services.cases.model import Case


def check_footage(case: Case, sessions_without_footage: Sequence[str]) -> None:
    """Refuse to archive an Art 23 case while a session lacks footage, naming it."""
    if case.av_required and sessions_without_footage:
        first = sessions_without_footage[0]
        raise FailedPrecondition(
            "SESSION_WITHOUT_FOOTAGE",
            f"recording is mandatory for this case (Art 23: {case.av_reasons}) and the "
            f"on-site session {first} has no footage and no exemption",
            f"本案应当音、视频记录，现场执法活动 {first} 没有音、视频记录",
            article="seed Art 23",
            field=first,
        )
