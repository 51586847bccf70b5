"""The import formats: for each kind of record, its columns, in English and in Chinese.

A file's header row names its columns, in any order, in either language (``customer_code`` or
``Customer code`` or ``客户编码``). Required columns must be there; optional ones may be left out
— then an update leaves that field as it is, and a new record gets its default. Columns not in
the format are refused (a typo would otherwise silently drop a field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class Column:
    key: str  # the English header
    zh: str  # the Chinese header
    help: str  # what goes in it (English; shown translated)
    required: bool = False
    example: str = ""


@dataclass
class Format:
    kind: str
    label: str
    columns: tuple[Column, ...]
    # Who may import it besides admins (account managers, for their own customers).
    managers_may_import: bool = False
    notes: str = ""
    by_header: dict[str, Column] = field(init=False, repr=False)

    def __post_init__(self):
        self.by_header = {}
        for column in self.columns:
            self.by_header[normal(column.key)] = column
            self.by_header[normal(column.zh)] = column

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]

    def match(self, headers: list[str]) -> tuple[dict[int, Column], list[tuple[str, str]], list[str]]:
        """The file's columns by position, the refused headers (with why) and the missing required ones."""
        found: dict[int, Column] = {}
        unknown, seen = [], set()
        for position, header in enumerate(headers):
            if not header:
                continue
            column = self.by_header.get(normal(header))
            if column is None:
                unknown.append((header, _("is not a column of this format")))
            elif column.key in seen:
                unknown.append((header, _("is the column %(key)s a second time") % {"key": column.key}))
            else:
                found[position] = column
                seen.add(column.key)
        missing = [c.key for c in self.required if c.key not in seen]
        return found, unknown, missing

    def score(self, headers: list[str]) -> int:
        """How many of the headers belong to this format (to name a file of the wrong kind)."""
        return sum(1 for header in headers if normal(header) in self.by_header)


def normal(header: str) -> str:
    return re.sub(r"[\s_\-]+", "_", str(header).strip().lower()).strip("_")


C = Column
CUSTOMER = C("customer_code", "客户编码", gettext_noop("The customer's code (its key in your ERP)."), True, "C00042")

FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    FORMATS[fmt.kind] = fmt
    return fmt


register(
    Format(
        "customers",
        gettext_noop("Customers"),
        (
            C("code", "客户编码", gettext_noop("Unique customer code: the key in your ERP."), True, "C00042"),
            C("name", "客户名称", gettext_noop("Company name."), True, "华东精密机械有限公司"),
            C("industry", "行业", gettext_noop("Industry (code, English or Chinese name)."), True, "manufacturing"),
            C("region", "区域", gettext_noop("Region (code, English or Chinese name)."), True, "east"),
            C("owner", "客户经理", gettext_noop("The account owner: username or e-mail."), True, "am01"),
            C("backup_owner", "备份客户经理", gettext_noop("Backup owner: username or e-mail."), False, "am02"),
            C(
                "account_team",
                "客户团队",
                gettext_noop("Account team: usernames or e-mails separated by ;"),
                False,
                "am03;am04",
            ),
            C(
                "relationship_level",
                "关系层级",
                gettext_noop("1 price, 2 service & relationship network, 3 strategic."),
                False,
                "2",
            ),
            C(
                "customer_since",
                "合作起始日",
                gettext_noop("First day as a customer (YYYY-MM-DD)."),
                True,
                "2019-04-01",
            ),
            C(
                "tier_pinned",
                "固定为大客户",
                gettext_noop("yes to keep the customer a key account whatever its revenue."),
                False,
                "no",
            ),
            C(
                "peak_months",
                "旺季月份",
                gettext_noop("The customer's peak months, 1-12 separated by ;"),
                False,
                "3;4;11",
            ),
        ),
    )
)
register(
    Format(
        "contacts",
        gettext_noop("Contacts"),
        (
            C("external_id", "外部编号", gettext_noop("The contact's key in your system."), True, "P-1001"),
            CUSTOMER,
            C("name", "姓名", gettext_noop("Full name."), True, "王伟"),
            C("title", "职务", gettext_noop("Job title."), False, "采购经理"),
            C("department", "部门", gettext_noop("Department (code, English or Chinese name)."), True, "procurement"),
            C(
                "buying_role",
                "采购角色",
                gettext_noop("Buying role (code, English or Chinese name)."),
                True,
                "decision_maker",
            ),
            C("influence", "影响力", gettext_noop("Influence 1-5."), False, "4"),
            C("trust", "信任度", gettext_noop("Trust 1-5."), False, "3"),
            C("email", "邮箱", gettext_noop("E-mail."), False, "wang.wei@example.com"),
            C("phone", "电话", gettext_noop("Phone."), False, "+86 21 5555 0101"),
            C("joined_on", "认识日期", gettext_noop("Known since (YYYY-MM-DD)."), True, "2021-06-01"),
            C("left_on", "离职日期", gettext_noop("Left the customer on (YYYY-MM-DD); empty while there."), False, ""),
            C(
                "internal_owner",
                "我方关系负责人",
                gettext_noop("Our person who owns the relationship: username or e-mail."),
                False,
                "am01",
            ),
        ),
        managers_may_import=True,
    )
)
register(
    Format(
        "interactions",
        gettext_noop("Interactions"),
        (
            C("external_id", "外部编号", gettext_noop("The interaction's key in your system."), True, "V-2024-0001"),
            CUSTOMER,
            C("occurred_on", "日期", gettext_noop("Date (YYYY-MM-DD)."), True, "2026-03-02"),
            C("kind", "类型", gettext_noop("Kind (code, English or Chinese name)."), True, "visit"),
            C("subject", "主题", gettext_noop("Subject."), True, "季度业务回顾"),
            C("notes", "备注", gettext_noop("Notes."), False, ""),
            C("logged_by", "记录人", gettext_noop("Who logged it: username or e-mail."), False, "am01"),
        ),
        managers_may_import=True,
    )
)
register(
    Format(
        "orders",
        gettext_noop("Orders and delivery lines"),
        (
            C(
                "order_number",
                "订单号",
                gettext_noop("Order number: the order's key in your ERP."),
                True,
                "SO-2026-000123",
            ),
            CUSTOMER,
            C("ordered_on", "下单日期", gettext_noop("Order date (YYYY-MM-DD)."), True, "2026-02-14"),
            C(
                "amount",
                "订单金额",
                gettext_noop("Order amount (revenue), the same on every line of the order."),
                True,
                "125000.00",
            ),
            C(
                "line_no",
                "行号",
                gettext_noop("Line number within the order; leave the line columns out for orders only."),
                False,
                "1",
            ),
            C("sku", "产品编码", gettext_noop("Product SKU (a new SKU creates the product)."), False, "P-100"),
            C("product_name", "产品名称", gettext_noop("Product name, for a new SKU."), False, "精密轴承 6205"),
            C("quantity_ordered", "订购数量", gettext_noop("Quantity ordered."), False, "500"),
            C("quantity_delivered", "交付数量", gettext_noop("Quantity delivered so far."), False, "500"),
            C("promised_on", "承诺交期", gettext_noop("Promised delivery date (YYYY-MM-DD)."), False, "2026-03-01"),
            C(
                "delivered_on",
                "实际交付日",
                gettext_noop("Delivered on (YYYY-MM-DD); empty until delivered."),
                False,
                "2026-02-27",
            ),
        ),
        notes=gettext_noop("One row per delivery line; the order's columns repeat on each of its lines."),
    )
)
register(
    Format(
        "price_benchmarks",
        gettext_noop("Price benchmarks and competitor quotes"),
        (
            CUSTOMER,
            C("sku", "产品编码", gettext_noop("Product SKU (must exist)."), True, "P-100"),
            C("observed_on", "观察日期", gettext_noop("Date observed (YYYY-MM-DD)."), True, "2026-01-15"),
            C("our_price", "我方价格", gettext_noop("Our price."), True, "98.50"),
            C("market_average_price", "市场均价", gettext_noop("Market average price."), True, "95.00"),
            C("competitor", "竞争对手", gettext_noop("Competitor's name (a new name creates it)."), False, "恒达机械"),
            C(
                "competitor_quote",
                "竞争对手报价",
                gettext_noop("The competitor's quote (needs the competitor)."),
                False,
                "91.00",
            ),
        ),
    )
)
register(
    Format(
        "criteria",
        gettext_noop("Purchase criteria assessments"),
        (
            C("external_id", "外部编号", gettext_noop("The assessment's key in your system."), True, "PC-001"),
            CUSTOMER,
            C("criterion", "采购标准", gettext_noop("The customer's purchase criterion."), True, "交期稳定"),
            C("importance", "重要性", gettext_noop("Importance 1 (low) to 5 (critical)."), True, "4"),
            C("we_meet", "我方满足", gettext_noop("yes / no."), True, "yes"),
            C("competitor_meets", "竞争对手满足", gettext_noop("yes / no."), True, "no"),
            C("competitor", "竞争对手", gettext_noop("Which competitor meets it."), False, ""),
            C("assessed_on", "评估日期", gettext_noop("Date assessed (YYYY-MM-DD)."), True, "2026-02-01"),
            C("notes", "备注", gettext_noop("Notes."), False, ""),
        ),
        managers_may_import=True,
    )
)
register(
    Format(
        "tickets",
        gettext_noop("Tickets (history)"),
        (
            C("external_id", "外部编号", gettext_noop("The ticket's key in your service desk."), True, "T-88121"),
            CUSTOMER,
            C(
                "kind",
                "类型",
                gettext_noop("complaint or service_request (or the English / Chinese name)."),
                True,
                "complaint",
            ),
            C("category", "类别", gettext_noop("Category (code, English or Chinese name)."), True, "product_quality"),
            C("severity", "严重程度", gettext_noop("Severity (code, English or Chinese name)."), True, "high"),
            C("channel", "渠道", gettext_noop("Channel (code, English or Chinese name)."), True, "hotline"),
            C("subject", "主题", gettext_noop("Subject."), True, "批次尺寸超差"),
            C("description", "描述", gettext_noop("Description."), False, ""),
            C("status", "状态", gettext_noop("Status (code, English or Chinese name)."), True, "closed"),
            C(
                "department",
                "负责部门",
                gettext_noop("Responsible department (code, English or Chinese name)."),
                False,
                "technical",
            ),
            C("assigned_to", "处理人", gettext_noop("Assigned to: username or e-mail."), False, "service"),
            C(
                "opened_at",
                "创建时间",
                gettext_noop("Opened at (YYYY-MM-DD HH:MM, business time zone)."),
                True,
                "2026-01-05 09:30",
            ),
            C("first_response_at", "首次响应时间", gettext_noop("First response at."), False, "2026-01-05 10:10"),
            C(
                "resolved_at",
                "解决时间",
                gettext_noop("Resolved at (needed for resolved / closed)."),
                False,
                "2026-01-07 16:00",
            ),
            C("closed_at", "关闭时间", gettext_noop("Closed at (needed for closed)."), False, "2026-01-08 09:00"),
            C("satisfaction", "满意度", gettext_noop("Customer satisfaction 1-5."), False, "4"),
            C("root_cause", "根本原因", gettext_noop("Root cause."), False, ""),
            C("corrective_action", "纠正措施", gettext_noop("Corrective action."), False, ""),
        ),
    )
)
register(
    Format(
        "churn",
        gettext_noop("Churn records"),
        (
            CUSTOMER,
            C(
                "churned_on",
                "流失日期",
                gettext_noop("The date the customer was lost (YYYY-MM-DD)."),
                True,
                "2026-05-31",
            ),
            C(
                "churn_reason",
                "流失原因",
                gettext_noop("Reason (code, English or Chinese name, see below)."),
                True,
                "competitor_price",
            ),
            C("churn_notes", "流失说明", gettext_noop("Notes."), False, ""),
        ),
        notes=gettext_noop("Marks existing customers as churned; a customer must be imported first."),
    )
)


def detect(headers: list[str]) -> str | None:
    """The kind whose columns best match ``headers`` (None when none matches at all)."""
    best = max(FORMATS.values(), key=lambda fmt: (fmt.score(headers), -len(fmt.columns)))
    return best.kind if best.score(headers) else None
