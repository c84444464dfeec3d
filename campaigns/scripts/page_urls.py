"""Head office's script library pages, mounted at /campaigns/scripts/ inside the language-prefixed pages."""

from django.urls import path

from campaigns.scripts import views

urlpatterns = [
    path("", views.ScriptLibraryPage.as_view(), name="script-library"),
    path("new/", views.ScriptEditPage.as_view(), name="script-create"),
    path("<int:pk>/", views.ScriptEditPage.as_view(), name="script-edit"),
    path("<int:pk>/delete/", views.ScriptDeleteView.as_view(), name="script-delete"),
    path("categories/new/", views.ScriptCategoryCreateView.as_view(), name="script-category-create"),
    path("categories/<int:pk>/delete/", views.ScriptCategoryDeleteView.as_view(), name="script-category-delete"),
]
