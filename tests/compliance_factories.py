"""Factories for the compliance library, beside tests/factories.py."""

from typing import Any

import factory

from risk.compliance.models import ContentAction, ContentCategory, SensitiveWord
from risk.compliance.normalise import term_normalise
from risk.compliance.services import library_version_bump


class SensitiveWordFactory(factory.django.DjangoModelFactory):
    """A word of the library; the library version is bumped as the services do."""

    class Meta:
        model = SensitiveWord

    word = factory.Sequence(lambda n: f"测试敏感词{n}")
    normalised = factory.LazyAttribute(lambda o: term_normalise(o.word))
    category = ContentCategory.CUSTOM
    action = ContentAction.BLOCK

    @classmethod
    def _create(cls, model_class: type[SensitiveWord], *args: Any, **kwargs: Any) -> SensitiveWord:
        entry = super()._create(model_class, *args, **kwargs)
        library_version_bump()
        return entry
