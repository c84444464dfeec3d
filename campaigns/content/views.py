"""Content library pages: head office's editor, the staff file preview, and public card covers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from campaigns.content import selectors, services
from campaigns.models import ContentItem, ContentKind
from campaigns.models.content import COVER_KINDS
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Branch
from scrm.org.roles import Role
from scrm.org.views import RoleRequiredMixin

HQ_ONLY = frozenset({Role.HQ_ADMIN})
_STATUSES = {"active": True, "retired": False}


class ContentItemForm(forms.Form):
    category = forms.ModelChoiceField(queryset=selectors.content_categories_list(), label=gettext_lazy("Category"))
    kind = forms.ChoiceField(choices=ContentKind.choices, label=gettext_lazy("Kind"))
    title = forms.CharField(max_length=services.TITLE_MAX_LENGTH, label=gettext_lazy("Title"))
    description = forms.CharField(
        max_length=services.TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=gettext_lazy("Text or description"),
        help_text=gettext_lazy("Text items: the message. Link cards: the description under the title."),
    )
    url = forms.CharField(max_length=500, required=False, label=gettext_lazy("Link"))
    appid = forms.CharField(max_length=64, required=False, label=gettext_lazy("Mini-program appid"))
    page_path = forms.CharField(
        max_length=500,
        required=False,
        label=gettext_lazy("Mini-program page"),
        help_text=gettext_lazy("For example pages/index.html"),
    )
    file = forms.FileField(
        required=False,
        label=gettext_lazy("File or cover image"),
        help_text=gettext_lazy(
            "Images JPG/PNG up to 10 MB, videos MP4 up to 10 MB, files up to 20 MB; cards take a JPG/PNG cover."
        ),
    )
    branch = forms.ModelChoiceField(
        queryset=Branch.objects.filter(closed_at__isnull=True),
        required=False,
        label=gettext_lazy("Who may use it"),
        empty_label=gettext_lazy("The whole bank"),
    )
    tags = forms.CharField(
        max_length=400, required=False, label=gettext_lazy("Tags"), help_text=gettext_lazy("Separated by commas")
    )
    is_active = forms.BooleanField(required=False, initial=True, label=gettext_lazy("In use"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name == "is_active":
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select"
            else:
                field.widget.attrs["class"] = "form-control"


class ContentLibraryPage(RoleRequiredMixin, View):
    """素材库: every item, active or retired, with search, filters and the category editor."""

    allowed_roles = HQ_ONLY

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "")
        category = request.GET.get("category", "")
        kind = request.GET.get("kind", "")
        status = request.GET.get("status", "")
        items = selectors.content_items_list(
            user=request.user,
            query=query,
            category_id=int(category) if category.isdigit() else None,
            kind=kind if kind in ContentKind.values else "",
            active_only=False,
        )
        if status in _STATUSES:
            items = items.filter(is_active=_STATUSES[status])
        context = {
            "categories": selectors.content_categories_list(),
            "items": items[:500],
            "kinds": ContentKind.choices,
            "query": query,
            "category_id": int(category) if category.isdigit() else None,
            "kind": kind,
            "status": status,
        }
        return render(request, "campaigns/content/library.html", context)


class ContentEditPage(RoleRequiredMixin, View):
    """Create (no ``pk``) or edit an item."""

    allowed_roles = HQ_ONLY

    def _item(self, pk: int | None) -> ContentItem | None:
        if pk is None:
            return None
        try:
            return selectors.content_item_get(item_id=pk, user=self.request.user)
        except ContentItem.DoesNotExist as error:
            raise Http404 from error

    def _render(self, form: ContentItemForm, item: ContentItem | None, *, status: int = 200) -> HttpResponse:
        return render(self.request, "campaigns/content/edit.html", {"form": form, "item": item}, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        item = self._item(pk)
        initial: dict[str, Any] = {"is_active": True, "kind": request.GET.get("kind", ContentKind.TEXT)}
        if item is not None:
            initial = {name: getattr(item, name) for name in ContentItemForm.base_fields if name != "file"}
            initial["tags"] = ", ".join(item.tags)
        return self._render(ContentItemForm(initial=initial), item)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        item = self._item(pk)
        form = ContentItemForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(form, item, status=400)
        data = dict(form.cleaned_data)
        file = data.pop("file") or None
        try:
            if item is None:
                services.content_item_create(actor=self.staff, request=request, file=file, **data)
            else:
                services.content_item_update(item=item, actor=self.staff, changes=data, file=file, request=request)
        except ApplicationError as error:
            field = error.extra.get("field")
            form.add_error(field if field in form.fields else None, error.message)
            return self._render(form, item, status=400)
        messages.success(request, _("Content saved."))
        return redirect("content-library")


class ContentDeleteView(RoleRequiredMixin, View):
    allowed_roles = HQ_ONLY

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = get_object_or_404(selectors.content_items_list(user=request.user, active_only=False), pk=pk)
        try:
            services.content_item_delete(item=item, actor=self.staff, request=request)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Content deleted."))
        return redirect("content-library")


class ContentCategoryCreateView(RoleRequiredMixin, View):
    allowed_roles = HQ_ONLY

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            services.content_category_create(name=request.POST.get("name", ""), actor=self.staff)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Category added."))
        return redirect("content-library")


class ContentCategoryRenameView(RoleRequiredMixin, View):
    allowed_roles = HQ_ONLY

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        category = get_object_or_404(selectors.content_categories_list(), pk=pk)
        try:
            services.content_category_update(category=category, name=request.POST.get("name", ""), actor=self.staff)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Category renamed."))
        return redirect("content-library")


class ContentCategoryDeleteView(RoleRequiredMixin, View):
    allowed_roles = HQ_ONLY

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        category = get_object_or_404(selectors.content_categories_list(), pk=pk)
        try:
            services.content_category_delete(category=category, actor=self.staff)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Category deleted."))
        return redirect("content-library")


def content_file_response(item: ContentItem, *, inline: bool) -> FileResponse:
    """The item's stored file as a download or inline; the caller has checked who may read it."""
    name = str(item.file.name or "")
    if not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type=item.file_mime or "application/octet-stream",
        as_attachment=not inline,
        filename=item.file_name or "",
    )
    # A file is shown as what it was checked to be, never sniffed into something else.
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ContentFileView(RoleRequiredMixin, View):
    """The item's file for staff who may use it: images and videos shown, other files downloaded."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        try:
            item = selectors.content_item_get(item_id=pk, user=request.user)
        except ContentItem.DoesNotExist as error:
            raise Http404 from error
        return content_file_response(item, inline=item.kind != ContentKind.FILE)


class ContentCoverView(View):
    """A card's cover for customers' phones (WeCom's picurl): public, behind a signed id, active items only."""

    def get(self, request: HttpRequest, token: str) -> HttpResponseBase:
        item_id = services.content_cover_item_id(token)
        item = selectors.content_cover_item(item_id=item_id) if item_id is not None else None
        if item is None or item.kind not in COVER_KINDS:
            raise Http404
        response = content_file_response(item, inline=True)
        response["Cache-Control"] = "public, max-age=86400"
        return response
