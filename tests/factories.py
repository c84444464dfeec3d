"""factory_boy factories for the shared test world. PII is sealed through scrm.pii."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from customers.models import Customer, Gender
from scrm.org.models import Branch, BranchLevel, Role, Staff
from scrm.pii import PiiKind, blind_index, seal
from scrm.pii import surname_index as surname_index_of

DEMO_PASSWORD = "demo12345"


class BranchFactory(factory.django.DjangoModelFactory):
    """Creates tree nodes through treebeard: pass ``parent=None`` for a root."""

    class Meta:
        model = Branch

    code = factory.Sequence(lambda n: f"B{n:05d}")
    name = factory.Sequence(lambda n: f"网点{n}")
    level = BranchLevel.OUTLET
    region_code = "310104"
    city = "上海"

    @classmethod
    def _create(
        cls, model_class: type[Branch], *args: object, parent: Branch | None = None, **kwargs: object
    ) -> Branch:
        if parent is None:
            return model_class.objects.add_root(kwargs)
        return model_class.objects.add_child(model_class.objects.get(pk=parent.pk), kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(DEMO_PASSWORD)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Staff

    user = factory.SubFactory(UserFactory)
    employee_no = factory.Sequence(lambda n: f"E{n:06d}")
    name = factory.Sequence(lambda n: f"员工{n}")
    role = Role.RM
    wecom_userid = factory.Sequence(lambda n: f"wecom{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    """A customer whose name/phone/ID are given in plain text and sealed on create."""

    class Meta:
        model = Customer

    class Params:
        name = "张三"
        phone = factory.Sequence(lambda n: f"138{n:08d}")
        id_number = "110101199003076632"

    customer_no = factory.Sequence(lambda n: f"C{n:010d}")
    name_cipher = factory.LazyAttribute(lambda o: seal(o.name, kind=PiiKind.NAME))
    surname_index = factory.LazyAttribute(lambda o: surname_index_of(o.name))
    phone_cipher = factory.LazyAttribute(lambda o: seal(o.phone, kind=PiiKind.PHONE))
    phone_index = factory.LazyAttribute(lambda o: blind_index(o.phone, kind=PiiKind.PHONE))
    id_number_cipher = factory.LazyAttribute(lambda o: seal(o.id_number, kind=PiiKind.ID_NUMBER))
    id_number_index = factory.LazyAttribute(lambda o: blind_index(o.id_number, kind=PiiKind.ID_NUMBER))
    gender = Gender.MALE
    birth_date = datetime.date(1990, 3, 7)
    branch = factory.LazyAttribute(lambda o: o.owner.branch if o.owner else None)
    owner = None
    aum = Decimal("100000.00")


class ExternalContactFactory(factory.django.DjangoModelFactory):
    """A WeChat user who added a member of staff; a lead unless ``customer`` is given."""

    class Meta:
        model = "channels.ExternalContact"

    external_userid = factory.Sequence(lambda n: f"wmTEST{n:010d}")
    name = factory.Sequence(lambda n: f"微信用户{n}")
    customer = None


class FollowRelationFactory(factory.django.DjangoModelFactory):
    """``staff``'s relation with ``contact`` (pass both); the userid is the staff's."""

    class Meta:
        model = "channels.FollowRelation"

    contact = factory.SubFactory(ExternalContactFactory)
    staff = factory.SubFactory(StaffFactory)
    userid = factory.LazyAttribute(lambda o: o.staff.wecom_userid if o.staff else "unknown")
    added_at = factory.LazyFunction(lambda: datetime.datetime.now(tz=datetime.UTC))


class ContentCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "campaigns.ContentCategory"
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"素材分类{n}")


class ContentItemFactory(factory.django.DjangoModelFactory):
    """A text item for the whole bank; pass ``branch`` to narrow who may use it."""

    class Meta:
        model = "campaigns.ContentItem"

    category = factory.SubFactory(ContentCategoryFactory)
    kind = "text"
    title = factory.Sequence(lambda n: f"素材{n}")
    description = "理财非存款，产品有风险，投资须谨慎。"


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    """A WeCom customer group owned by ``owner`` (a member of staff)."""

    class Meta:
        model = "channels.CustomerGroup"

    chat_id = factory.Sequence(lambda n: f"wrTEST{n:010d}")
    name = factory.Sequence(lambda n: f"客户群{n}")
    owner = factory.SubFactory(StaffFactory)
    owner_userid = factory.LazyAttribute(lambda o: o.owner.wecom_userid if o.owner else "unknown")


class GroupMemberFactory(factory.django.DjangoModelFactory):
    """An external member of ``group`` (pass ``contact``), joined now unless told otherwise."""

    class Meta:
        model = "channels.GroupMember"

    group = factory.SubFactory(CustomerGroupFactory)
    member_type = 2
    contact = factory.SubFactory(ExternalContactFactory)
    member_id = factory.LazyAttribute(lambda o: o.contact.external_userid if o.contact else "unknown")
    join_time = factory.LazyFunction(lambda: datetime.datetime.now(tz=datetime.UTC))
