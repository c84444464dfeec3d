"""Writes for churn: train and store a model, promote or roll back, score every customer in id ranges.

Artefacts are joblib files in Django's storage. Loading one unpickles it, so it is loaded
only when its bytes still have the SHA-256 recorded when it was trained: a file that was
changed or swapped is refused, logged and never unpickled.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
from dataclasses import dataclass
from typing import Any

import joblib
import numpy as np
import pandas as pd
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from threadpoolctl import threadpool_limits

from customers.models import Tag, TagGroup, TagKind
from customers.tagging.services import customer_model_tags_set, tag_create, tag_group_create
from risk.audit import ComplianceAuditAction
from risk.churn.features import ChurnLabel, churn_features_for_range, churn_training_frame, customer_id_bounds
from risk.churn.models import (
    ChurnBand,
    ChurnModel,
    ChurnRunStatus,
    ChurnScoringRange,
    ChurnScoringRun,
)
from risk.churn.training import TrainingDataError, TrainingResult, churn_model_train, churn_predict, reasons_top
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Staff

logger = logging.getLogger(__name__)

CHURN_TAG_GROUP = "churn_risk"
CHURN_TAGS = {
    ChurnBand.HIGH: ("churn_risk_high", "流失预警·高", "#dc3545"),
    ChurnBand.MEDIUM: ("churn_risk_medium", "流失预警·中", "#fd7e14"),
}


class ChurnPermissionError(ApplicationError):
    status_code = 403


class ChurnArtefactRefusedError(ApplicationError):
    """The stored artefact is not the one that was trained (its hash differs), or is gone."""


# --- Training and the registry ------------------------------------------------------------


def churn_training_days(*, today: datetime.date) -> list[datetime.date]:
    """The sampled days, oldest first: every step back from the last day whose horizon has passed."""
    last = today - datetime.timedelta(days=settings.CHURN_HORIZON_DAYS)
    first = today - datetime.timedelta(days=settings.CHURN_TRAINING_HISTORY_DAYS)
    days = []
    day = last
    while day >= first:
        days.append(day)
        day -= datetime.timedelta(days=settings.CHURN_TRAINING_STEP_DAYS)
    return sorted(days)


def churn_model_train_and_store(
    *,
    actor: Staff | None,
    today: datetime.date | None = None,
    data_source: str = "",
    parameters: dict[str, Any] | None = None,
) -> ChurnModel:
    """Sample the history, train and evaluate (``training``), then register the model unpromoted."""
    today = today or timezone.localdate()
    label = ChurnLabel(horizon_days=settings.CHURN_HORIZON_DAYS, aum_floor=settings.CHURN_AUM_FLOOR)
    frame = churn_training_frame(
        as_of_days=churn_training_days(today=today), label=label, range_size=settings.CHURN_RANGE_SIZE
    )
    try:
        with threadpool_limits(limits=settings.CHURN_TRAINING_THREADS, user_api="openmp"):
            result = churn_model_train(frame, test_share=settings.CHURN_TEST_SHARE, parameters=parameters)
    except TrainingDataError as error:
        raise ApplicationError(
            _("Not enough history to train a churn model: %(reason)s") % {"reason": error}
        ) from error
    return churn_model_store(result=result, label=label, actor=actor, data_source=data_source)


@transaction.atomic
def churn_model_store(
    *, result: TrainingResult, label: ChurnLabel, actor: Staff | None, data_source: str = ""
) -> ChurnModel:
    """Register a trained model: its artefact in storage, its digest, parameters and metrics in a row."""
    buffer = io.BytesIO()
    joblib.dump({"model": result.model, "features": result.features, "medians": result.medians}, buffer)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    # Serialise version numbers: two trainings at once must not pick the same one.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('risk.churn.version'))")
    version = (ChurnModel.objects.aggregate(highest=Max("version"))["highest"] or 0) + 1
    model = ChurnModel(
        version=version,
        parameters=result.parameters,
        features=list(result.features),
        medians=list(result.medians),
        horizon_days=label.horizon_days,
        aum_floor=label.aum_floor,
        window_start=result.window_start,
        window_end=result.window_end,
        split_on=result.split_on,
        train_rows=result.train_rows,
        train_positives=result.train_positives,
        test_rows=result.test_rows,
        test_positives=result.test_positives,
        metrics=result.metrics.as_json(),
        data_source=data_source[:200],
        training_seconds=result.seconds,
        artefact_sha256=digest,
        trained_by=actor,
    )
    model.artefact.save(f"churn-v{version}-{digest[:12]}.joblib", ContentFile(data), save=False)
    model.save()
    audit_record(
        actor=actor.user if actor else None,
        action=ComplianceAuditAction.CHURN_MODEL_TRAINED,
        target=model,
        actor_username="" if actor else "system",
        data={
            "version": version,
            "sha256": digest,
            "roc_auc": result.metrics.roc_auc,
            "rows": result.train_rows + result.test_rows,
        },
    )
    logger.info(
        "churn model trained version=%s rows=%s roc_auc=%.3f seconds=%.1f",
        version,
        result.train_rows + result.test_rows,
        result.metrics.roc_auc,
        result.seconds,
    )
    return model


def _require_hq_admin(actor: Staff) -> None:
    from scrm.org.roles import Role

    if actor.role != Role.HQ_ADMIN:
        raise ChurnPermissionError(_("Only head office's admins promote or roll back churn models."))


@transaction.atomic
def churn_model_promote(*, model: ChurnModel, actor: Staff, request: HttpRequest | None = None) -> ChurnModel:
    """Make ``model`` the one scoring uses (HQ admins only), audited with the version it replaces."""
    _require_hq_admin(actor)
    return _promote(model=model, actor=actor, request=request, action=ComplianceAuditAction.CHURN_MODEL_PROMOTED)


@transaction.atomic
def churn_model_rollback(*, actor: Staff, request: HttpRequest | None = None) -> ChurnModel:
    """Promote again the model that was promoted before the current one."""
    _require_hq_admin(actor)
    # Lock the registry first, so two rollbacks at once do not both pick the same "previous".
    list(ChurnModel.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    previous = (
        ChurnModel.objects.filter(promoted_at__isnull=False).exclude(is_promoted=True).order_by("-promoted_at").first()
    )
    if previous is None:
        raise ApplicationError(_("No earlier promoted model to roll back to."))
    return _promote(model=previous, actor=actor, request=request, action=ComplianceAuditAction.CHURN_MODEL_ROLLED_BACK)


def _promote(*, model: ChurnModel, actor: Staff, request: HttpRequest | None, action: str) -> ChurnModel:
    # Lock every row: two promotions at once queue here rather than break the one-promoted constraint.
    rows = list(ChurnModel.objects.select_for_update().order_by("pk").values_list("pk", "version", "is_promoted"))
    current = next(((pk, version) for pk, version, promoted in rows if promoted), None)
    if current is not None and current[0] == model.pk:
        raise ApplicationError(_("Version %(version)s is already the promoted model.") % {"version": model.version})
    now = timezone.now()
    ChurnModel.objects.filter(is_promoted=True).update(is_promoted=False)
    ChurnModel.objects.filter(pk=model.pk).update(is_promoted=True, promoted_at=now, promoted_by=actor)
    model.refresh_from_db()
    audit_record(
        actor=actor.user,
        action=action,
        target=model,
        request=request,
        data={"version": model.version, "previous_version": current[1] if current else None},
    )
    return model


@dataclass(frozen=True)
class LoadedModel:
    model: Any
    features: tuple[str, ...]
    medians: tuple[float, ...]


_loaded: dict[tuple[int, str], LoadedModel] = {}


def churn_model_load(model: ChurnModel) -> LoadedModel:
    """The trained estimator, only if the stored bytes still have the recorded SHA-256."""
    key = (model.pk, model.artefact_sha256)
    if key in _loaded:
        return _loaded[key]
    try:
        with model.artefact.open("rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        logger.error("churn artefact missing version=%s", model.version)
        raise ChurnArtefactRefusedError(
            _("The stored file of churn model %(version)s is missing.") % {"version": model.version}
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != model.artefact_sha256:
        logger.error(
            "churn artefact refused: hash mismatch version=%s expected=%s found=%s",
            model.version,
            model.artefact_sha256,
            digest,
        )
        raise ChurnArtefactRefusedError(
            _("The stored file of churn model %(version)s is not the one trained; it was not loaded.")
            % {"version": model.version},
            extra={"version": model.version},
        )
    payload = joblib.load(io.BytesIO(data))
    loaded = LoadedModel(model=payload["model"], features=tuple(payload["features"]), medians=tuple(payload["medians"]))
    _loaded[key] = loaded
    return loaded


def churn_model_cache_clear() -> None:
    _loaded.clear()


# --- Tags -------------------------------------------------------------------------------------


@transaction.atomic
def churn_tags_ensure() -> tuple[TagGroup, dict[str, Tag]]:
    """The model tag group 流失预警 and its two tags, created through customers' tagging services once."""
    group = TagGroup.objects.filter(code=CHURN_TAG_GROUP).first()
    if group is None:
        group = tag_group_create(
            code=CHURN_TAG_GROUP,
            name="流失预警",
            description="由流失预测模型每晚评分生成",
            exclusive=True,
            sort_order=90,
        )
    tags = {}
    for band, (code, name, color) in CHURN_TAGS.items():
        tag = Tag.objects.filter(code=code).first()
        if tag is None:
            tag = tag_create(group=group, code=code, name=name, kind=TagKind.MODEL, color=color)
        tags[band.value] = tag
    return group, tags


# --- Scoring ----------------------------------------------------------------------------------


def churn_band_of(scores: np.ndarray) -> np.ndarray:
    return np.where(
        scores >= settings.CHURN_BAND_HIGH,
        ChurnBand.HIGH.value,
        np.where(scores >= settings.CHURN_BAND_MEDIUM, ChurnBand.MEDIUM.value, ChurnBand.LOW.value),
    )


@transaction.atomic
def churn_scoring_run_start(
    *, on: datetime.date | None = None, range_size: int | None = None, enqueue: bool = True
) -> ChurnScoringRun | None:
    """Score every customer with the promoted model: one run, one range task per id range. None without a model."""
    from risk.churn import tasks  # the tasks module imports this one

    model = ChurnModel.objects.filter(is_promoted=True).first()
    if model is None:
        logger.info("churn scoring skipped: no promoted model")
        return None
    churn_tags_ensure()
    range_size = range_size or settings.CHURN_RANGE_SIZE
    run = ChurnScoringRun.objects.create(model=model, scored_on=on or timezone.localdate())
    bounds = customer_id_bounds()
    ranges = []
    if bounds is not None:
        low, high = bounds
        ranges = [
            ChurnScoringRange(run=run, start_id=start, end_id=min(start + range_size - 1, high))
            for start in range(low, high + 1, range_size)
        ]
        ChurnScoringRange.objects.bulk_create(ranges)
    run.ranges_total = len(ranges)
    if not ranges:
        run.status, run.finished_at = ChurnRunStatus.SUCCEEDED, timezone.now()
    run.save(update_fields=["ranges_total", "status", "finished_at"])
    if enqueue:
        range_ids = list(run.ranges.values_list("id", flat=True))
        transaction.on_commit(lambda: [tasks.churn_scoring_range_task.delay(range_id) for range_id in range_ids])
    return run


_WRITE_SCORES_SQL = """
WITH scored AS (
    SELECT s.customer_id, s.score, s.band,
           CASE WHEN s.reasons = '' THEN '{}'::varchar[] ELSE string_to_array(s.reasons, ',')::varchar[] END AS reasons
    FROM unnest(%(customers)s::bigint[], %(scores)s::float8[], %(bands)s::text[], %(reasons)s::text[])
         AS s(customer_id, score, band, reasons)
),
stale AS (
    DELETE FROM risk_churnscore cs
    WHERE cs.customer_id BETWEEN %(low)s AND %(high)s
      AND NOT EXISTS (SELECT 1 FROM scored s WHERE s.customer_id = cs.customer_id)
),
written AS (
    INSERT INTO risk_churnscore AS cs (customer_id, model_id, run_id, score, band, reasons, scored_on, scored_at)
    SELECT s.customer_id, %(model)s, %(run)s, s.score, s.band, s.reasons, %(on)s, %(now)s
    FROM scored s JOIN customers_customer c ON c.id = s.customer_id
    ON CONFLICT (customer_id) DO UPDATE SET
        model_id = EXCLUDED.model_id, run_id = EXCLUDED.run_id, score = EXCLUDED.score, band = EXCLUDED.band,
        reasons = EXCLUDED.reasons, scored_on = EXCLUDED.scored_on, scored_at = EXCLUDED.scored_at
    RETURNING 1
)
SELECT count(*) FROM written
"""


def _range_lock(range_id: int) -> bool:
    """Lock the range if it is unscored and no other worker holds it (a duplicate skips, never waits)."""
    unscored = ChurnScoringRange.objects.select_for_update(skip_locked=True).filter(pk=range_id, done_at__isnull=True)
    return unscored.values_list("pk", flat=True).first() is not None


def churn_scoring_range_score(*, range_id: int) -> None:
    """Score one id range exactly once: features → predict → band and reasons → one write → tags.

    Claimed under a row lock in the same transaction as the writes: a retried or duplicate
    task finds it done or held and returns; a task that dies mid-way rolls back and leaves
    the range to its retry or the sweep.
    """
    with transaction.atomic():
        # Committed on its own: a range begun but not done once its worker's lock is gone
        # is a range whose worker died, which the sweep hands on.
        begun = _range_lock(range_id)
        if begun:
            ChurnScoringRange.objects.filter(pk=range_id).update(started_at=timezone.now())
    with transaction.atomic():
        claimed = begun and _range_lock(range_id)
        if claimed:
            ChurnScoringRange.objects.filter(pk=range_id).update(done_at=timezone.now())
        else:
            logger.info("churn range already scored or being scored range_id=%s", range_id)
            return
        scoring_range = ChurnScoringRange.objects.select_related("run__model").get(pk=range_id)
        run = scoring_range.run
        scored = churn_score_write(
            model=run.model, run=run, low=scoring_range.start_id, high=scoring_range.end_id, on=run.scored_on
        )
        ChurnScoringRange.objects.filter(pk=range_id).update(scored=scored)
        ChurnScoringRun.objects.filter(pk=run.pk).update(
            ranges_done=F("ranges_done") + 1, customers_scored=F("customers_scored") + scored
        )
        ChurnScoringRun.objects.filter(pk=run.pk, status=ChurnRunStatus.RUNNING, ranges_done=F("ranges_total")).update(
            status=ChurnRunStatus.SUCCEEDED, finished_at=timezone.now()
        )


@dataclass(frozen=True)
class RangeScores:
    """The scores of one id range, worked out but not yet written."""

    customer_ids: list[int]
    scores: np.ndarray
    bands: np.ndarray
    reasons: list[str]  # comma-joined feature names ("" for none)
    at_risk: np.ndarray  # row indexes in the high and medium bands


def churn_scores_compute(*, loaded: LoadedModel, frame: pd.DataFrame) -> RangeScores:
    """predict_proba, bands, and the top three reasons of the customers at risk (pure).

    One thread: scoring is spread over range workers (processes), and OpenMP threads in
    each of them would only fight over the same cores.
    """
    x = frame[list(loaded.features)].to_numpy(dtype=np.float64)
    with threadpool_limits(limits=1, user_api="openmp"):
        scores = churn_predict(loaded.model, x) if len(x) else np.empty(0)
        bands = churn_band_of(scores)
        at_risk = np.flatnonzero(bands != ChurnBand.LOW.value)
        # Reasons are what an RM acts on: worked out for the customers at risk only (most of the cost).
        top = reasons_top(loaded.model, x[at_risk], medians=loaded.medians) if len(at_risk) else None
    reasons = [""] * len(frame)
    if top is not None:
        for row, indexes in zip(at_risk.tolist(), top.tolist(), strict=True):
            reasons[row] = ",".join(loaded.features[index] for index in indexes if index >= 0)
    return RangeScores(
        customer_ids=frame["customer_id"].astype(np.int64).tolist(),
        scores=scores,
        bands=bands,
        reasons=reasons,
        at_risk=at_risk,
    )


def churn_scores_write(
    *, model: ChurnModel, run: ChurnScoringRun | None, low: int, high: int, on: datetime.date, scores: RangeScores
) -> int:
    """One statement for the range's scores (stale ones of the range go), then its 流失预警 tags."""
    with connection.cursor() as cursor:
        cursor.execute(
            _WRITE_SCORES_SQL,
            {
                "customers": scores.customer_ids,
                "scores": scores.scores.tolist(),
                "bands": scores.bands.tolist(),
                "reasons": scores.reasons,
                "low": low,
                "high": high,
                "model": model.pk,
                "run": run.pk if run else None,
                "on": on,
                "now": timezone.now(),
            },
        )
        (written,) = cursor.fetchone()
    group, tags = churn_tags_ensure()
    at_risk = scores.at_risk.tolist()
    customer_model_tags_set(
        group=group,
        id_range=(low, high),
        customer_ids=[scores.customer_ids[row] for row in at_risk],
        tag_ids=[tags[scores.bands[row]].pk for row in at_risk],
    )
    return int(written)


def churn_score_write(*, model: ChurnModel, run: ChurnScoringRun | None, low: int, high: int, on: datetime.date) -> int:
    """Score the customers with ids in [low, high] on ``on`` and write scores and tags; how many were scored."""
    loaded = churn_model_load(model)
    frame = churn_features_for_range(low=low, high=high, as_of=on, current=True)
    scores = churn_scores_compute(loaded=loaded, frame=frame)
    return churn_scores_write(model=model, run=run, low=low, high=high, on=on, scores=scores)


def churn_scoring_run_sweep(*, queued_for: datetime.timedelta = datetime.timedelta(hours=1)) -> list[int]:
    """Hand to a worker again every range whose task was lost or whose worker died; their ids.

    A range being scored is locked by its worker and skipped here; an unscored range is
    handed on once its run has waited ``queued_for`` (its task lost) or at once when a
    worker had begun it (its claim rolled back with the worker).
    """
    from risk.churn import tasks  # the tasks module imports this one

    with transaction.atomic():
        orphaned = list(
            ChurnScoringRange.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(run__status=ChurnRunStatus.RUNNING, done_at__isnull=True)
            .filter(Q(started_at__isnull=False) | Q(run__created_at__lt=timezone.now() - queued_for))
            .order_by("id")
            .values_list("id", flat=True)
        )
    for range_id in orphaned:
        tasks.churn_scoring_range_task.delay(range_id)
    if orphaned:
        logger.info("churn scoring sweep re-enqueued count=%s", len(orphaned))
    return orphaned


def churn_scoring_run_inline(
    *, on: datetime.date | None = None, range_size: int | None = None
) -> ChurnScoringRun | None:
    """Start a run and score every range in this process (the demo, management commands)."""
    run = churn_scoring_run_start(on=on, range_size=range_size, enqueue=False)
    if run is None:
        return None
    for range_id in run.ranges.order_by("start_id").values_list("id", flat=True):
        churn_scoring_range_score(range_id=range_id)
    run.refresh_from_db()
    return run
