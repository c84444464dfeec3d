"""Identity API: authentication rates, the contacts (and leads) in scope, a manual link."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from channels.identity import selectors, services
from channels.models import ExternalContact
from scrm.org.api_base import StaffApiView
from scrm.org.models import Role
from scrm.org.permissions import role_required

ContactLinkers = role_required(Role.HQ_ADMIN, Role.BRANCH_MANAGER)


class RateRowOutputSerializer(serializers.Serializer):
    key = serializers.CharField()
    # The serializer metaclass takes declared fields off the class, so this does not replace Field.label;
    # the stubs cannot express that.
    label = serializers.CharField()  # type: ignore[assignment]
    total = serializers.IntegerField()
    authenticated = serializers.IntegerField()
    rate = serializers.FloatField()
    depth = serializers.IntegerField()


class AuthenticationRatesOutputSerializer(serializers.Serializer):
    total = RateRowOutputSerializer()
    by_branch = RateRowOutputSerializer(many=True)
    by_rm = RateRowOutputSerializer(many=True)
    by_code = RateRowOutputSerializer(many=True)


class AuthenticationRatesApi(APIView):
    """Authenticated / all contacts with an active relation, in the caller's scope."""

    @extend_schema(responses={200: AuthenticationRatesOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(AuthenticationRatesOutputSerializer(selectors.authentication_rates(user=request.user)).data)


class ContactOutputSerializer(serializers.ModelSerializer):
    is_lead = serializers.BooleanField(read_only=True)
    rm_name = serializers.CharField(read_only=True, allow_null=True)
    rm_userid = serializers.CharField(read_only=True, allow_null=True)
    channel_name = serializers.CharField(read_only=True, allow_null=True)
    added_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = ExternalContact
        fields = [
            "id",
            "external_userid",
            "name",
            "contact_type",
            "is_lead",
            "match_method",
            "matched_at",
            "rm_name",
            "rm_userid",
            "channel_name",
            "added_at",
        ]


class ContactListApi(generics.ListAPIView):
    """Contacts whose relation the caller may see; ``?lead=true`` keeps the unmatched ones."""

    serializer_class = ContactOutputSerializer

    def get_queryset(self) -> QuerySet[ExternalContact]:
        lead = self.request.GET.get("lead")
        wanted = {"true": True, "1": True, "false": False, "0": False}.get((lead or "").lower())
        return selectors.contact_list(user=self.request.user, lead=wanted)

    @extend_schema(parameters=[OpenApiParameter("lead", bool, description="Only unmatched contacts (leads).")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ContactLinkInputSerializer(serializers.Serializer):
    customer_no = serializers.CharField(max_length=32)


class ContactLinkOutputSerializer(serializers.Serializer):
    linked = serializers.BooleanField()
    external_userid = serializers.CharField()
    match_method = serializers.CharField()


class ContactLinkApi(StaffApiView):
    """Link a contact to a customer by hand (HQ admins and branch managers, both within scope)."""

    permission_classes = [ContactLinkers]

    @extend_schema(request=ContactLinkInputSerializer, responses={200: ContactLinkOutputSerializer})
    def post(self, request: Request, external_userid: str) -> Response:
        contact = get_object_or_404(ExternalContact.objects.visible_to(request.user), external_userid=external_userid)
        serializer = ContactLinkInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        linked = services.contact_link_manual(
            actor=self.staff, contact=contact, customer_no=serializer.validated_data["customer_no"], request=request
        )
        return Response(
            ContactLinkOutputSerializer(
                {"linked": linked, "external_userid": contact.external_userid, "match_method": contact.match_method}
            ).data
        )
