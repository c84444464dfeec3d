"""The sidebar's pages and partials. Thin: auth, selectors and services decide.

Every URL here sits outside the language prefix: WeCom only redirects to the exact URL
registered for the app, and the sidebar follows the browser's language instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from campaigns.content import selectors as content_selectors
from campaigns.content import services as content_services
from campaigns.content.views import content_file_response
from campaigns.models import ContentItem, ContentKind
from campaigns.scripts import selectors as script_selectors
from channels.identity.services import verification_link_for
from channels.models import ExternalContact
from channels.wecom.errors import WeComError
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Staff
from scrm.org.scoping import data_scope_for
from scrm.org.selectors import staff_for_user
from workbench.sidebar import auth, selectors, services


def _error_page(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "workbench/sidebar/error.html", {"message": message}, status=status)


def _start_sign_in(request: HttpRequest) -> HttpResponse:
    """To WeCom's authorize URL; against the sandbox, to the stand-in page that plays WeCom."""
    state = auth.oauth_state_issue(request)
    if settings.WECOM_SANDBOX_URL:
        return HttpResponseRedirect(f"{reverse('sidebar-login')}?state={state}")
    redirect_uri = request.build_absolute_uri(reverse("sidebar-auth"))
    return HttpResponseRedirect(auth.oauth_authorize_url(redirect_uri=redirect_uri, state=state))


class SidebarStaffRequired(View):
    """Signed in as active staff. The page starts a sign-in; partials ask htmx to reload the page."""

    starts_sign_in = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if data_scope_for(request.user) is None:
            if self.starts_sign_in:
                return _start_sign_in(request)
            response = JsonResponse({"message": _("Your session has ended."), "extra": {}}, status=401)
            response["HX-Redirect"] = reverse("sidebar")
            return response
        return super().dispatch(request, *args, **kwargs)

    def staff(self) -> Staff:
        staff = staff_for_user(user=self.request.user)
        assert staff is not None  # dispatch admitted only active staff
        return staff


@method_decorator(never_cache, name="dispatch")
class SidebarPage(SidebarStaffRequired):
    """The H5 page WeCom opens beside a chat."""

    starts_sign_in = True

    def get(self, request: HttpRequest) -> HttpResponse:
        staff = self.staff()
        context = {
            "staff": staff,
            "sandbox_url": settings.WECOM_SANDBOX_URL,
            # WeCom's JS-SDK file, served by the bank itself (no CDN); empty inside a plain browser.
            "jssdk_src": settings.WECOM_JSSDK_URL,
        }
        return render(request, "workbench/sidebar/page.html", context)


@method_decorator(never_cache, name="dispatch")
class SidebarAuthView(View):
    """WeCom's redirect after OAuth: ``?code=&state=`` → a session → the sidebar."""

    def get(self, request: HttpRequest) -> HttpResponse:
        code = request.GET.get("code", "")
        if not auth.oauth_state_matches(request, request.GET.get("state", "")):
            return _error_page(
                request, _("This sign-in link is not valid any more. Close the sidebar and open it again."), status=400
            )
        if not code:
            return _error_page(request, _("WeCom did not confirm who you are."), status=400)
        try:
            services.sidebar_sign_in(request=request, code=code)
        except services.SidebarSignInError as error:
            return _error_page(request, error.message, status=error.status_code)
        return HttpResponseRedirect(reverse("sidebar"))


@method_decorator(never_cache, name="dispatch")
class SidebarDevSignInPage(View):
    """Against the sandbox only: the member types their WeCom userid, the sandbox issues an
    OAuth code, and the sign-in goes on through the same ``/sidebar/auth/`` as WeCom would
    send the browser to. No directory of staff is shown to a visitor nobody knows yet."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.WECOM_SANDBOX_URL:
            raise Http404
        context = {"state": request.GET.get("state", ""), "sandbox_url": settings.WECOM_SANDBOX_URL}
        return render(request, "workbench/sidebar/dev_sign_in.html", context)


@method_decorator(never_cache, name="dispatch")
class SidebarJsSdkConfigView(SidebarStaffRequired):
    """JSON for ``wx.config`` and ``wx.agentConfig``, signed for a page of this site only."""

    def get(self, request: HttpRequest) -> HttpResponse:
        url = request.GET.get("url", "")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != request.get_host():
            return JsonResponse({"message": _("Only pages of this site are signed."), "extra": {}}, status=400)
        try:
            config = selectors.sidebar_jssdk_config(url=url)
        except WeComError:
            return JsonResponse({"message": _("WeCom is not answering; try again."), "extra": {}}, status=502)
        return JsonResponse(config)


class _ContactView(SidebarStaffRequired):
    """A contact the member may see; any other answers 404, as if it did not exist."""

    def contact(self, external_userid: str) -> ExternalContact:
        try:
            return selectors.sidebar_contact_get(external_userid=external_userid, user=self.request.user)
        except ExternalContact.DoesNotExist as error:
            raise Http404 from error

    def card(self, contact: ExternalContact, *, error: str = "", status: int = 200) -> HttpResponse:
        staff = self.staff()
        card = selectors.sidebar_card(contact=contact, user=self.request.user, userid=staff.wecom_userid or "")
        return render(self.request, "workbench/sidebar/_card.html", {"card": card, "error": error}, status=status)

    def refuse_unless_editor(self) -> None:
        if data_scope_for(self.request.user).role not in selectors.EDITOR_ROLES:  # type: ignore[union-attr]
            raise PermissionDenied


@method_decorator(never_cache, name="dispatch")
class SidebarContactCard(_ContactView):
    """htmx: the customer 360 card (masked for the member's role) of the contact in the chat."""

    def get(self, request: HttpRequest, external_userid: str) -> HttpResponse:
        return self.card(self.contact(external_userid))


class SidebarContactTags(_ContactView):
    """htmx: add or remove one manual tag, then the card again."""

    def post(self, request: HttpRequest, external_userid: str) -> HttpResponse:
        contact = self.contact(external_userid)
        self.refuse_unless_editor()
        operation = services.sidebar_tag_remove if request.POST.get("op") == "remove" else services.sidebar_tag_add
        try:
            operation(contact=contact, tag_code=request.POST.get("tag", ""), actor=self.staff())
        except ApplicationError as error:
            return self.card(contact, error=error.message, status=400)
        return self.card(contact)


class SidebarContactNotes(_ContactView):
    """htmx: add a note to the customer's timeline, then the card again."""

    def post(self, request: HttpRequest, external_userid: str) -> HttpResponse:
        contact = self.contact(external_userid)
        self.refuse_unless_editor()
        try:
            services.sidebar_note_add(contact=contact, text=request.POST.get("text", ""), actor=self.staff())
        except ApplicationError as error:
            return self.card(contact, error=error.message, status=400)
        return self.card(contact)


class SidebarContactConsent(_ContactView):
    """htmx: record the customer's marketing opt-out (``granted=0``) or opt-in (``granted=1``)
    with their own words, then the card again."""

    def post(self, request: HttpRequest, external_userid: str) -> HttpResponse:
        contact = self.contact(external_userid)
        self.refuse_unless_editor()
        granted = {"1": True, "0": False}.get(request.POST.get("granted", ""))
        if granted is None:
            return self.card(contact, error=_("Choose whether the customer opts out or back in."), status=400)
        try:
            services.sidebar_marketing_consent_set(
                contact=contact, granted=granted, reason=request.POST.get("reason", ""), actor=self.staff()
            )
        except ApplicationError as error:
            return self.card(contact, error=error.message, status=error.status_code)
        return self.card(contact)


@method_decorator(never_cache, name="dispatch")
class SidebarVerificationLink(_ContactView):
    """JSON: the identity-verification link (客户认证) to send a lead as a link card."""

    def get(self, request: HttpRequest, external_userid: str) -> HttpResponse:
        # Only those who serve customers send the link; compliance reads, it does not act.
        self.refuse_unless_editor()
        contact = self.contact(external_userid)
        return JsonResponse(
            {
                "title": _("Verify that you are our customer"),
                "description": _("Confirm your identity to get your personalised service."),
                "url": request.build_absolute_uri(str(verification_link_for(contact))),
            }
        )


@method_decorator(never_cache, name="dispatch")
class SidebarScriptPanel(SidebarStaffRequired):
    """htmx: the script library's categories, search and a send button per script."""

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "")
        category = request.GET.get("category", "")
        category_id = int(category) if category.isdigit() else None
        context = {
            "categories": script_selectors.script_categories_list(),
            "scripts": script_selectors.scripts_list(query=query, category_id=category_id)[:100],
            "query": query,
            "category_id": category_id,
        }
        return render(request, "workbench/sidebar/_scripts.html", context)


@method_decorator(never_cache, name="dispatch")
class SidebarContentPanel(SidebarStaffRequired):
    """htmx: the active content items the member may use, by category and search, each with a send button."""

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "")
        category = request.GET.get("category", "")
        category_id = int(category) if category.isdigit() else None
        items = content_selectors.content_items_list(user=request.user, query=query, category_id=category_id)
        context = {
            "categories": content_selectors.content_categories_list(),
            "items": items[:100],
            "query": query,
            "category_id": category_id,
            "can_send": data_scope_for(request.user).role in selectors.EDITOR_ROLES,  # type: ignore[union-attr]
        }
        return render(request, "workbench/sidebar/_content.html", context)


class _ContentItemView(SidebarStaffRequired):
    def item(self, pk: int) -> ContentItem:
        """An active item the member may use; any other answers 404."""
        try:
            item = content_selectors.content_item_get(item_id=pk, user=self.request.user)
        except ContentItem.DoesNotExist as error:
            raise Http404 from error
        if not item.is_active:
            raise Http404
        return item


@method_decorator(never_cache, name="dispatch")
class SidebarContentPreview(_ContentItemView):
    """An image item's picture or a card's cover, for the panel's thumbnails."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        item = self.item(pk)
        if item.kind in (ContentKind.FILE, ContentKind.VIDEO, ContentKind.TEXT):
            raise Http404
        return content_file_response(item, inline=True)


@method_decorator(never_cache, name="dispatch")
class SidebarContentMessage(_ContentItemView):
    """JSON: the ``sendChatMessage`` arguments for an item, its media freshly valid on WeCom."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if data_scope_for(request.user).role not in selectors.EDITOR_ROLES:  # type: ignore[union-attr]
            raise PermissionDenied
        item = self.item(pk)
        try:
            message = content_services.content_chat_message(item)
        except ApplicationError as error:
            return JsonResponse({"message": error.message, "extra": error.extra}, status=400)
        return JsonResponse(message)


class SidebarContentSent(_ContentItemView):
    """The chat took the item: count the send."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if data_scope_for(request.user).role not in selectors.EDITOR_ROLES:  # type: ignore[union-attr]
            raise PermissionDenied
        content_services.content_item_used(item_id=self.item(pk).pk)
        return HttpResponse(status=204)
