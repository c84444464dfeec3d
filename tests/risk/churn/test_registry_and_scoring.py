"""The model registry (hash-checked artefacts, promotion, rollback) and nightly scoring in id ranges."""

import logging
import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from customers.models import CustomerTag, Tag, TimelineEvent
from risk.churn.models import ChurnModel, ChurnRunStatus, ChurnScore, ChurnScoringRange
from risk.churn.services import (
    ChurnArtefactRefusedError,
    churn_model_cache_clear,
    churn_model_load,
    churn_model_promote,
    churn_model_rollback,
    churn_model_store,
    churn_scoring_range_score,
    churn_scoring_run_inline,
    churn_scoring_run_start,
    churn_scoring_run_sweep,
)
from scrm.audit.models import AuditEvent
from scrm.core.exceptions import ApplicationError
from tests.conftest import World

pytestmark = pytest.mark.django_db


def scores() -> list[tuple[int, float, str, list[str], int]]:
    return list(
        ChurnScore.objects.order_by("customer_id").values_list("customer_id", "score", "band", "reasons", "model_id")
    )


def test_an_artefact_whose_bytes_changed_is_refused_logged_and_never_loaded(
    trained: ChurnModel, caplog: pytest.LogCaptureFixture
) -> None:
    path = trained.artefact.path
    with open(path, "r+b") as stored:
        stored.seek(-1, 2)
        last = stored.read(1)
        stored.seek(-1, 2)
        stored.write(bytes([last[0] ^ 1]))
    churn_model_cache_clear()

    with caplog.at_level(logging.ERROR, logger="risk.churn.services"), pytest.raises(ChurnArtefactRefusedError):
        churn_model_load(trained)

    assert "hash mismatch" in caplog.text
    assert f"version={trained.version}" in caplog.text


def test_an_artefact_with_its_recorded_hash_loads(trained: ChurnModel) -> None:
    loaded = churn_model_load(trained)

    assert loaded.features == tuple(trained.features)
    assert hasattr(loaded.model, "predict_proba")


def test_scoring_without_a_promoted_model_does_nothing(trained: ChurnModel) -> None:
    assert churn_scoring_run_start() is None
    assert ChurnScore.objects.count() == 0


def test_scoring_a_tampered_promoted_model_fails_the_range_and_writes_nothing(
    planted: World, trained: ChurnModel
) -> None:
    churn_model_promote(model=trained, actor=planted.hq_admin)
    ChurnModel.objects.filter(pk=trained.pk).update(artefact_sha256="0" * 64)
    run = churn_scoring_run_start(enqueue=False)
    range_id = run.ranges.get().pk

    with pytest.raises(ChurnArtefactRefusedError):
        churn_scoring_range_score(range_id=range_id)

    assert ChurnScore.objects.count() == 0
    assert ChurnScoringRange.objects.get(pk=range_id).done_at is None  # left for a retry


def test_every_customer_is_scored_with_the_promoted_model_and_twice_gives_the_same_scores(
    planted: World, trained: ChurnModel
) -> None:
    churn_model_promote(model=trained, actor=planted.hq_admin)

    first_run = churn_scoring_run_inline(range_size=100)
    first = scores()
    second_run = churn_scoring_run_inline(range_size=100)

    assert first_run.status == ChurnRunStatus.SUCCEEDED
    assert first_run.ranges_total > 1
    assert first_run.customers_scored == len(first) == ChurnScore.objects.count()
    assert len(first) > 500
    assert scores() == first
    assert second_run.customers_scored == len(first)
    assert {model_id for *_, model_id in first} == {trained.pk}
    bands = {band for _, _, band, _, _ in first}
    assert "high" in bands
    assert "low" in bands
    at_risk = [reasons for _, _, band, reasons, _ in first if band != "low"]
    assert all(1 <= len(reasons) <= 3 for reasons in at_risk)
    assert set().union(*at_risk) <= set(trained.features)


def test_a_range_scored_again_by_a_duplicate_task_is_left_as_it_is(planted: World, trained: ChurnModel) -> None:
    churn_model_promote(model=trained, actor=planted.hq_admin)
    run = churn_scoring_run_start(enqueue=False)
    range_id = run.ranges.get().pk
    churn_scoring_range_score(range_id=range_id)
    ChurnScore.objects.update(score=0.123)

    churn_scoring_range_score(range_id=range_id)

    assert set(ChurnScore.objects.values_list("score", flat=True)) == {0.123}
    run.refresh_from_db()
    assert run.ranges_done == 1


def test_high_and_medium_bands_carry_the_churn_tags_and_low_none(planted: World, trained: ChurnModel) -> None:
    churn_model_promote(model=trained, actor=planted.hq_admin)

    churn_scoring_run_inline()

    high = Tag.objects.get(code="churn_risk_high")
    medium = Tag.objects.get(code="churn_risk_medium")
    assert high.name == "流失预警·高"
    assert high.kind == "model"
    assert medium.name == "流失预警·中"
    tagged = dict(CustomerTag.objects.filter(tag__in=[high, medium]).values_list("customer_id", "tag__code"))
    banded = {
        customer_id: {"high": "churn_risk_high", "medium": "churn_risk_medium"}[band]
        for customer_id, band in ChurnScore.objects.exclude(band="low").values_list("customer_id", "band")
    }
    assert tagged == banded
    assert tagged
    assert set(CustomerTag.objects.filter(tag__in=[high, medium]).values_list("source", flat=True)) == {"model"}
    assert TimelineEvent.objects.filter(kind="tagged", data__source="model").count() == len(tagged)


def test_a_customer_whose_risk_fell_loses_the_tag_on_the_next_scoring(planted: World, trained: ChurnModel) -> None:
    churn_model_promote(model=trained, actor=planted.hq_admin)
    churn_scoring_run_inline()
    customer_id = ChurnScore.objects.filter(band="high").values_list("customer_id", flat=True).first()
    from django.test import override_settings

    with override_settings(CHURN_BAND_HIGH=2.0, CHURN_BAND_MEDIUM=1.5):
        churn_scoring_run_inline()

    assert not CustomerTag.objects.filter(customer_id=customer_id, tag__code__startswith="churn_risk").exists()


def test_promotion_and_rollback_are_audited_and_scoring_follows_the_promoted_model(
    planted: World, trained: ChurnModel
) -> None:
    from risk.churn.features import ChurnLabel

    newer = churn_model_store(
        result=_result_like(trained), label=ChurnLabel(horizon_days=60, aum_floor=1000), actor=planted.hq_admin
    )

    churn_model_promote(model=trained, actor=planted.hq_admin)
    churn_model_promote(model=newer, actor=planted.hq_admin)
    rolled_back_to = churn_model_rollback(actor=planted.hq_admin)

    assert rolled_back_to.pk == trained.pk
    assert list(ChurnModel.objects.filter(is_promoted=True).values_list("pk", flat=True)) == [trained.pk]
    trail = list(
        AuditEvent.objects.filter(action__startswith="churn.model_").exclude(action="churn.model_trained")
        .order_by("sequence").values_list("action", "data")
    )  # fmt: skip
    assert trail == [
        ("churn.model_promoted", {"version": trained.version, "previous_version": None}),
        ("churn.model_promoted", {"version": newer.version, "previous_version": trained.version}),
        ("churn.model_rolled_back", {"version": trained.version, "previous_version": newer.version}),
    ]
    run = churn_scoring_run_start(enqueue=False)
    assert run.model_id == trained.pk


def test_only_hq_admins_promote_or_roll_back(planted: World, trained: ChurnModel) -> None:
    for staff in (planted.branch_manager_bj, planted.rm_bj, planted.compliance):
        with pytest.raises(ApplicationError):
            churn_model_promote(model=trained, actor=staff)
        with pytest.raises(ApplicationError):
            churn_model_rollback(actor=staff)

    assert not ChurnModel.objects.filter(is_promoted=True).exists()
    assert not AuditEvent.objects.filter(action="churn.model_promoted").exists()


def _result_like(model: ChurnModel):
    """A training result for a second version, from the first one's stored artefact."""
    from risk.churn.training import ChurnMetrics, TrainingResult

    loaded = churn_model_load(model)
    return TrainingResult(
        model=loaded.model,
        features=loaded.features,
        medians=loaded.medians,
        parameters=model.parameters,
        window_start=model.window_start,
        window_end=model.window_end,
        split_on=model.split_on,
        train_rows=model.train_rows,
        train_positives=model.train_positives,
        test_rows=model.test_rows,
        test_positives=model.test_positives,
        metrics=ChurnMetrics(roc_auc=0.5, pr_auc=0.1, base_rate=0.1, top_decile_lift=1.0, calibration=()),
    )


@pytest.mark.django_db(transaction=True)
def test_a_range_held_by_a_live_worker_is_skipped_by_a_duplicate_and_the_sweep_but_handed_on_once_it_dies(
    planted: World, trained: ChurnModel
) -> None:
    churn_model_promote(model=trained, actor=planted.hq_admin)
    run = churn_scoring_run_start(enqueue=False)
    range_id = run.ranges.get().pk
    ChurnScoringRange.objects.filter(pk=range_id).update(started_at=timezone.now())
    holding, release = threading.Event(), threading.Event()

    def live_worker() -> None:
        try:
            with transaction.atomic():
                ChurnScoringRange.objects.select_for_update().get(pk=range_id)
                holding.set()
                release.wait(timeout=30)
                raise RuntimeError("worker died")  # its transaction rolls back, the range stays unscored
        except RuntimeError:
            pass
        finally:
            connection.close()

    worker = threading.Thread(target=live_worker)
    worker.start()
    assert holding.wait(timeout=10)
    churn_scoring_range_score(range_id=range_id)  # a duplicate: returns at once instead of waiting
    held = churn_scoring_run_sweep(queued_for=timedelta(0))
    release.set()
    worker.join(timeout=30)

    assert held == []
    assert not ChurnScore.objects.exists()
    assert churn_scoring_run_sweep(queued_for=timedelta(hours=1)) == [range_id]
