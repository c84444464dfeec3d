"""Template helpers for the language switcher."""

from django import template
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def url_in_language(context: template.Context, language: str) -> str:
    """The current page's URL in ``language``: ``/en/login/`` for English, ``/login/`` for Chinese.

    ``set_language`` cannot do this itself for a prefixed page: it runs in the default
    language, in which ``/en/…`` does not resolve, so the switcher hands it the target.
    """
    return translate_url(context["request"].get_full_path(), language)
