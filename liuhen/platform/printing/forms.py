"""What a printed form shows: the form catalogue (`catalog/forms/`), the display text of
a field's value, and the `Sheet` — everything a page needs, as plain data, so that the
same sheet always renders to the same bytes."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from liuhen.platform.catalogue import HERE, FieldSpec, document_type, site

FORMS = HERE / "forms"
WUHAN = ZoneInfo("Asia/Shanghai")

# Labels of content keys when the catalogue gives a type no field schema, and of the
# parts of a structured value (person, employer, violation, period).
KEY_LABELS = {
    "name": "名称", "uscc": "统一社会信用代码", "address": "地址",
    "legal_representative": "法定代表人", "gender": "性别", "contact": "联系方式",
    "id_number": "身份证件号码", "fact": "违法事实", "basis": "法律依据",
    "grounds": "理由", "missing": "需补正的材料", "period_days": "改正期限（日）",
    "content": "内容", "place": "地点", "summary": "摘要", "reason": "事由",
    "items": "物品", "officers": "执法人员", "unit": "单位", "certificate_no": "执法证号",
    "interviewee": "被询问人", "start_time": "开始时间", "end_time": "结束时间",
    "certificates_shown": "已出示执法证件", "submitted_by": "提交人", "description": "说明",
    "is_copy": "复印件", "checked_against_original": "已与原件核对", "pages": "页数",
    "stamps": "签章", "filed": "是否立案", "proceed": "是否进入处罚（处理）程序",
    "employer": "用人单位", "violations": "违法行为", "period": "期限", "amount": "金额",
    "witnesses": "见证人", "circumstances": "情况", "findings": "协查结果",
    # what a peer's 协查回函 carries beside its fields (routing, Art 21)
    "handler_name": "承办人", "replied_by": "回复人（用户编号）",
    "request_message_id": "对应协查函消息编号", "reply_message_id": "回函消息编号",
}  # fmt: skip
PERIOD_UNITS = {"working_days": "个工作日", "calendar_days": "日", "days": "日"}


@dataclass(frozen=True)
class Form:
    """One form's layout (catalog/forms/<type>.yaml): what differs from the base."""

    code: str
    layout: str = "table"
    number: str = ""  # the 文号 word; empty: the form carries no 文号
    seal: bool = False
    body: tuple[str, ...] = ()
    signers: tuple[str, ...] = ()
    closing: str = ""


@cache
def base() -> Mapping[str, Any]:
    loaded: Mapping[str, Any] = yaml.safe_load((FORMS / "_base.yaml").read_text("utf-8"))
    return loaded


@cache
def form(code: str) -> Form:
    path = FORMS / f"{code}.yaml"
    raw: dict[str, Any] = yaml.safe_load(path.read_text("utf-8")) if path.is_file() else {}
    return Form(
        code=code,
        layout=str(raw.get("layout", base()["default_layout"])),
        number=str(raw.get("number", "") or ""),
        seal=bool(raw.get("seal", False)),
        body=tuple(raw.get("body", ())),
        signers=tuple(raw.get("signers", ())),
        closing=str(raw.get("closing", "")),
    )


def bureau(tenant: str) -> str:
    s = site(tenant, "tenant")
    return str(base()["bureau"][s.level]).format(zh=s.zh)


def sender_name(party: str) -> str:
    """Who sent a document received from outside (sites.yaml): a peer bureau, the
    province's desk, or a desk of a tenant (江岸区公安机关, 武汉市人民法院)."""
    from liuhen.platform.outbox import kind_of

    kind, tenant = kind_of(party)
    desks = {str(d["kind"]): str(d["zh"]) for d in _sites_yaml()["desks"]}
    if kind == "province" or not tenant:
        return desks.get(kind, party)
    s = site(tenant, "tenant")
    if kind in ("city", "district"):
        return bureau(tenant)
    return f"{'武汉市' if s.level == 'city' else '武汉市' + s.zh}{desks.get(kind, kind)}"


@cache
def _sites_yaml() -> Mapping[str, Any]:
    loaded: Mapping[str, Any] = yaml.safe_load((HERE / "sites.yaml").read_text("utf-8"))
    return loaded


def number_prefix(tenant: str) -> str:
    s = site(tenant, "tenant")
    short = s.zh.removesuffix("区") if s.level == "district" else s.zh
    return str(base()["number_prefix"][s.level]).format(short=short)


def format_number(tenant: str, word: str, year: int, n: int) -> str:
    """江岸人社监限改〔2026〕12号 (GB/T 9704-2012 §7.2.4: 〔〕 around the year)."""
    return f"{number_prefix(tenant)}人社监{word}〔{year}〕{n}号"


def local(moment: datetime) -> datetime:
    return moment.astimezone(WUHAN) if moment.tzinfo else moment


def day_zh(moment: datetime | date) -> str:
    d = local(moment) if isinstance(moment, datetime) else moment
    return f"{d.year}年{d.month}月{d.day}日"


def time_zh(moment: datetime) -> str:
    m = local(moment)
    return f"{day_zh(m)} {m.hour}时{m.minute:02d}分"


def _parse_time(value: str) -> datetime | date | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else None
    except ValueError:
        return None


def display(value: Any, ftype: str = "") -> str:
    """The text a value prints as: typed when the catalogue gives the field a type
    (date, amount, period, ...), plain otherwise."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if ftype in ("date", "datetime") and isinstance(value, str):
        parsed = _parse_time(value) if ftype == "datetime" else _date(value)
        if isinstance(parsed, datetime):
            return time_zh(parsed)
        if isinstance(parsed, date):
            return day_zh(parsed)
    if ftype == "amount":
        return _amount(value)
    if isinstance(value, Mapping):
        return _mapping(value)
    if isinstance(value, list | tuple):
        items = [display(v) for v in value]
        if len(items) > 1:
            return "；".join(f"{i}. {t}" for i, t in enumerate(items, start=1))
        return "".join(items)
    return str(value)


def _amount(value: Any) -> str:
    """An amount in yuan and fen: {"yuan": 1234, "fen": 56}, or yuan as a number or a
    decimal string ("1234.56")."""
    if isinstance(value, Mapping) and "yuan" in value:
        return f"人民币{value['yuan']}.{int(value.get('fen', 0)):02d}元"
    return f"人民币{value}元"


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _mapping(value: Mapping[str, Any]) -> str:
    if set(value) >= {"amount", "unit"} and len(value) == 2:  # a period
        return f"{value['amount']}{PERIOD_UNITS.get(str(value['unit']), str(value['unit']))}"
    parts = []
    for k, v in sorted(value.items(), key=lambda kv: _rank(kv[0])):
        text = display(v)
        if text:
            parts.append(text if k == "name" else f"{KEY_LABELS.get(k, k)}：{text}")
    return "，".join(parts)


# The parts of a structured value in the order a form states them (the employer's name
# before its code, a violation's fact before its legal basis); the rest keep theirs.
FIRST = ("name", "fact", "basis", "uscc", "legal_representative", "address", "unit",
         "certificate_no", "id_number", "role", "contact")  # fmt: skip


def _rank(key: str) -> int:
    return FIRST.index(key) if key in FIRST else len(FIRST)


@dataclass(frozen=True)
class FieldRow:
    name: str
    label: str
    text: str


def field_text(value: Any, spec: FieldSpec | None) -> str:
    """A field's value as its form prints it: a choice by its Chinese label where the
    catalogue gives one (直接送达 for `direct`), any other by its type."""
    labels = dict(spec.option_labels) if spec else {}
    label = labels.get(value, "") if isinstance(value, str) else ""
    return label or display(value, spec.type if spec else "")


def field_rows(type_code: str, content: Mapping[str, Any]) -> list[FieldRow]:
    """The body, in the form's order: the fields of the catalogue's schema where the type
    has one (labels from it), else the content's keys; fields without a value are left
    out, and content the schema does not name follows at the end."""
    specs = {s.name: s for s in getattr(document_type(type_code), "fields", ())}
    names = [*form(type_code).body, *specs, *sorted(content)]
    rows, seen = [], set()
    for name in names:
        if name in seen or name not in content:
            continue
        seen.add(name)
        spec = specs.get(name)
        label = spec.label if spec else KEY_LABELS.get(name, name)
        text = field_text(content[name], spec)
        if text:
            rows.append(FieldRow(name, label, text))
    return rows


@dataclass(frozen=True)
class Signature:
    role: str  # 承办人, 审核人, 负责人 ...
    name: str
    day: str  # 2026年12月1日
    opinion: str = ""  # 同意 for a review or approval; empty for the drafter


@dataclass(frozen=True)
class Sheet:
    """Everything one printed document shows; its JSON is kept with the print, so the
    same sheet renders to the same bytes at any later time."""

    tenant: str
    document: str  # cases/{case}/documents/{id}
    type: str
    title: str
    bureau: str
    number: str
    case_number: str
    addressee: str
    rows: tuple[FieldRow, ...]
    signatures: tuple[Signature, ...]
    issued: str  # ISO time it took effect: the PDF's dates
    code: str  # verification code
    layout: str = "table"
    seal: bool = False
    signers: tuple[str, ...] = ()
    closing: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Sheet:
        raw = json.loads(text)
        raw["rows"] = tuple(FieldRow(**r) for r in raw["rows"])
        raw["signatures"] = tuple(Signature(**s) for s in raw["signatures"])
        raw["signers"] = tuple(raw["signers"])
        return cls(**raw)


def sheet(
    *,
    tenant: str,
    document: str,
    type_code: str,
    content: Mapping[str, Any],
    number: str,
    case_number: str,
    addressee: str,
    signatures: Iterable[Signature],
    issued: datetime,
    code: str,
    extra_rows: Sequence[FieldRow] = (),
) -> Sheet:
    f = form(type_code)
    return Sheet(
        tenant=tenant,
        document=document,
        type=type_code,
        title=document_type(type_code).zh,
        bureau=bureau(tenant),
        number=number,
        case_number=case_number,
        addressee=addressee,
        rows=(*extra_rows, *field_rows(type_code, content)),
        signatures=tuple(signatures),
        issued=issued.isoformat(),
        code=code,
        layout=f.layout,
        seal=f.seal,
        signers=f.signers,
        closing=f.closing,
    )
