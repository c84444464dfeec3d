"""The compliance library page (敏感词库) for HQ admins and compliance: words, patterns, bulk add, a text check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from risk.compliance import selectors, services
from risk.compliance.access import LIBRARY_MANAGERS
from risk.compliance.apis import CHECK_TEXT_MAX_LENGTH
from risk.compliance.highlight import hit_row, text_pieces
from risk.compliance.matcher import content_check
from risk.compliance.models import ContentAction, ContentCategory, PiiPattern, SensitiveWord
from scrm.core.exceptions import ApplicationError
from scrm.org.views import RoleRequiredMixin

PAGE_SIZE = 50
_ANY = [("", gettext_lazy("All"))]


class _PageForm(forms.Form):
    """A form of the library page, where several forms share the page: element ids carry the form's name."""

    id_prefix = "form"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}-%s")
        super().__init__(*args, **kwargs)


class WordForm(_PageForm):
    id_prefix = "word"
    word = forms.CharField(max_length=services.WORD_MAX_LENGTH, label=gettext_lazy("Word"))
    category = forms.ChoiceField(choices=ContentCategory.choices, label=gettext_lazy("Category"))
    action = forms.ChoiceField(choices=ContentAction.choices, label=gettext_lazy("Action"))
    note = forms.CharField(max_length=services.NOTE_MAX_LENGTH, required=False, label=gettext_lazy("Note"))
    is_active = forms.BooleanField(required=False, initial=True, label=gettext_lazy("Enabled"))


class FilterForm(_PageForm):
    id_prefix = "filter"
    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Search words"))
    category = forms.ChoiceField(required=False, choices=_ANY + ContentCategory.choices, label=gettext_lazy("Category"))
    action = forms.ChoiceField(required=False, choices=_ANY + ContentAction.choices, label=gettext_lazy("Action"))
    active = forms.ChoiceField(
        required=False,
        choices=[*_ANY, ("true", gettext_lazy("Enabled")), ("false", gettext_lazy("Inactive"))],
        label=gettext_lazy("Status"),
    )


class BulkForm(_PageForm):
    id_prefix = "bulk"
    content = forms.CharField(required=False, widget=forms.Textarea, label=gettext_lazy("Lines"))
    file = forms.FileField(required=False, label=gettext_lazy("CSV file"))
    default_category = forms.ChoiceField(
        choices=ContentCategory.choices, initial=ContentCategory.CUSTOM, label=gettext_lazy("Default category")
    )
    default_action = forms.ChoiceField(
        choices=ContentAction.choices, initial=ContentAction.BLOCK, label=gettext_lazy("Default action")
    )


class CheckForm(_PageForm):
    id_prefix = "check"
    text = forms.CharField(
        max_length=CHECK_TEXT_MAX_LENGTH, strip=False, widget=forms.Textarea, label=gettext_lazy("Text to check")
    )


def _library_context(request: HttpRequest, **overrides: Any) -> dict[str, Any]:
    filters = FilterForm(request.GET or None)
    values = filters.cleaned_data if filters.is_valid() else {}
    active = values.get("active", "")
    words = selectors.sensitive_words_list(
        query=values.get("q", ""),
        category=values.get("category", ""),
        action=values.get("action", ""),
        is_active={"true": True, "false": False}.get(active),
    )
    page = Paginator(words, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context: dict[str, Any] = {
        "filters": filters,
        "page": page,
        "filter_query": query.urlencode(),
        "patterns": selectors.pii_patterns_list(),
        "actions": ContentAction.choices,
        "word_form": WordForm(initial={"category": ContentCategory.CUSTOM, "action": ContentAction.BLOCK}),
        "bulk_form": BulkForm(),
        "check_form": CheckForm(),
        "bulk_errors": [],
        "check": None,
    }
    context.update(overrides)
    return context


class LibraryPage(RoleRequiredMixin, View):
    allowed_roles = LIBRARY_MANAGERS

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "risk/compliance/library.html", _library_context(request))


def _form_error(form: forms.Form, error: ApplicationError) -> None:
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, error.message)


class WordCreateView(RoleRequiredMixin, View):
    allowed_roles = LIBRARY_MANAGERS

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WordForm(request.POST)
        if form.is_valid():
            try:
                entry = services.sensitive_word_create(actor=self.staff, request=request, **form.cleaned_data)
            except ApplicationError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("“%(word)s” added.") % {"word": entry.word})
                return redirect("compliance-library")
        context = _library_context(request, word_form=form)
        return render(request, "risk/compliance/library.html", context, status=400)


def _word(pk: int) -> SensitiveWord:
    try:
        return selectors.sensitive_word_get(word_id=pk)
    except SensitiveWord.DoesNotExist as error:
        raise Http404 from error


class WordEditPage(RoleRequiredMixin, View):
    allowed_roles = LIBRARY_MANAGERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = _word(pk)
        form = WordForm(initial={name: getattr(entry, name) for name in WordForm.base_fields})
        return render(request, "risk/compliance/edit.html", {"form": form, "entry": entry})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = _word(pk)
        form = WordForm(request.POST)
        if form.is_valid():
            try:
                services.sensitive_word_update(
                    entry=entry, actor=self.staff, changes=form.cleaned_data, request=request
                )
            except ApplicationError as error:
                _form_error(form, error)
            else:
                messages.success(request, _("“%(word)s” saved.") % {"word": form.cleaned_data["word"]})
                return redirect("compliance-library")
        return render(request, "risk/compliance/edit.html", {"form": form, "entry": entry}, status=400)


class WordActiveView(RoleRequiredMixin, View):
    """Deactivate or reactivate a word (``active`` = ``true`` or ``false``)."""

    allowed_roles = LIBRARY_MANAGERS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        entry = _word(pk)
        active = request.POST.get("active") == "true"
        services.sensitive_word_set_active(entry=entry, active=active, actor=self.staff, request=request)
        if active:
            messages.success(request, _("“%(word)s” reactivated.") % {"word": entry.word})
        else:
            messages.success(request, _("“%(word)s” deactivated.") % {"word": entry.word})
        # Back to the same filtered list; the filters are re-encoded, never a URL taken as given.
        filters = QueryDict(request.POST.get("filters", "")).urlencode()
        return redirect(reverse("compliance-library") + (f"?{filters}" if filters else ""))


class BulkAddView(RoleRequiredMixin, View):
    allowed_roles = LIBRARY_MANAGERS

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkForm(request.POST, request.FILES)
        errors: list[services.BulkLineError] = []
        if form.is_valid():
            try:
                content = self._content(form)
                result = services.sensitive_words_bulk_add(
                    content=content,
                    default_category=form.cleaned_data["default_category"],
                    default_action=form.cleaned_data["default_action"],
                    actor=self.staff,
                    request=request,
                )
            except ApplicationError as error:
                _form_error(form, error)
            else:
                if not result.errors:
                    messages.success(request, _("%(count)d words added.") % {"count": len(result.created)})
                    return redirect("compliance-library")
                errors = result.errors
                form.add_error(None, services.bulk_errors_message(len(errors)))
        context = _library_context(request, bulk_form=form, bulk_errors=errors)
        return render(request, "risk/compliance/library.html", context, status=400)

    def _content(self, form: BulkForm) -> str:
        upload = form.cleaned_data.get("file")
        if upload is not None:
            if upload.size > services.BULK_MAX_BYTES:
                raise ApplicationError(
                    _("The file is larger than %(size)d KB.") % {"size": services.BULK_MAX_BYTES // 1024},
                    extra={"field": "file"},
                )
            return services.bulk_content_decode(data=upload.read())
        content: str = form.cleaned_data.get("content", "")
        if not content.strip():
            raise ApplicationError(_("Paste lines or choose a CSV file."), extra={"field": "content"})
        return content


class PatternUpdateView(RoleRequiredMixin, View):
    allowed_roles = LIBRARY_MANAGERS

    def post(self, request: HttpRequest, pattern: str) -> HttpResponse:
        if pattern not in PiiPattern.values:
            raise Http404
        try:
            services.pii_pattern_update(
                pattern=pattern,
                action=request.POST.get("action", ""),
                is_active=request.POST.get("is_active") == "on",
                actor=self.staff,
                request=request,
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("%(pattern)s saved.") % {"pattern": PiiPattern(pattern).label})
        return redirect("compliance-library")


class CheckView(RoleRequiredMixin, View):
    """检测文本: the text's hits highlighted in place, then listed. The text is not stored."""

    allowed_roles = LIBRARY_MANAGERS

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CheckForm(request.POST)
        if not form.is_valid():
            context = _library_context(request, check_form=form)
            return render(request, "risk/compliance/library.html", context, status=400)
        text = form.cleaned_data["text"]
        hits = content_check(text)
        check = {
            "pieces": text_pieces(text, hits),
            "hits": [hit_row(hit) for hit in hits],
            "blocked": any(hit.blocks for hit in hits),
        }
        context = _library_context(request, check_form=form, check=check)
        return render(request, "risk/compliance/library.html", context)
