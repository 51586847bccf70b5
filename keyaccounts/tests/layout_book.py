"""A small, full book for the layout and accessibility sweeps: the demo data of a few dozen
customers, scored twice, plus one customer with deliberately long Chinese and English names
everywhere a table shows a name (contacts, criteria, late deliveries, tickets, prices)."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.demo.seeder import seed_demo
from accounts.demo.users import DEMO_PASSWORD
from accounts.models import BacktestRun, RiskModelVersion, Tier
from accounts.nightly import nightly_jobs
from keyaccounts.clock import business_today
from keyaccounts.tests import factories as f
from keyaccounts.tests.journeys import red_account_with_a_silent_general_manager
from relationships.models import BuyingRole, Department

PASSWORD = DEMO_PASSWORD
# The demo logins, one per role.
ROLES = {"manager": "am01", "executive": "exec", "desk": "service", "admin": "admin"}

LONG_CUSTOMER = (
    "江苏恒瑞精密机械制造股份有限公司华东区域采购与供应链管理中心 Jiangsu Hengrui Precision Machinery Manufacturing"
)
LONG_CONTACTS = [
    ("欧阳慕容诸葛建国", "总经理兼首席执行官、董事会战略委员会主任", Department.EXECUTIVE, BuyingRole.DECISION_MAKER),
    (
        "Alexandra Montgomery-Fitzwilliam",
        "Vice President Global Strategic Procurement",
        Department.PROCUREMENT,
        BuyingRole.INFLUENCER,
    ),
    ("司马相如", "生产与质量保证部高级经理", Department.USER, BuyingRole.USER),
]
LONG_CRITERIA = [
    "供应商须在长三角地区设有本地仓库并保证四十八小时内紧急补货",
    "Supplier-managed inventory with consignment stock at the customer's Suzhou plant",
    "全部产品须通过IATF16949认证并提供完整的PPAP文件",
]
LONG_PRODUCTS = [
    "高精度双列角接触球轴承（耐高温密封型）DAC-4580-2RS",
    "Heavy-duty tapered roller bearing assembly for wind-turbine gearboxes TRB-9000X",
]


@dataclass
class LayoutBook:
    customer: object  # the long-named customer, the manager's
    ticket: object  # an open ticket on it
    play: object  # an open play on it, with steps


def build_layout_book() -> LayoutBook:
    today = business_today()
    seed_demo(customers=24, seed=7, today=today, managers=2)
    manager = get_user_model().objects.get(username=ROLES["manager"])
    f.CustomerFactory.reset_sequence(900000)  # codes clear of the demo's
    red_account_with_a_silent_general_manager(owner=manager, name="宁波东海轴承有限公司 Ningbo Donghai Bearings")
    customer = f.CustomerFactory(
        name=LONG_CUSTOMER, owner=manager, tier=Tier.KEY, customer_since=today - timedelta(days=5 * 365)
    )
    contacts = [
        f.ContactFactory(
            customer=customer,
            name=name,
            title=title,
            department=department,
            buying_role=role,
            joined_on=today - timedelta(days=900),
        )
        for name, title, department, role in LONG_CONTACTS
    ]
    visit = f.InteractionFactory(
        customer=customer,
        occurred_on=today - timedelta(days=30),
        subject="与采购总监及生产副总就二〇二七年度框架协议价格调整进行的长时间会谈",
    )
    visit.contacts.add(*contacts)
    competitor = f.CompetitorFactory(name="舍弗勒（中国）有限公司 Schaeffler Greater China")
    for n, text in enumerate(LONG_CRITERIA):
        f.PurchaseCriterionFactory(
            customer=customer,
            criterion=text,
            importance=5 - n,
            we_meet=n != 0,
            competitor_meets=True,
            competitor=competitor,
            assessed_on=today - timedelta(days=10),
        )
    products = [f.ProductFactory(name=name) for name in LONG_PRODUCTS]
    for months_ago in range(1, 13):
        order = f.OrderFactory(
            customer=customer, ordered_on=today - timedelta(days=30 * months_ago), amount=Decimal("1250000")
        )
        for product in products:
            f.DeliveryLineFactory(
                order=order,
                product=product,
                promised_on=order.ordered_on + timedelta(days=14),
                delivered_on=order.ordered_on + timedelta(days=14 + 9 * (months_ago % 3)),
            )
    for product in products:
        f.PriceBenchmarkFactory(
            customer=customer,
            product=product,
            observed_on=today - timedelta(days=20),
            our_price=Decimal("1180.50"),
            market_average_price=Decimal("990.00"),
        )
    f.AccountPlanFactory(
        customer=customer,
        reviewed_on=today - timedelta(days=40),
        customer_strategy="扩大新能源汽车驱动电机轴承的本地化采购比例，二〇二七年前实现百分之八十国产化",
    )
    f.ProductNeedFactory(customer=customer, description="Low-noise bearings for the new e-axle line, 静音轴承")
    ticket = f.TicketFactory(
        customer=customer,
        subject="批次DAC-4580-2RS轴承在客户苏州工厂装配线上出现异常噪音与温升，需要现场技术支持",
        description="Customer reports noise above 65 dB on 12 of 400 units after the run-in test.",
        opened_at=timezone.now() - timedelta(days=3),
    )
    f.TicketEventFactory(ticket=ticket, comment="已致电客户质量经理，约定明天上午到现场检查。")
    for username in ROLES.values():
        user = get_user_model().objects.get(username=username)
        f.NotificationFactory(
            recipient=user, params={"text": "客户 " + LONG_CUSTOMER + " 的投诉已升级到生产部，请在今天内回复。"}
        )
    # Model quality: runs of the active model, one finished with its score's AUC, one failed, one queued.
    admin = get_user_model().objects.get(username=ROLES["admin"])
    version = RiskModelVersion.objects.get(is_active=True)
    for status, result, error in (
        (BacktestRun.Status.DONE, {"predictors": [{"key": "score", "auc": 0.81}]}, ""),
        (BacktestRun.Status.FAILED, None, "Not enough history before the first replay date."),
        (BacktestRun.Status.QUEUED, None, ""),
    ):
        f.BacktestRunFactory(
            model_version=version,
            start=today - timedelta(days=540),
            end=today - timedelta(days=200),
            status=status,
            result=result,
            error=error,
            created_by=admin,
        )
    for days_ago in (14, 7, 0):
        nightly_jobs(as_of=today - timedelta(days=days_ago))
    play = f.PlayFactory(
        customer=customer,
        title="Win back the e-axle programme before the purchasing director's annual supplier review",
        title_zh="在采购总监年度供应商评审前赢回电驱桥项目，并与技术中心确认静音轴承的验证计划",
        priority=1,
    )
    f.PlayStepFactory(
        play=play, title="Call the purchasing director", title_zh="致电采购总监，了解年度评审的时间和标准"
    )
    f.PlayStepFactory(
        play=play, title="Technical visit", title_zh="安排技术中心上门验证", due_on=today - timedelta(days=1)
    )
    return LayoutBook(customer=customer, ticket=ticket, play=play)
