from django.urls import path

from customers.tagging import views

urlpatterns = [
    path("", views.TagCataloguePage.as_view(), name="tag-catalogue"),
    path("rules/preview/", views.TagRulePreviewPartial.as_view(), name="tag-rule-preview"),
    path("runs/", views.TagRuleRunStart.as_view(), name="tag-rule-run-start"),
    path("runs/<int:pk>/", views.TagRuleRunProgressPartial.as_view(), name="tag-rule-run-progress"),
    path("<slug:code>/rule/", views.TagRuleEditPage.as_view(), name="tag-rule-edit"),
]
