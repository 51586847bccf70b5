"""The accounts app's data model, one module per domain, all re-exported here.

- `customers`: customers, their tier, status, owners and account team, churn reasons.
- `sales`: products, competitors, orders and delivery lines, price benchmarks, competitor
  intelligence (what we hear of competitors at a customer).
- `strategy`: purchase criteria, account plans, product needs, incentives.
- `risk`: risk model versions, nightly snapshots, manual overrides, alerts, job runs, model
  quality runs.
- `exports`: background XLSX exports of the customer list and their files.
- `account_data`: dated relationship-level changes, churn and win-back records, handovers.
- `portfolio`: the executive dashboard's nightly Pareto snapshots, summaries and digest sends.

Records the churn-risk scorer reads are effective-dated (ordered_on, observed_on, assessed_on,
identified_on, starts_on, noted_on…), so that risk can be computed as of any past date.
"""

from .account_data import ChurnEvent, Handover, HandoverItem, LockIn, RelationshipLevelChange
from .customers import (
    CONTROLLABLE_CHURN_REASONS,
    ChurnReason,
    Customer,
    CustomerQuerySet,
    CustomerStatus,
    Industry,
    Region,
    RelationshipLevel,
    Tier,
)
from .exports import ExportJob
from .portfolio import DigestSend, ParetoSnapshot, PortfolioSummary, SummaryGrain
from .risk import (
    MAX_OVERRIDE_DAYS,
    Alert,
    AlertKind,
    AlertQuerySet,
    BacktestRun,
    RiskBand,
    RiskModelVersion,
    RiskOverride,
    RiskRun,
    RiskSnapshot,
    RiskStanding,
    ScoringChunk,
)
from .sales import Competitor, CompetitorIntel, DeliveryLine, Order, PriceBenchmark, Product
from .strategy import AccountPlan, Incentive, ProductNeed, PurchaseCriterion

__all__ = [
    "CONTROLLABLE_CHURN_REASONS",
    "ChurnEvent",
    "Handover",
    "HandoverItem",
    "LockIn",
    "RelationshipLevelChange",
    "AccountPlan",
    "Alert",
    "AlertKind",
    "AlertQuerySet",
    "BacktestRun",
    "ChurnReason",
    "Competitor",
    "CompetitorIntel",
    "Customer",
    "CustomerQuerySet",
    "CustomerStatus",
    "DeliveryLine",
    "DigestSend",
    "ExportJob",
    "Incentive",
    "Industry",
    "MAX_OVERRIDE_DAYS",
    "Order",
    "ParetoSnapshot",
    "PortfolioSummary",
    "PriceBenchmark",
    "Product",
    "ProductNeed",
    "PurchaseCriterion",
    "Region",
    "RelationshipLevel",
    "RiskBand",
    "RiskModelVersion",
    "RiskOverride",
    "RiskRun",
    "RiskSnapshot",
    "RiskStanding",
    "ScoringChunk",
    "SummaryGrain",
    "Tier",
]
