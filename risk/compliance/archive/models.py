"""The chat archive (会话存档): where ingestion stands, the conversations, and their messages.

``ArchivedMessage`` is partitioned by month on ``sent_at`` (declarative PostgreSQL
partitioning, created by migration 0002 and kept by ``archive_partitions_ensure``), so that
retention drops whole months instead of deleting rows one by one.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from scrm.org.models import Staff
from scrm.org.scoping import ScopedQuerySet


class ArchiveCursor(models.Model):
    """How far ingestion has read the corp's archive: one row per corp.

    ``seq`` is the last sequence number stored; it moves in the transaction that stores the
    page's messages, so a crash between fetching and storing repeats the page, never skips it.
    """

    corp_id = models.CharField(_("corp id"), max_length=64, unique=True)
    seq = models.PositiveBigIntegerField(_("sequence number"), default=0)
    # The newest message time stored: how far behind the archive ingestion runs.
    last_message_at = models.DateTimeField(_("newest message stored"), null=True)
    last_run_at = models.DateTimeField(_("last run"), null=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # When a run last read the archive to its end: everything sent before then has been read.
    caught_up_at = models.DateTimeField(_("caught up at"), null=True)
    # Running totals of what ingestion did with the records it read.
    stored_count = models.PositiveBigIntegerField(_("messages stored"), default=0)
    discarded_count = models.PositiveBigIntegerField(_("messages discarded without consent"), default=0)
    refused_count = models.PositiveBigIntegerField(_("records refused"), default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("archive cursor")
        verbose_name_plural = _("archive cursors")

    def __str__(self) -> str:
        return f"{self.corp_id}@{self.seq}"


class ChatKind(models.TextChoices):
    SINGLE = "single", _("One-to-one chat")
    GROUP = "group", _("Group chat")


class ArchivedChatQuerySet(ScopedQuerySet):
    # A conversation belongs where its staff member works: compliance sees all, a branch
    # manager their subtree's staff, an RM their own chats.
    scope_branch_field = "staff__branch"
    scope_owner_field = "staff"


class ArchivedChat(models.Model):
    """One conversation: a staff member with one external contact, or a customer group (roomid)."""

    kind = models.CharField(_("kind"), max_length=8, choices=ChatKind.choices)
    # single: "<staff userid>|<external userid>"; group: the roomid.
    chat_key = models.CharField(_("chat key"), max_length=200, unique=True)
    roomid = models.CharField(_("group id"), max_length=64, blank=True)
    staff = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, related_name="+", verbose_name=_("staff"), db_index=False
    )
    staff_userid = models.CharField(_("staff WeCom userid"), max_length=64, blank=True)
    external_userid = models.CharField(_("external userid"), max_length=64, blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("customer"), db_index=False
    )
    first_message_at = models.DateTimeField(_("first message"))
    last_message_at = models.DateTimeField(_("last message"))
    message_count = models.PositiveIntegerField(_("messages"), default=0)

    objects = ArchivedChatQuerySet.as_manager()

    class Meta:
        verbose_name = _("archived chat")
        verbose_name_plural = _("archived chats")
        indexes = [
            models.Index(fields=["staff", "-last_message_at"], name="risk_chat_staff_recent"),
            models.Index(fields=["customer"], name="risk_chat_customer"),
        ]

    def __str__(self) -> str:
        return self.chat_key


class SenderKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    CUSTOMER = "customer", _("Customer")
    OTHER = "other", _("Other")


class ArchivedMessageQuerySet(ScopedQuerySet):
    scope_branch_field = "chat__staff__branch"
    scope_owner_field = "chat__staff"


class ArchivedMessage(models.Model):
    """One archived message, decrypted. Rows are only inserted (a revocation is a message of its own).

    The table is partitioned by ``sent_at``: its primary key in the database is (id, sent_at),
    and ``msgid`` is unique together with ``sent_at`` (a partitioned table's unique keys must
    hold the partition key). ``id`` alone is unique too, from its sequence.
    """

    id = models.BigAutoField(primary_key=True)
    msgid = models.CharField(_("message id"), max_length=64)
    seq = models.PositiveBigIntegerField(_("sequence number"))
    sent_at = models.DateTimeField(_("sent at"))
    chat = models.ForeignKey(ArchivedChat, on_delete=models.PROTECT, related_name="messages", db_index=False)
    sender_kind = models.CharField(_("sender"), max_length=8, choices=SenderKind.choices)
    sender_id = models.CharField(_("sender id"), max_length=64)
    msgtype = models.CharField(_("message type"), max_length=24)
    # The text of a text message (or a link's title and description); empty for media.
    text = models.TextField(_("text"), blank=True)
    # Image, file, voice or video: sdkfileid, md5sum, filesize, filename; never the bytes.
    media = models.JSONField(_("media"), default=dict, blank=True)
    # A revocation names the message it took back.
    revoked_msgid = models.CharField(_("revoked message id"), max_length=64, blank=True)
    ingested_at = models.DateTimeField(_("ingested at"), auto_now_add=True)

    objects = ArchivedMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("archived message")
        verbose_name_plural = _("archived messages")
        # Created by RunSQL in migration 0002 (PARTITION BY RANGE); the state below mirrors it.
        constraints = [models.UniqueConstraint(fields=["msgid", "sent_at"], name="risk_message_msgid_unique")]
        indexes = [models.Index(fields=["chat", "sent_at"], name="risk_message_chat_time")]

    def __str__(self) -> str:
        return self.msgid


class RefusalReason(models.TextChoices):
    UNKNOWN_KEY = "unknown_key", _("No private key for its key version")
    BAD_KEY = "bad_key", _("The random key does not decrypt (wrong key or damaged)")
    BAD_MESSAGE = "bad_message", _("The message does not decrypt (damaged)")
    MALFORMED = "malformed", _("The record or message is malformed")


class ArchiveRefusedRecord(models.Model):
    """A record ingestion could not open, kept as it came (still encrypted) for compliance to see.

    Ingestion moves past it so that one bad record never stops the archive; with the right key
    configured it can be opened later from what is kept here.
    """

    corp_id = models.CharField(_("corp id"), max_length=64)
    seq = models.PositiveBigIntegerField(_("sequence number"))
    msgid = models.CharField(_("message id"), max_length=64, blank=True)
    publickey_ver = models.IntegerField(_("key version"), null=True)
    reason = models.CharField(_("reason"), max_length=16, choices=RefusalReason.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    encrypt_random_key = models.TextField(blank=True)
    encrypt_chat_msg = models.TextField(blank=True)
    refused_at = models.DateTimeField(_("refused at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refused archive record")
        verbose_name_plural = _("refused archive records")
        constraints = [models.UniqueConstraint(fields=["corp_id", "seq"], name="risk_refused_record_seq_unique")]
        indexes = [models.Index(fields=["-refused_at"], name="risk_refused_recent")]

    def __str__(self) -> str:
        return f"{self.corp_id}@{self.seq}: {self.reason}"
