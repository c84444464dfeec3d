"""Content library pages, mounted at /campaigns/content/ inside the language-prefixed pages."""

from django.urls import path

from campaigns.content import views

urlpatterns = [
    path("", views.ContentLibraryPage.as_view(), name="content-library"),
    path("new/", views.ContentEditPage.as_view(), name="content-create"),
    path("<int:pk>/", views.ContentEditPage.as_view(), name="content-edit"),
    path("<int:pk>/file/", views.ContentFileView.as_view(), name="content-file"),
    path("<int:pk>/delete/", views.ContentDeleteView.as_view(), name="content-delete"),
    path("categories/new/", views.ContentCategoryCreateView.as_view(), name="content-category-create"),
    path("categories/<int:pk>/rename/", views.ContentCategoryRenameView.as_view(), name="content-category-rename"),
    path("categories/<int:pk>/delete/", views.ContentCategoryDeleteView.as_view(), name="content-category-delete"),
]
