import secrets
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from campaigns.demo import demo_campaign_segment_create, demo_scripts_create
from customers.demo import demo_customers_create
from customers.demo_history import demo_aum_history_create
from customers.tagging.demo import demo_tags_create
from risk.churn.demo import demo_churn_model_create
from risk.compliance.demo import demo_compliance_library_create
from scrm.core.exceptions import ApplicationError
from scrm.org.demo import DEMO_LOGINS, DEMO_PASSWORD, demo_org_create, demo_org_exists
from scrm.org.models import Role, Staff

# A year of history and a model trained on it take seconds for a demo bank, and
# minutes for millions of customers.
CHURN_HISTORY_UP_TO = 50_000


class Command(BaseCommand):
    help = (
        "Create the demo bank (总行, 5 分行, 25 支行, 100 网点, 500 staff) unless an HQ exists, "
        "then add demo customers with product holdings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--customers", type=int, default=5000, help="customers to add (default 5000)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing at all if the bank already has an HQ (for make run)"
        )
        parser.add_argument("--seed", type=int, help="random seed, to reproduce a demo (default: a fresh one)")
        parser.add_argument(
            "--churn-history-up-to",
            type=int,
            default=CHURN_HISTORY_UP_TO,
            help="plant the churn history and train a model only for a bank of at most this many customers "
            f"(default {CHURN_HISTORY_UP_TO}; the benchmark seeds millions and measures churn on its own data)",
        )

    def handle(
        self,
        *args: Any,
        customers: int,
        if_empty: bool,
        seed: int | None,
        churn_history_up_to: int,
        **options: Any,
    ) -> None:
        if if_empty and demo_org_exists():
            self.stdout.write("An HQ already exists: nothing seeded.")
            return
        if customers < 0:
            raise CommandError("--customers cannot be negative.")
        seed = secrets.randbits(32) if seed is None else seed
        started = time.perf_counter()
        try:
            # One transaction: a failed seed leaves no half-built bank for --if-empty to trust.
            with transaction.atomic():
                org = None if demo_org_exists() else demo_org_create(seed=seed)
                added = demo_customers_create(count=customers, seed=seed) if customers else None
                # The catalogue comes with a new bank; adding customers later leaves tags alone.
                hq_admin = Staff.objects.filter(role=Role.HQ_ADMIN).order_by("id").first()
                tags = demo_tags_create(actor=hq_admin) if org and hq_admin else 0
                scripts = demo_scripts_create(actor=hq_admin) if org and hq_admin else 0
                if org and hq_admin:
                    demo_campaign_segment_create(actor=hq_admin)
                words = demo_compliance_library_create(actor=hq_admin) if org and hq_admin else 0
                # A year of AUM and contact history with a planted churn signal; a new bank also
                # gets a churn model trained on it, promoted, and every customer scored.
                plant = added and org and customers <= churn_history_up_to
                history = demo_aum_history_create(seed=seed) if plant else None
                churn = demo_churn_model_create(actor=hq_admin) if org and hq_admin and history else None
        except ApplicationError as error:
            raise CommandError(error.message) from error

        if org:
            self.stdout.write(
                f"Created the demo bank: 1 HQ, {org.branches} branches, {org.sub_branches} sub-branches, "
                f"{org.outlets} outlets, {org.staff} staff."
            )
        else:
            self.stdout.write("An HQ already exists: its organisation was left as it is.")
        if added:
            self.stdout.write(
                f"Created {added.customers} customers ({added.first_customer_no}–{added.last_customer_no}) "
                f"with {added.holdings} product holdings (seed {seed})."
            )
        if tags:
            self.stdout.write(f"Created {tags} demo tags and evaluated the tag rules.")
        if scripts:
            self.stdout.write(f"Created {scripts} demo scripts.")
        if words:
            self.stdout.write(f"Created the starting compliance library: {words} sensitive words.")
        if history:
            self.stdout.write(
                f"Planted a year of AUM history for {history.customers} customers "
                f"({history.leavers} leave within it or soon after)."
            )
        if churn:
            auc = churn.model.metrics["roc_auc"]
            scored = churn.run.customers_scored if churn.run else 0
            self.stdout.write(
                f"Trained and promoted churn model v{churn.model.version} (held-out ROC AUC {auc:.3f}); "
                f"scored {scored} customers."
            )
        self.stdout.write(f"Seeded in {time.perf_counter() - started:.1f} s.")
        if org:
            logins = ", ".join(DEMO_LOGINS)
            self.stdout.write(self.style.SUCCESS(f"Demo logins (password {DEMO_PASSWORD}): {logins}"))
