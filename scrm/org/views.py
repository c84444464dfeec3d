"""Sign-in and sign-out pages (both audited), and the role gate for pages."""

from functools import cached_property
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from scrm.audit.models import AuditAction
from scrm.audit.services import audit_record
from scrm.org.forms import LoginForm
from scrm.org.models import Staff
from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for
from scrm.org.selectors import staff_for_user
from scrm.org.sessions import session_release_from_sidebar


class LoginView(auth_views.LoginView):
    template_name = "org/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        session_release_from_sidebar(request=self.request)
        audit_record(actor=self.request.user, action=AuditAction.LOGIN, request=self.request)
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        audit_record(
            actor=None,
            actor_username=str(form.data.get("username", ""))[:150],
            action=AuditAction.LOGIN_FAILED,
            request=self.request,
        )
        return super().form_invalid(form)


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            audit_record(actor=request.user, action=AuditAction.LOGOUT, request=request)
        return super().post(request, *args, **kwargs)


class RoleRequiredMixin(LoginRequiredMixin):
    """For pages: signed in, active staff, and one of ``allowed_roles`` (403 otherwise).

    Handlers act as ``self.staff``, the signed-in member of staff.
    """

    allowed_roles: frozenset[Role] = frozenset(Role)
    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        scope = data_scope_for(request.user)
        if scope is None or scope.role not in self.allowed_roles:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def staff(self) -> Staff:
        """The signed-in member of staff; ``dispatch`` has already turned everyone else away."""
        staff = staff_for_user(user=self.request.user)
        if staff is None:
            raise PermissionDenied
        return staff
