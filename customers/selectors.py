"""Reads of customer data. Every query starts from ``Customer.objects.visible_to``."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from customers.models import Customer


def customer_list_visible(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Customer]:
    return Customer.objects.visible_to(user)


def customer_count_visible(*, user: AbstractBaseUser | AnonymousUser) -> int:
    return Customer.objects.visible_to(user).count()
