"""The demo's churn model: trained on the planted history, promoted, and every customer scored."""

from __future__ import annotations

from dataclasses import dataclass

from risk.churn.models import ChurnModel, ChurnScoringRun
from risk.churn.services import churn_model_promote, churn_model_train_and_store, churn_scoring_run_inline
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Staff

DEMO_DATA_SOURCE = "演示数据：植入流失信号的一年 AUM 快照与客户经理联系记录（customers.demo_history）"


@dataclass(frozen=True)
class DemoChurn:
    model: ChurnModel
    run: ChurnScoringRun | None


def demo_churn_model_create(*, actor: Staff) -> DemoChurn | None:
    """Train on the demo history, promote the model as ``actor`` (an HQ admin) and score everyone now.

    None when the bank is too small to train on (a handful of demo customers): the rest of
    the demo goes on without a model.
    """
    try:
        model = churn_model_train_and_store(actor=actor, data_source=DEMO_DATA_SOURCE)
    except ApplicationError:
        return None
    churn_model_promote(model=model, actor=actor)
    return DemoChurn(model=model, run=churn_scoring_run_inline())
