from django.urls import path

from customers.tagging import views

urlpatterns = [
    path("", views.TagCataloguePage.as_view(), name="tag-catalogue"),
    path("groups/new/", views.TagGroupFormPage.as_view(), name="tag-group-new"),
    path("groups/<int:pk>/edit/", views.TagGroupFormPage.as_view(), name="tag-group-edit"),
    path("new/", views.TagFormPage.as_view(), name="tag-new"),
    path("<int:pk>/edit/", views.TagFormPage.as_view(), name="tag-edit"),
    path("<int:pk>/retire/", views.TagActiveSet.as_view(active=False), name="tag-retire"),
    path("<int:pk>/reactivate/", views.TagActiveSet.as_view(active=True), name="tag-reactivate"),
    path("bulk/preview/", views.BulkTagPreviewPartial.as_view(), name="tag-bulk-preview"),
    path("bulk/", views.BulkTagStart.as_view(), name="tag-bulk-start"),
    path("bulk/<int:pk>/", views.BulkTagProgressPartial.as_view(), name="tag-bulk-progress"),
    path("rules/preview/", views.TagRulePreviewPartial.as_view(), name="tag-rule-preview"),
    path("runs/", views.TagRuleRunStart.as_view(), name="tag-rule-run-start"),
    path("runs/<int:pk>/", views.TagRuleRunProgressPartial.as_view(), name="tag-rule-run-progress"),
    path("<slug:code>/rule/", views.TagRuleEditPage.as_view(), name="tag-rule-edit"),
]
