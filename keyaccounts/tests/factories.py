"""factory_boy factories for every business model, shared by all apps' tests."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import models as am
from accounts.permissions import ROLE_ACCOUNT_MANAGER, ROLE_EXECUTIVE, ROLE_SERVICE_DESK
from complaints import models as cm
from plays import models as pm
from relationships import models as rm

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.groups.add(Group.objects.get(name=extracted))


def account_manager(username: str, **kwargs):
    return UserFactory(username=username, role=ROLE_ACCOUNT_MANAGER, **kwargs)


def executive(username: str = "erin", **kwargs):
    return UserFactory(username=username, role=ROLE_EXECUTIVE, **kwargs)


def service_desk(username: str = "sam", **kwargs):
    return UserFactory(username=username, role=ROLE_SERVICE_DESK, **kwargs)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Customer
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"C{n:06d}")
    name = factory.Sequence(lambda n: f"Customer {n}")
    industry = am.Industry.MANUFACTURING
    region = am.Region.EAST
    owner = factory.SubFactory(UserFactory)
    relationship_level = am.RelationshipLevel.SERVICE_NETWORK
    customer_since = date(2020, 1, 1)

    @factory.post_generation
    def team(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.account_team.add(*extracted)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = "Components"


class CompetitorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Competitor

    name = factory.Sequence(lambda n: f"Competitor {n}")


class CompetitorIntelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.CompetitorIntel

    customer = factory.SubFactory(CustomerFactory)
    competitor = factory.SubFactory(CompetitorFactory)
    noted_on = date(2026, 1, 10)
    kind = am.CompetitorIntel.Kind.PRICE_MOVE
    confidence = am.CompetitorIntel.Confidence.MEDIUM
    note = factory.Sequence(lambda n: f"Heard at the canteen, item {n}")


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Order

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"SO-{n:08d}")
    ordered_on = date(2026, 1, 15)
    amount = Decimal("10000.00")


class DeliveryLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.DeliveryLine

    order = factory.SubFactory(OrderFactory)
    line_no = factory.Sequence(lambda n: n % 30000 + 1)
    product = factory.SubFactory(ProductFactory)
    quantity_ordered = Decimal("100")
    quantity_delivered = Decimal("100")
    promised_on = factory.LazyAttribute(lambda o: o.order.ordered_on + timedelta(days=14))
    delivered_on = factory.LazyAttribute(lambda o: o.promised_on)


class PriceBenchmarkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.PriceBenchmark

    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    observed_on = date(2026, 1, 1)
    our_price = Decimal("100.00")
    market_average_price = Decimal("100.00")


class PurchaseCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.PurchaseCriterion

    customer = factory.SubFactory(CustomerFactory)
    criterion = factory.Sequence(lambda n: f"Criterion {n}")
    importance = 3
    we_meet = True
    competitor_meets = False
    assessed_on = date(2026, 1, 1)


class AccountPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.AccountPlan

    customer = factory.SubFactory(CustomerFactory)
    customer_strategy = "Expand into electric drivetrains"
    our_actions = "Co-develop the new motor housing"
    reviewed_on = date(2026, 1, 1)


class ProductNeedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.ProductNeed

    customer = factory.SubFactory(CustomerFactory)
    description = factory.Sequence(lambda n: f"Need {n}")
    status = am.ProductNeed.Status.UNMET
    identified_on = date(2026, 1, 1)


class IncentiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Incentive

    customer = factory.SubFactory(CustomerFactory)
    kind = am.Incentive.Kind.REBATE
    value = Decimal("5000")
    starts_on = date(2026, 1, 1)
    ends_on = date(2026, 12, 31)


class RiskModelVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.RiskModelVersion

    version = factory.Sequence(lambda n: n + 100)
    weights = factory.LazyFunction(lambda: {"purchase_trend": 20, "relationship": 20})


class RiskSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.RiskSnapshot

    customer = factory.SubFactory(CustomerFactory)
    as_of = date(2026, 1, 31)
    model_version = factory.SubFactory(RiskModelVersionFactory)
    score = 42.0
    computed_band = am.RiskBand.AMBER
    band = am.RiskBand.AMBER
    completeness = 0.9


class RiskStandingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.RiskStanding

    customer = factory.SubFactory(CustomerFactory)
    as_of = date(2026, 1, 31)
    band = am.RiskBand.AMBER
    score = 42.0
    rank_score = 42.0


class RiskOverrideFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.RiskOverride

    customer = factory.SubFactory(CustomerFactory)
    band = am.RiskBand.RED
    reason = "Purchasing manager is leaving for a competitor"
    set_by = factory.SubFactory(UserFactory)
    starts_on = date(2026, 1, 1)
    expires_on = date(2026, 2, 1)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.Alert

    customer = factory.SubFactory(CustomerFactory)
    kind = am.AlertKind.NEW_RED
    as_of = date(2026, 1, 31)


class BacktestRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.BacktestRun

    model_version = factory.SubFactory(RiskModelVersionFactory)
    start = date(2025, 1, 31)
    end = date(2025, 12, 31)
    horizon_days = 180


class RiskRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.RiskRun

    job = am.RiskRun.Job.NIGHTLY
    as_of = date(2026, 1, 31)
    started_at = factory.LazyFunction(timezone.now)


class ParetoSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.ParetoSnapshot

    as_of = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))
    customers = 100
    key_customers = 20
    cutoff_revenue = 1_000_000
    total_revenue = 50_000_000
    key_revenue_share = 0.8


class PortfolioSummaryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.PortfolioSummary

    as_of = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))
    grain = am.SummaryGrain.ALL
    tier = am.Tier.KEY
    customers = 3
    green, amber, red = 1, 1, 1
    revenue = 600
    green_revenue, amber_revenue, red_revenue = 100, 200, 300


class DigestSendFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.DigestSend

    user = factory.SubFactory(UserFactory)
    week = factory.Sequence(lambda n: date(2026, 1, 5) + timedelta(weeks=n))
    as_of = factory.LazyAttribute(lambda o: o.week - timedelta(days=1))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    title = "Purchasing manager"
    department = rm.Department.PROCUREMENT
    buying_role = rm.BuyingRole.DECISION_MAKER
    joined_on = date(2020, 1, 1)


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Interaction

    customer = factory.SubFactory(CustomerFactory)
    occurred_on = date(2026, 1, 10)
    kind = rm.InteractionKind.VISIT
    subject = "Quarterly visit"


class CadenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = rm.Cadence

    customer = factory.SubFactory(CustomerFactory)
    name = "Quarterly executive meeting"
    interaction_kind = rm.InteractionKind.EXECUTIVE_MEETING
    interval_days = 90
    starts_on = date(2025, 1, 1)


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    """The policy of a tier and severity with the given targets. A migration seeds one policy per
    tier and severity, so this sets the targets of that row rather than adding a second one."""

    class Meta:
        model = cm.SlaPolicy

    tier = am.Tier.KEY
    severity = cm.Severity.HIGH
    response_hours = 24
    resolution_hours = 72

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        tier, severity = kwargs.pop("tier"), kwargs.pop("severity")
        policy, _created = model_class.objects.update_or_create(tier=tier, severity=severity, defaults=kwargs)
        return policy


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Ticket

    customer = factory.SubFactory(CustomerFactory)
    kind = cm.Ticket.Kind.COMPLAINT
    category = cm.Ticket.Category.PRODUCT_QUALITY
    severity = cm.Severity.HIGH
    channel = cm.Ticket.Channel.HOTLINE
    subject = factory.Sequence(lambda n: f"Ticket {n}")
    opened_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=2))


class ComplaintMonthFactory(factory.django.DjangoModelFactory):
    """A customer's stored analytics row (complaints.monthly writes the real ones)."""

    class Meta:
        model = cm.ComplaintMonth

    month = date(2026, 1, 1)
    customer = factory.SubFactory(CustomerFactory)
    kind = cm.Ticket.Kind.COMPLAINT
    department = cm.Ticket.Department.SERVICE
    severity = cm.Severity.LOW
    category = cm.Ticket.Category.SERVICE
    tickets = customer_tickets = 1
    computed_at = factory.LazyFunction(timezone.now)


class TicketEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    at = factory.LazyAttribute(lambda o: o.ticket.opened_at)
    kind = cm.TicketEvent.Kind.COMMENT
    comment = "Called the customer back"


class DepartmentHeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.DepartmentHead

    department = cm.Ticket.Department.PRODUCTION
    user = factory.SubFactory(UserFactory)


class TicketEscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.TicketEscalation

    ticket = factory.SubFactory(TicketFactory)
    step = cm.EscalationStep.ASSIGNEE
    reason = cm.TicketEscalation.Reason.RESPONSE_NEAR
    at = factory.LazyAttribute(lambda o: o.ticket.opened_at + timedelta(hours=20))
    due_at = factory.LazyAttribute(lambda o: o.ticket.opened_at + timedelta(hours=24))


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = cm.Notification

    recipient = factory.SubFactory(UserFactory)
    kind = cm.Notification.Kind.MESSAGE
    params = factory.LazyFunction(lambda: {"text": "The customer called about the late rotors"})
    created_at = factory.LazyFunction(timezone.now)


class ExportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.ExportJob

    owner = factory.SubFactory(UserFactory)
    query = "band=red"
    language = "en"


class ScoringChunkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.ScoringChunk

    run = factory.LazyFunction(uuid.uuid4)
    as_of = factory.LazyFunction(timezone.localdate)
    model_version = factory.SubFactory(RiskModelVersionFactory)
    first_id = 0
    last_id = 4999
    state = am.ScoringChunk.State.RUNNING
    claimed_by = "worker-1:4242:1"
    claimed_at = factory.LazyFunction(timezone.now)


class RelationshipLevelChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.RelationshipLevelChange

    customer = factory.SubFactory(CustomerFactory)
    from_level = am.RelationshipLevel.PRICE
    to_level = am.RelationshipLevel.SERVICE_NETWORK
    effective_on = date(2025, 6, 1)
    reason = "Service agreement signed"
    recorded_by = factory.SubFactory(UserFactory)


class ChurnEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.ChurnEvent

    customer = factory.SubFactory(CustomerFactory)
    kind = am.ChurnEvent.Kind.CHURNED
    happened_on = date(2025, 6, 1)
    reason = am.ChurnReason.COMPETITOR_PRICE
    lost_revenue = Decimal("100000")
    recorded_by = factory.SubFactory(UserFactory)


class HandoverFactory(factory.django.DjangoModelFactory):
    """A pending handover record (nothing applied): `accounts.services.handover_create` applies them."""

    class Meta:
        model = am.Handover

    leaver = factory.SubFactory(UserFactory)
    effective_on = date(2099, 1, 1)
    created_by = factory.SubFactory(UserFactory)


class HandoverItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = am.HandoverItem

    handover = factory.SubFactory(HandoverFactory)
    customer = factory.SubFactory(CustomerFactory)
    successor = factory.SubFactory(UserFactory)


class PlaybookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.Playbook
        django_get_or_create = ("trigger",)

    trigger = pm.Trigger.NEW_RED
    name = "Rescue a newly red account"
    name_zh = "挽救新转红的客户"
    countermeasure = 7


class PlaybookStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PlaybookStep

    playbook = factory.SubFactory(PlaybookFactory)
    day_offset = 3
    title = "Call the customer's general manager"
    title_zh = "致电客户总经理"


class PlayFactory(factory.django.DjangoModelFactory):
    """An open play opened by hand today, due in two weeks, owned by the customer's owner."""

    class Meta:
        model = pm.Play

    customer = factory.SubFactory(CustomerFactory)
    title = "Meet the new purchasing director"
    countermeasure = 1
    owner = factory.SelfAttribute("customer.owner")
    opened_on = factory.LazyFunction(lambda: timezone.localdate())
    due_on = factory.LazyAttribute(lambda o: o.opened_on + timedelta(days=14))


class PlayStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = pm.PlayStep

    play = factory.SubFactory(PlayFactory)
    title = "Call the buyer"
    assignee = factory.SelfAttribute("play.owner")
    due_on = factory.LazyAttribute(lambda o: o.play.opened_on + timedelta(days=3))
