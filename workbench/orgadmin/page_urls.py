"""Branch and staff administration pages, mounted at /org/ inside the language-prefixed pages."""

from django.urls import path

from workbench.orgadmin import views

urlpatterns = [
    path("branches/", views.BranchListPage.as_view(), name="org-branches"),
    path("branches/<int:pk>/", views.BranchDetailPage.as_view(), name="org-branch"),
    path("staff/", views.StaffListPage.as_view(), name="org-staff"),
    path("staff/new/", views.StaffCreatePage.as_view(), name="org-staff-new"),
    path("staff/<int:pk>/", views.StaffDetailPage.as_view(), name="org-staff-detail"),
]
