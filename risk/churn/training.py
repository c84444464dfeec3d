"""Training and evaluating the churn model: pure functions, a DataFrame in, a frozen result out.

The model is scikit-learn's ``HistGradientBoostingClassifier`` (handles missing values
and unscaled features natively) wrapped in ``CalibratedClassifierCV`` (isotonic, one
final model on all the training rows, calibrated on cross-validated predictions), so a
score of 0.3 means about 30 % of such customers leave.

The split is by time: the samples are the customers as they were on several days; the
latest days (about ``test_share`` of the rows) are held out, so the metrics say how a
model trained on the past does on a later period, as it will in production.

Reasons (``reasons_top``): for each customer and feature, how much the model's log-odds
fall when that feature alone is replaced by its training median. The three largest
positive differences are the features that push this customer's risk up the most. It is
a simple, documented stand-in for SHAP: exact for a model additive in its features,
an approximation where features interact.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

from risk.churn.features import FEATURES, LABEL_COLUMN

DEFAULT_PARAMETERS: dict[str, Any] = {
    "max_iter": 150,
    "learning_rate": 0.1,
    "max_leaf_nodes": 31,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "calibration": "isotonic",
    "calibration_folds": 3,
    "random_state": 0,
}


class TrainingDataError(ValueError):
    """The samples cannot train a model (too few days, one class only)."""


@dataclass(frozen=True)
class CalibrationBin:
    decile: int
    rows: int
    predicted: float
    observed: float


@dataclass(frozen=True)
class ChurnMetrics:
    roc_auc: float
    pr_auc: float
    base_rate: float
    top_decile_lift: float
    calibration: tuple[CalibrationBin, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "roc_auc": self.roc_auc,
            "pr_auc": self.pr_auc,
            "base_rate": self.base_rate,
            "top_decile_lift": self.top_decile_lift,
            "calibration": [bin_.__dict__ for bin_ in self.calibration],
        }


@dataclass(frozen=True)
class TrainingResult:
    model: CalibratedClassifierCV
    features: tuple[str, ...]
    medians: tuple[float, ...]
    parameters: dict[str, Any]
    window_start: datetime.date
    window_end: datetime.date
    split_on: datetime.date  # the first held-out day
    train_rows: int
    train_positives: int
    test_rows: int
    test_positives: int
    metrics: ChurnMetrics
    seconds: float = field(default=0.0)


def time_split(frame: pd.DataFrame, *, test_share: float) -> tuple[pd.DataFrame, pd.DataFrame, datetime.date]:
    """The earlier days for training and the latest days (at least ``test_share`` of rows) held out."""
    days = np.sort(frame["as_of"].unique())
    if len(days) < 2:
        raise TrainingDataError("Training needs samples from at least two days for a time-based split.")
    rows_per_day = frame.groupby("as_of").size().reindex(days).to_numpy()
    # Walk back from the latest day until the held-out part has its share; keep a day for training.
    held, split_index = 0, len(days)
    while split_index > 1 and held < test_share * len(frame):
        split_index -= 1
        held += int(rows_per_day[split_index])
    split_on = pd.Timestamp(days[split_index])
    return frame[frame["as_of"] < split_on], frame[frame["as_of"] >= split_on], split_on.date()


def churn_metrics(labels: npt.NDArray[np.bool_], scores: npt.NDArray[np.float64]) -> ChurnMetrics:
    """ROC AUC, PR AUC, top-decile lift and a calibration table by score decile."""
    if labels.all() or not labels.any():
        raise TrainingDataError("The held-out part needs both customers who left and customers who stayed.")
    base_rate = float(labels.mean())
    order = np.argsort(-scores, kind="stable")
    deciles = np.array_split(order, 10)
    top = deciles[0]
    calibration = tuple(
        CalibrationBin(
            decile=index + 1,
            rows=len(members),
            predicted=float(scores[members].mean()) if len(members) else 0.0,
            observed=float(labels[members].mean()) if len(members) else 0.0,
        )
        for index, members in enumerate(deciles)
    )
    return ChurnMetrics(
        roc_auc=float(roc_auc_score(labels, scores)),
        pr_auc=float(average_precision_score(labels, scores)),
        base_rate=base_rate,
        top_decile_lift=float(labels[top].mean() / base_rate) if len(top) else 0.0,
        calibration=calibration,
    )


def churn_model_train(
    frame: pd.DataFrame,
    *,
    test_share: float = 0.25,
    parameters: dict[str, Any] | None = None,
    features: tuple[str, ...] = FEATURES,
) -> TrainingResult:
    """Train on the earlier days of ``frame`` (features, ``left`` and ``as_of``), evaluate on the latest."""
    import time

    started = time.perf_counter()
    parameters = DEFAULT_PARAMETERS | (parameters or {})
    train, test, split_on = time_split(frame, test_share=test_share)
    y_train = train[LABEL_COLUMN].to_numpy(dtype=bool)
    if y_train.all() or not y_train.any():
        raise TrainingDataError("The training part needs both customers who left and customers who stayed.")
    x_train = train[list(features)].to_numpy(dtype=np.float64, copy=True)
    # A feature no training row has (no holdings at all, say) cannot be binned: make it constant.
    x_train[:, np.isnan(x_train).all(axis=0)] = 0.0
    model = CalibratedClassifierCV(
        HistGradientBoostingClassifier(
            max_iter=parameters["max_iter"],
            learning_rate=parameters["learning_rate"],
            max_leaf_nodes=parameters["max_leaf_nodes"],
            min_samples_leaf=parameters["min_samples_leaf"],
            l2_regularization=parameters["l2_regularization"],
            early_stopping=False,
            random_state=parameters["random_state"],
        ),
        method=parameters["calibration"],
        cv=parameters["calibration_folds"],
        ensemble=False,
    )
    model.fit(x_train, y_train)
    y_test = test[LABEL_COLUMN].to_numpy(dtype=bool)
    scores = churn_predict(model, test[list(features)].to_numpy(dtype=np.float64))
    metrics = churn_metrics(y_test, scores)
    medians = np.nanmedian(x_train, axis=0)
    return TrainingResult(
        model=model,
        features=tuple(features),
        medians=tuple(float(0.0 if np.isnan(value) else value) for value in medians),
        parameters=parameters,
        window_start=pd.Timestamp(frame["as_of"].min()).date(),
        window_end=pd.Timestamp(frame["as_of"].max()).date(),
        split_on=split_on,
        train_rows=len(train),
        train_positives=int(y_train.sum()),
        test_rows=len(test),
        test_positives=int(y_test.sum()),
        metrics=metrics,
        seconds=time.perf_counter() - started,
    )


def _raw_score(model: CalibratedClassifierCV, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The boosted trees' log-odds before calibration (calibration is monotone, so it ranks the same)."""
    estimator = model.calibrated_classifiers_[0].estimator
    return np.asarray(estimator.decision_function(x), dtype=np.float64)


# Isotonic calibration is a step function that reaches 0 and 1 at the extremes; nobody is
# certain to leave or to stay, so a score stays inside these bounds.
SCORE_BOUNDS = (0.001, 0.999)


def churn_predict(model: CalibratedClassifierCV, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The calibrated probability of leaving within the horizon, per row."""
    return np.clip(np.asarray(model.predict_proba(x)[:, 1], dtype=np.float64), *SCORE_BOUNDS)


def reasons_top(
    model: CalibratedClassifierCV,
    x: npt.NDArray[np.float64],
    *,
    medians: tuple[float, ...],
    top: int = 3,
) -> npt.NDArray[np.int64]:
    """Per row, the indexes of the ``top`` features that raise the risk most (-1 where fewer do)."""
    if len(x) == 0:
        return np.empty((0, top), dtype=np.int64)
    base = _raw_score(model, x)
    contributions = np.empty((len(x), x.shape[1]), dtype=np.float64)
    work = x.copy()
    for index, median in enumerate(medians):
        work[:, index] = median
        contributions[:, index] = base - _raw_score(model, work)
        work[:, index] = x[:, index]
    order = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
    chosen = np.take_along_axis(contributions, order, axis=1)
    return np.where(chosen > 1e-9, order, -1).astype(np.int64)
