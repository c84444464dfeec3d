"""Serializers every API shares.

``ErrorOutputSerializer`` is the one JSON error shape that
``scrm.core.exceptions.api_exception_handler`` answers with, for the OpenAPI
responses an API declares.
"""

from rest_framework import serializers


class ErrorOutputSerializer(serializers.Serializer):
    message = serializers.CharField()
    extra = serializers.DictField()
