"""Purchase criteria: who meets each of the customer's criteria, weighted by its importance."""

from datetime import date

from ..parameters import CriteriaParameters
from ..reasons import make_reason
from ..signals import CriterionSignal, CustomerData, intel_evidence
from .mix import MISSING, FactorResult, iso


def situation_of(row: CriterionSignal) -> str:
    """Who meets a criterion: only a competitor ("alarm"), a competitor and we ("caution"), only we
    ("safe") or nobody ("gap")."""
    if row.competitor_meets and not row.we_meet:
        return "alarm"
    if row.competitor_meets:
        return "caution"
    return "safe" if row.we_meet else "gap"


def score(d: CustomerData, as_of: date, p: CriteriaParameters, max_items: int) -> FactorResult:
    rows = d.criteria
    if not rows:
        return MISSING
    situation_risk = p.situation_risk
    total_importance = sum([row.importance for row in rows]) or 1
    counts = {"safe": 0, "caution": 0, "alarm": 0, "gap": 0}
    points = {"caution": 0.0, "gap": 0.0}
    names: dict[str, list[str]] = {"caution": [], "gap": []}
    reasons = []
    risk = 0.0
    evidence = intel_evidence(d)
    for row in rows:
        situation = situation_of(row)
        counts[situation] += 1
        contribution = row.importance * float(situation_risk[situation]) / total_importance
        risk += contribution
        if situation == "alarm":
            reason = make_reason(
                "criterion_alarm",
                criterion=row.criterion,
                competitor=row.competitor_name,
                importance=row.importance,
                assessed_on=iso(row.assessed_on),
                **evidence,
            )
            reasons.append((contribution, reason))
        elif situation in points:
            points[situation] += contribution
            names[situation].append(row.criterion)
    for situation, code in (("caution", "criteria_caution"), ("gap", "criteria_unmet")):
        if points[situation] > 0:
            reason = make_reason(code, count=counts[situation], criteria=names[situation][:max_items], **evidence)
            reasons.append((points[situation], reason))
    signals = {"criteria": [{"assessed": len(rows), **counts}, round(risk, 1)]}
    return FactorResult(risk, signals, [r for r in reasons if r[0] > 0])
