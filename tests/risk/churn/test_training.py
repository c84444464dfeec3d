"""Training on the planted history: a time-based split, held-out metrics, a registered artefact."""

import datetime

import numpy as np
import pandas as pd
import pytest

from risk.churn.features import FEATURES
from risk.churn.models import ChurnModel
from risk.churn.training import TrainingDataError, churn_metrics, churn_model_train, reasons_top, time_split

pytestmark = pytest.mark.django_db

# The planted signal is strong; a model that finds it is well above this.
HELD_OUT_AUC_FLOOR = 0.75


def test_a_model_trained_on_the_planted_signal_ranks_held_out_leavers_well_above_chance(
    trained: ChurnModel,
) -> None:
    assert trained.metrics["roc_auc"] > HELD_OUT_AUC_FLOOR
    assert trained.metrics["top_decile_lift"] > 2
    assert trained.metrics["pr_auc"] > trained.metrics["base_rate"]
    assert [row["decile"] for row in trained.metrics["calibration"]] == list(range(1, 11))
    assert trained.split_on > trained.window_start
    assert trained.test_positives > 0
    assert trained.train_positives > 0
    assert trained.features == list(FEATURES)
    assert len(trained.artefact_sha256) == 64
    assert trained.is_promoted is False


def test_the_held_out_part_is_the_latest_days_and_holds_about_its_share() -> None:
    days = [pd.Timestamp(datetime.date(2026, month, 1)) for month in range(1, 9)]
    frame = pd.DataFrame({"as_of": np.repeat(days, 10), "left": [False, True] * 40})

    train, test, split_on = time_split(frame, test_share=0.25)

    assert split_on == datetime.date(2026, 7, 1)
    assert train["as_of"].max() < test["as_of"].min()
    assert len(test) == 20


def test_one_day_of_samples_cannot_be_split_by_time() -> None:
    frame = pd.DataFrame({"as_of": [pd.Timestamp("2026-01-01")] * 4, "left": [True, False, True, False]})

    with pytest.raises(TrainingDataError):
        churn_model_train(frame.assign(**dict.fromkeys(FEATURES, 0.0)))


def test_metrics_of_a_perfect_ranking_and_a_calibrated_table() -> None:
    labels = np.array([True] * 10 + [False] * 90)
    scores = np.linspace(1, 0, 100)

    metrics = churn_metrics(labels, scores)

    assert metrics.roc_auc == pytest.approx(1.0)
    assert metrics.top_decile_lift == pytest.approx(10.0)
    assert metrics.calibration[0].observed == 1.0
    assert metrics.calibration[-1].observed == 0.0


def test_reasons_name_the_features_that_raise_a_customers_risk() -> None:
    rng = np.random.default_rng(0)
    days = np.repeat([pd.Timestamp(f"2026-0{month}-01") for month in range(1, 7)], 400)
    frame = pd.DataFrame({feature: rng.normal(size=len(days)) for feature in FEATURES}).assign(as_of=days)
    # Only AUM change over 90 days and days since contact drive leaving.
    logit = -2 - 2.5 * frame["aum_change_90d"] + 2.0 * frame["days_since_contact"]
    frame["left"] = rng.random(len(frame)) < 1 / (1 + np.exp(-logit))
    result = churn_model_train(frame, parameters={"max_iter": 60})
    risky = np.zeros((1, len(FEATURES)))
    risky[0, FEATURES.index("aum_change_90d")] = -3.0
    risky[0, FEATURES.index("days_since_contact")] = 3.0

    top = reasons_top(result.model, risky, medians=result.medians)

    assert {FEATURES[index] for index in top[0][:2]} == {"aum_change_90d", "days_since_contact"}
