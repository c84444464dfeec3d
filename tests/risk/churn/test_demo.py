"""The demo bank comes with a churn model trained on its planted history, and every customer scored."""

from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import AumSnapshot, Customer, CustomerTag
from risk.churn.models import ChurnModel, ChurnScore

pytestmark = pytest.mark.django_db

# The planted signal is strong but not perfect; a model that finds it is well above this.
DEMO_AUC_FLOOR = 0.7


def test_the_demo_trains_and_promotes_a_model_well_above_chance_and_scores_and_tags_everyone() -> None:
    out = StringIO()
    call_command("seed_demo", customers=600, seed=20261203, stdout=out)

    model = ChurnModel.objects.get(is_promoted=True)
    assert model.metrics["roc_auc"] > DEMO_AUC_FLOOR
    assert model.data_source.startswith("演示数据")
    assert model.test_positives > 0
    assert AumSnapshot.objects.count() > 600 * 10
    assert ChurnScore.objects.count() == Customer.objects.count()
    high = set(ChurnScore.objects.filter(band="high").values_list("customer_id", flat=True))
    assert high
    assert high == set(CustomerTag.objects.filter(tag__code="churn_risk_high").values_list("customer_id", flat=True))
    assert "Trained and promoted churn model v1" in out.getvalue()


def test_a_demo_too_small_to_train_on_still_seeds() -> None:
    call_command("seed_demo", customers=5, seed=1, stdout=StringIO())

    assert Customer.objects.count() == 5
    assert not ChurnModel.objects.exists()
