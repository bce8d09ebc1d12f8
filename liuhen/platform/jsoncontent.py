"""The one parser of JSON content a client sends (a form's `content_json`, a message's
`payload_json`): an object, within the limits of `catalog/limits.yaml` (issue 10).

`json.loads` alone crashes on input any client can send: nesting 100,000 deep overflows
the recursion, a 5,000-digit integer exceeds Python's digit limit, and a lone surrogate
("\\ud800") parses but cannot be stored or hashed as UTF-8. Each is refused here with
the field named.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from liuhen.platform.errors import InvalidArgument, LiuhenError
from liuhen.platform.limits import limits

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(ValueError):
    def __init__(self, reason: str, why: str) -> None:
        super().__init__(why)
        self.reason = reason


def parse_object(
    text: str, field: str, *, error: type[LiuhenError] = InvalidArgument, article: str = ""
) -> dict[str, Any]:
    """The JSON object in `text` ("" is {}); anything else raises `error` naming `field`."""
    try:
        value = _parse(text or "{}")
    except _Refused as exc:
        raise error(
            exc.reason,
            f"{field} is refused: {exc}",
            f"{field} 内容无效：{exc}",
            article=article or "DESIGN §8",
            field=field,
        ) from None
    if not isinstance(value, dict):
        raise error(
            "MALFORMED_CONTENT",
            f"{field} must be a JSON object",
            f"{field} 须为 JSON 对象",
            article=article or "DESIGN §8",
            field=field,
        )
    return value


def canonical(value: Any) -> str:
    """The canonical text of parsed content (sorted keys, no spaces): hashes are over it."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _parse(text: str) -> Any:
    lim = limits()
    if len(text) > lim.kinds["json"]:
        raise _Refused("CONTENT_TOO_LARGE", f"more than {lim.kinds['json']} characters")
    _check_depth(text, lim.json_depth)
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_not_a_number)
    except json.JSONDecodeError as exc:
        raise _Refused("MALFORMED_CONTENT", f"not JSON ({exc.msg} at {exc.pos})") from None
    _check_strings(value)
    return value


def _check_depth(text: str, deepest: int) -> None:
    """Count brackets outside strings before parsing, so no depth reaches the parser."""
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > deepest:
            raise _Refused("CONTENT_TOO_DEEP", f"nested more than {deepest} deep")


def _int(digits: str) -> int:
    _check_number(digits)
    return int(digits)


def _float(digits: str) -> float:
    _check_number(digits)
    value = float(digits)
    if not math.isfinite(value):
        raise _Refused("NUMBER_TOO_LONG", f"the number {digits} is out of range")
    return value


def _check_number(digits: str) -> None:
    most = limits().json_number_chars
    if len(digits) > most:
        raise _Refused("NUMBER_TOO_LONG", f"a number of {len(digits)} characters (most {most})")


def _not_a_number(name: str) -> Any:
    raise _Refused("MALFORMED_CONTENT", f"{name} is not a JSON number")


def _check_strings(value: Any) -> None:
    """No key or string holds a lone surrogate: it cannot be stored or hashed as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str) and _SURROGATE.search(item):
            raise _Refused("MALFORMED_CONTENT", "a string holds a lone surrogate (\\ud800-\\udfff)")
