"""Mirroring the bank's tags as WeCom corp tags (企业客户标签) on every live relation (DESIGN §4, flow 2).

A bank tag gets a WeCom corp tag the first time it must be put on a contact; the pair
is kept in ``CorpTag``. Each live follow relation remembers which bank tags it has been
given in WeCom (``FollowRelation.mirrored_tag_ids``), so a sync compares that with the
customer's tags as they stand and sends only the difference: a customer's net change
goes out once however many edits led to it, and a rule run that changes nothing sends
nothing. The outbox row and the new mirrored set are committed together, so a killed
worker neither loses a change nor sends it twice.

Edits made in the WeCom admin console arrive as change_external_tag events: a deleted
corp tag is unlinked here, so the next use creates it again instead of failing.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.db.models.fields.json import KT

from channels.models import CorpTag, FollowRelation, OutboundCall, OutboxStatus, RelationStatus
from channels.outbox.services import outbox_send_now, outbox_submit_many
from channels.wecom.errors import WeComError
from channels.wecom.events import ExternalTagEvent
from channels.wecom.gateway import wecom
from customers.models import Tag
from customers.tagging.selectors import customer_tag_ids_subquery

logger = logging.getLogger(__name__)

# Relations compared and written per transaction: bounded locks, bounded outbox batches.
MIRROR_CHUNK = 1000


# --- Corp tags -------------------------------------------------------------------------------


def corp_tag_lookup(*, group_name: str, tag_name: str) -> str | None:
    """The WeCom id of the corp tag with this group and name, if WeCom has one."""
    for group in wecom().corp_tag_groups():
        if group.get("group_name") == group_name:
            for tag in group.get("tag", []):
                if tag.get("name") == tag_name and not tag.get("deleted"):
                    return str(tag["id"])
    return None


def corp_tag_ensure(tag: Tag) -> str | None:
    """The tag's WeCom id, creating the corp tag (through the outbox) when it has none yet.

    None when WeCom could not be reached now; the caller leaves WeCom untagged and the
    next sync or the nightly one tries again.
    """
    known = CorpTag.objects.filter(tag_id=tag.pk).values_list("wecom_tag_id", flat=True).first()
    if known:
        return known
    group_name = tag.group.name
    try:
        wecom_id = corp_tag_lookup(group_name=group_name, tag_name=tag.name)
    except WeComError as error:
        logger.warning("wecom: corp tags not readable now, tag %s left for a later sync (%s)", tag.pk, error.errcode)
        return None
    if wecom_id is None:
        call = outbox_send_now(
            key=f"corp_tag:add:{tag.pk}",
            operation="add_corp_tags",
            payload={"group_name": group_name, "tag_names": [tag.name]},
        )
        if call.status != OutboxStatus.SUCCEEDED:
            return None
        wecom_id = next((str(row["id"]) for row in call.result_value("tag", []) if row.get("name") == tag.name), None)
        if wecom_id is None:
            return None
    corp_tag, _ = CorpTag.objects.get_or_create(tag_id=tag.pk, defaults={"wecom_tag_id": wecom_id})
    return corp_tag.wecom_tag_id


def corp_tag_ids(tag_ids: set[int], *, create: bool, unavailable: set[int] | None = None) -> dict[int, str]:
    """WeCom ids of these bank tags; with ``create``, corp tags that are missing are created first.

    Tags WeCom could not give an id now are added to ``unavailable`` and not asked for again
    by a caller that passes the same set (one sync run across its chunks).
    """
    known = dict(CorpTag.objects.filter(tag_id__in=tag_ids).values_list("tag_id", "wecom_tag_id"))
    if create:
        skipped = unavailable if unavailable is not None else set()
        for tag in Tag.objects.filter(pk__in=tag_ids - known.keys() - skipped).select_related("group"):
            if wecom_id := corp_tag_ensure(tag):
                known[tag.pk] = wecom_id
            else:
                skipped.add(tag.pk)
    return known


def corp_tag_ids_for(tags: list[Tag]) -> list[str]:
    """WeCom ids for the tags, creating the corp tags that are missing."""
    known = corp_tag_ids({tag.pk for tag in tags}, create=True)
    return [known[tag.pk] for tag in tags if tag.pk in known]


def corp_tag_changed(event: ExternalTagEvent) -> None:
    """change_external_tag from the admin console: unlink local tags whose corp tag is gone."""
    if event.change_type != "delete":
        logger.info(
            "wecom: corp %s %s %s (names stay as the bank set them)", event.tag_type, event.tag_id, event.change_type
        )
        return
    if event.tag_type == "tag":
        CorpTag.objects.filter(wecom_tag_id=event.tag_id).delete()
        return
    live = {str(tag["id"]) for group in wecom().corp_tag_groups() for tag in group.get("tag", [])}
    CorpTag.objects.exclude(wecom_tag_id__in=live).delete()


# --- Relations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MirrorResult:
    relations: int  # relations whose WeCom tags were brought in line
    calls: int  # mark_tag calls submitted
    deferred: int  # relations left for later: an earlier mark_tag of theirs is still being sent


def relation_tags_mirrored(*, relation_id: int, tag_ids: list[int]) -> None:
    """Record bank tags put on a relation outside a sync (a channel's tags on the add)."""
    relation = FollowRelation.objects.select_for_update().get(pk=relation_id)
    relation.mirrored_tag_ids = sorted({*relation.mirrored_tag_ids, *tag_ids})
    relation.save(update_fields=["mirrored_tag_ids", "updated_at"])


def _out_of_line(first_customer_id: int, last_customer_id: int, after_id: int) -> list[Mapping[str, Any]]:
    """The next chunk of live relations, of linked customers in the range, whose mirrored tags differ."""
    return list(
        FollowRelation.objects.filter(
            status=RelationStatus.ACTIVE,
            contact__customer__id__range=(first_customer_id, last_customer_id),
            id__gt=after_id,
        )
        .annotate(desired=customer_tag_ids_subquery(customer_ref="contact__customer_id"))
        .exclude(desired=F("mirrored_tag_ids"))
        .order_by("id")
        .values("id", "userid", "contact__external_userid", "desired", "mirrored_tag_ids")[:MIRROR_CHUNK]
    )


def _busy(relations: Sequence[Mapping[str, Any]]) -> set[tuple[str, str]]:
    """(userid, external_userid) of relations with a mark_tag still on its way: WeCom applies
    add/remove in arrival order, so a second change waits until the first has landed."""
    external_userids = [relation["contact__external_userid"] for relation in relations]
    return set(
        OutboundCall.objects.alias(external_userid=KT("payload__external_userid"))
        .filter(operation="mark_tag", finished_at__isnull=True, external_userid__in=external_userids)
        .values_list(KT("payload__userid"), KT("payload__external_userid"))
    )


def _mirrored_set(mirrored: dict[int, list[int]]) -> None:
    """One UPDATE for the chunk's new mirrored sets (bulk_update's CASE per row costs more than the sync)."""
    if not mirrored:
        return
    table = connection.ops.quote_name(FollowRelation._meta.db_table)
    rows = json.dumps([{"id": relation_id, "tags": tags} for relation_id, tags in mirrored.items()])
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} r SET mirrored_tag_ids = v.tags, updated_at = now() "  # noqa: S608 - the model's table
            "FROM jsonb_to_recordset(%s::jsonb) AS v(id bigint, tags bigint[]) WHERE r.id = v.id",
            [rows],
        )


def relation_tags_mirror(*, first_customer_id: int, last_customer_id: int) -> MirrorResult:
    """Bring WeCom's copy of the bank's tags on every live relation of the customers in the range in line.

    Safe to run any number of times, concurrently too: a relation already in line is not
    selected, and each chunk re-reads its relations under a row lock before it writes.
    """
    relations = calls = deferred = 0
    after_id = 0
    unavailable: set[int] = set()
    while chunk := _out_of_line(first_customer_id, last_customer_id, after_id):
        after_id = chunk[-1]["id"]
        wanted = {tag_id for row in chunk for tag_id in row["desired"]}
        held = {tag_id for row in chunk for tag_id in row["mirrored_tag_ids"]}
        # Outside the transaction: creating a corp tag is a WeCom call. Only tags to add are created.
        wecom_ids = corp_tag_ids(held - wanted, create=False) | corp_tag_ids(
            wanted, create=True, unavailable=unavailable
        )
        with transaction.atomic():
            done, submitted, waiting = _mirror_chunk([row["id"] for row in chunk], wecom_ids)
        relations, calls, deferred = relations + done, calls + submitted, deferred + waiting
    return MirrorResult(relations=relations, calls=calls, deferred=deferred)


def _mirror_chunk(relation_ids: list[int], wecom_ids: dict[int, str]) -> tuple[int, int, int]:
    rows = list(
        FollowRelation.objects.select_for_update(of=("self",))
        .filter(pk__in=relation_ids, status=RelationStatus.ACTIVE)
        .annotate(desired=customer_tag_ids_subquery(customer_ref="contact__customer_id"))
        .values("id", "userid", "contact__external_userid", "desired", "mirrored_tag_ids")
    )
    busy = _busy(rows)
    payloads: dict[str, dict[str, Any]] = {}
    mirrored: dict[int, list[int]] = {}
    for row in rows:
        if (row["userid"], row["contact__external_userid"]) in busy:
            continue
        desired, before = set(row["desired"]), set(row["mirrored_tag_ids"])
        # A tag WeCom has no corp tag for yet is left out, to be added by a later sync.
        added = sorted(tag_id for tag_id in desired - before if tag_id in wecom_ids)
        removed = sorted(before - desired)
        after = sorted((before & desired) | set(added))
        if after == sorted(before):
            continue
        mirrored[row["id"]] = after
        add = [wecom_ids[tag_id] for tag_id in added]
        remove = [wecom_ids[tag_id] for tag_id in removed if tag_id in wecom_ids]
        if add or remove:
            payloads[f"mark_tag:{row['id']}:{uuid.uuid4().hex}"] = {
                "userid": row["userid"],
                "external_userid": row["contact__external_userid"],
                "add": add,
                "remove": remove,
            }
    _mirrored_set(mirrored)
    outbox_submit_many(operation="mark_tag", payloads=payloads)
    deferred = sum((row["userid"], row["contact__external_userid"]) in busy for row in rows)
    return len(mirrored), len(payloads), deferred
