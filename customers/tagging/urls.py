from django.urls import path
from rest_framework.routers import SimpleRouter

from customers.tagging import apis

router = SimpleRouter()
router.register("tag-groups", apis.TagGroupViewSet, basename="tag-group")
router.register("tags", apis.TagViewSet, basename="tag")

urlpatterns = [
    path("tag-groups/new/", apis.TagGroupCreateApi.as_view(), name="tag-group-create"),
    path("tags/new/", apis.TagCreateApi.as_view(), name="tag-create"),
    path("tags/<slug:code>/assign/", apis.TagAssignApi.as_view(), name="tag-assign"),
    path("tags/<slug:code>/remove/", apis.TagRemoveApi.as_view(), name="tag-remove"),
    path("tags/<slug:code>/rule/", apis.TagRuleSaveApi.as_view(), name="tag-rule-save"),
    path("tag-rules/preview/", apis.TagRulePreviewApi.as_view(), name="tag-rule-preview"),
    path("tag-rules/runs/", apis.TagRuleRunStartApi.as_view(), name="tag-rule-run-start"),
    path("tag-rules/runs/<int:pk>/", apis.TagRuleRunDetailApi.as_view(), name="tag-rule-run-detail"),
    *router.urls,
]
