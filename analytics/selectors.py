"""Dashboard figures, each computed inside the viewer's data scope."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from customers.selectors import customer_count_visible
from scrm.org.selectors import branch_list_visible, staff_list_visible


@dataclass(frozen=True)
class HomeSummary:
    customers: int
    staff: int
    branches: int


def home_summary(*, user: AbstractBaseUser | AnonymousUser) -> HomeSummary:
    return HomeSummary(
        customers=customer_count_visible(user=user),
        staff=staff_list_visible(user=user).count(),
        branches=branch_list_visible(user=user).count(),
    )
