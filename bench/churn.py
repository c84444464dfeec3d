"""Churn: scoring every customer of the bench database, and training on 1,000,000 customers.

Scoring runs the product's path on the bench database's customers: a scoring run split
into id ranges, shared by ``BENCH_WORKERS`` processes, each range doing the feature
query, ``predict_proba`` with the reasons of the customers at risk, and the one write of
scores and 流失预警 tags. The feature query and the model are timed separately (summed
over the workers, so their sum is CPU-ish time, not wall time); the wall time is also
reported per 10 M customers (scaled linearly from the bench size, labelled so).

The bench database has no AUM history of its own, so three snapshots per customer (100,
40 and 5 days ago) are added once, set-based, so the feature query's history look-ups
do real work. The model that scores is trained on the bench customers' own features
(a 200,000-customer sample) with a synthesised label: the timing does not depend on
what the label means, only on the trees.

Training is measured on ``BENCH_CHURN_TRAIN_ROWS`` (default 1,000,000) synthesised
samples — features drawn at random with a planted logistic signal, ten sampled days
for the time-based split — through the product's ``churn_model_train`` (the same
calibrated gradient boosting, same parameters).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

TRAIN_ROWS = int(os.environ.get("BENCH_CHURN_TRAIN_ROWS", "1000000"))
SCORING_SAMPLE = 200_000
RANGE_SIZE = int(os.environ.get("BENCH_CHURN_RANGE_SIZE", "250000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
TEN_MILLION = 10_000_000


def _ensure_history() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customer c WHERE NOT EXISTS "
                       "(SELECT 1 FROM customers_aumsnapshot s WHERE s.customer_id = c.id)")  # fmt: skip
        (missing,) = cursor.fetchone()
        if missing:
            cursor.execute(
                """
                INSERT INTO customers_aumsnapshot (customer_id, as_of, aum)
                SELECT c.id, current_date - d.back, round(c.aum * (0.6 + 0.8 * random())::numeric, 2)
                FROM customers_customer c CROSS JOIN (VALUES (100), (40), (5)) AS d(back)
                WHERE NOT EXISTS (SELECT 1 FROM customers_aumsnapshot s WHERE s.customer_id = c.id)
                ON CONFLICT DO NOTHING
                """
            )
            cursor.execute("VACUUM ANALYZE customers_aumsnapshot")
    return int(missing)


def _scoring_model() -> Any:
    """A model trained on the bench customers' features, stored and promoted in the bench database."""
    import pandas as pd
    from django.utils import timezone

    from risk.churn.features import FEATURES, ChurnLabel, churn_features_for_range, customer_id_bounds
    from risk.churn.services import churn_model_promote, churn_model_store
    from risk.churn.training import churn_model_train
    from scrm.org.models import Staff

    bounds = customer_id_bounds()
    assert bounds is not None
    frame = churn_features_for_range(
        low=bounds[0], high=bounds[0] + SCORING_SAMPLE - 1, as_of=timezone.localdate(), current=True
    )
    rng = np.random.default_rng(11)
    aum = np.log1p(frame["aum"].to_numpy())
    silent = np.nan_to_num(frame["days_since_contact"].to_numpy(), nan=365.0)
    logit = -2.0 - 0.6 * (aum - aum.mean()) / (aum.std() or 1) + 0.8 * (silent - silent.mean()) / (silent.std() or 1)
    frame["left"] = rng.random(len(frame)) < 1 / (1 + np.exp(-logit))
    frame["as_of"] = pd.to_datetime(rng.choice(pd.date_range("2026-01-01", periods=4, freq="30D"), len(frame)))
    result = churn_model_train(frame, features=FEATURES)
    admin = Staff.objects.filter(role="hq_admin").order_by("id").first()
    model = churn_model_store(
        result=result, label=ChurnLabel(horizon_days=60, aum_floor=1000), actor=admin, data_source="bench"
    )
    if admin is not None:
        churn_model_promote(model=model, actor=admin)
    return model


def _warm(_: int) -> None:
    import django

    django.setup()


def _score_range(range_id: int) -> dict[str, float]:
    """One range, as the product's range task does it, with its three stages timed."""
    from django.db import transaction
    from django.utils import timezone

    from risk.churn.features import churn_features_for_range
    from risk.churn.models import ChurnScoringRange
    from risk.churn.services import churn_model_load, churn_scores_compute, churn_scores_write

    with transaction.atomic():
        ChurnScoringRange.objects.filter(pk=range_id).update(done_at=timezone.now())
        scoring_range = ChurnScoringRange.objects.select_related("run__model").get(pk=range_id)
        run = scoring_range.run
        loaded = churn_model_load(run.model)
        started = time.perf_counter()
        frame = churn_features_for_range(
            low=scoring_range.start_id, high=scoring_range.end_id, as_of=run.scored_on, current=True
        )
        queried = time.perf_counter()
        scores = churn_scores_compute(loaded=loaded, frame=frame)
        predicted = time.perf_counter()
        written = churn_scores_write(
            model=run.model, run=run, low=scoring_range.start_id, high=scoring_range.end_id, on=run.scored_on,
            scores=scores,
        )  # fmt: skip
        done = time.perf_counter()
    return {
        "features": queried - started,
        "predict": predicted - queried,
        "write": done - predicted,
        "customers": float(written),
        "at_risk": float(len(scores.at_risk)),
    }


def measure_scoring() -> list[dict[str, object]]:
    from customers.models import Customer
    from risk.churn.services import churn_scoring_run_start

    customers = Customer.objects.count()
    added = _ensure_history()
    model_started = time.perf_counter()
    model = _scoring_model()
    model_seconds = time.perf_counter() - model_started
    run = churn_scoring_run_start(range_size=RANGE_SIZE, enqueue=False)
    assert run is not None
    assert run.model_id == model.pk
    range_ids = list(run.ranges.order_by("start_id").values_list("id", flat=True))
    # Separate, already-running interpreters with their own connections, like Celery workers.
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_warm, range(WORKERS)))
        started = time.perf_counter()
        timings = list(pool.map(_score_range, range_ids))
        wall = time.perf_counter() - started
    scored = int(sum(t["customers"] for t in timings))
    per_ten_million = wall * TEN_MILLION / max(scored, 1)
    stage = {name: round(sum(t[name] for t in timings), 2) for name in ("features", "predict", "write")}
    return [
        {
            "name": "churn scoring, per 10 M customers",
            "value": round(per_ten_million, 1),
            "unit": "s",
            "target": "≤ 60 s for 10,000,000 customers",
            "met": per_ten_million <= 60,
            "detail": {
                "customers_scored": scored,
                "wall_seconds": round(wall, 2),
                "scaled_from": f"{scored:,} customers, linearly (ranges are independent)",
                "workers": WORKERS,
                "ranges": len(range_ids),
                "feature_query_seconds_summed": stage["features"],
                "predict_and_reasons_seconds_summed": stage["predict"],
                "write_and_tags_seconds_summed": stage["write"],
                "feature_query_per_10m_wall_s": round(stage["features"] / WORKERS * TEN_MILLION / max(scored, 1), 1),
                "predict_per_10m_wall_s": round(stage["predict"] / WORKERS * TEN_MILLION / max(scored, 1), 1),
                "at_risk_share": round(sum(t["at_risk"] for t in timings) / max(scored, 1), 3),
                "history_snapshots_added_for": added,
                "scoring_model_training_seconds": round(model_seconds, 1),
                "bench_customers": customers,
            },
        }
    ]


def measure_training() -> list[dict[str, object]]:
    import pandas as pd

    from risk.churn.features import FEATURES
    from risk.churn.training import churn_model_train

    rng = np.random.default_rng(5)
    x = rng.normal(size=(TRAIN_ROWS, len(FEATURES)))
    logit = -3.0 - 1.5 * x[:, FEATURES.index("aum_change_90d")] + 1.0 * x[:, FEATURES.index("days_since_contact")]
    frame = pd.DataFrame(x, columns=list(FEATURES)).assign(
        as_of=np.repeat(pd.date_range("2026-01-01", periods=10, freq="30D").to_numpy(), -(-TRAIN_ROWS // 10))[
            :TRAIN_ROWS
        ],
        left=rng.random(TRAIN_ROWS) < 1 / (1 + np.exp(-logit)),
    )
    started = time.perf_counter()
    result = churn_model_train(frame)
    seconds = time.perf_counter() - started
    return [
        {
            "name": f"churn training, {TRAIN_ROWS:,} customers",
            "value": round(seconds, 1),
            "unit": "s",
            "target": "≤ 300 s for 1,000,000 customers (synthesised features)",
            "met": seconds <= 300 if TRAIN_ROWS >= 1_000_000 else None,
            "detail": {
                "rows": TRAIN_ROWS,
                "features": len(FEATURES),
                "data": "synthesised: random features, planted logistic label, 10 sampled days",
                "held_out_roc_auc": round(result.metrics.roc_auc, 3),
                "parameters": result.parameters,
            },
        }
    ]
