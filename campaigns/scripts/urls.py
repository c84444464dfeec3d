from django.urls import path
from rest_framework.routers import SimpleRouter

from campaigns.scripts import apis, views

router = SimpleRouter()
router.register("scripts", apis.ScriptViewSet, basename="script")
router.register("script-categories", apis.ScriptCategoryViewSet, basename="script-category")

# Under /api/campaigns/.
urlpatterns = [*router.urls]

# Under the language prefix: head office's library pages.
page_urlpatterns = [
    path("", views.ScriptLibraryPage.as_view(), name="script-library"),
    path("new/", views.ScriptEditPage.as_view(), name="script-create"),
    path("<int:pk>/", views.ScriptEditPage.as_view(), name="script-edit"),
    path("<int:pk>/delete/", views.ScriptDeleteView.as_view(), name="script-delete"),
    path("categories/new/", views.ScriptCategoryCreateView.as_view(), name="script-category-create"),
    path("categories/<int:pk>/delete/", views.ScriptCategoryDeleteView.as_view(), name="script-category-delete"),
]
