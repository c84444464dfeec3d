from django.urls import path
from rest_framework.routers import SimpleRouter

from scrm.org import apis

router = SimpleRouter()
router.register("branches", apis.BranchViewSet, basename="branch")
router.register("staff", apis.StaffViewSet, basename="staff")

urlpatterns = [
    path("staff/<int:pk>/role/", apis.StaffRoleChangeApi.as_view(), name="staff-role-change"),
    path("me/", apis.MeApi.as_view(), name="me"),
    *router.urls,
]
