"""A customer's timeline, newest first; 404 when the customer is outside the viewer's scope."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.selectors import customer_list_visible
from customers.timeline.selectors import timeline_for_customer


class TimelineEventOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    occurred_at = serializers.DateTimeField()
    summary = serializers.CharField()
    actor_name = serializers.CharField(source="actor.name", default=None)
    # The serializer metaclass takes declared fields off the class, so this does not replace Serializer.data;
    # the stubs cannot express that.
    data = serializers.DictField()  # type: ignore[assignment]


class CustomerTimelineApi(APIView):
    @extend_schema(responses=TimelineEventOutputSerializer(many=True))
    def get(self, request: Request, customer_no: str) -> Response:
        customer = get_object_or_404(customer_list_visible(user=request.user), customer_no=customer_no)
        events = timeline_for_customer(customer_id=customer.pk, user=request.user)
        return Response(TimelineEventOutputSerializer(events, many=True).data)
