"""Churn prediction (risk.churn): what counts as leaving, how training samples history, how scores band."""

from scrm.settings.environment import env

# The label: a customer "left" when, within this many days after a day, their AUM fell
# below the floor (having been at or above it) or a WeCom relation with them ended.
CHURN_HORIZON_DAYS: int = env.int("CHURN_HORIZON_DAYS", default=60)
CHURN_AUM_FLOOR: int = env.int("CHURN_AUM_FLOOR", default=1_000)
# Training samples the customers as they were on days this far apart, over this much history;
# the latest share of those days is held out (a time-based split).
CHURN_TRAINING_HISTORY_DAYS: int = env.int("CHURN_TRAINING_HISTORY_DAYS", default=360)
CHURN_TRAINING_STEP_DAYS: int = env.int("CHURN_TRAINING_STEP_DAYS", default=30)
CHURN_TEST_SHARE: float = env.float("CHURN_TEST_SHARE", default=0.25)
# Scores at or above these probabilities band high (流失预警·高) and medium (流失预警·中).
CHURN_BAND_HIGH: float = env.float("CHURN_BAND_HIGH", default=0.5)
CHURN_BAND_MEDIUM: float = env.float("CHURN_BAND_MEDIUM", default=0.25)
# OpenMP threads for training. Threads that share busy cores (the database, the web and the
# other workers on one host) spin waiting for each other: on two shared cores a 20,000-row fit
# took 100 s with two threads and 7 s with one. Raise it on a host that trains alone.
CHURN_TRAINING_THREADS: int = env.int("CHURN_TRAINING_THREADS", default=1)
# Customer ids per scoring range task.
CHURN_RANGE_SIZE: int = env.int("CHURN_RANGE_SIZE", default=250_000)

if not 0 < CHURN_BAND_MEDIUM < CHURN_BAND_HIGH < 1:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("CHURN_BAND_MEDIUM must be above 0 and below CHURN_BAND_HIGH, which must be below 1.")
