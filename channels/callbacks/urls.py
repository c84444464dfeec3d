from django.urls import path

from channels.callbacks import views

app_name = "callbacks"

urlpatterns = [
    path("", views.wecom_callback, name="wecom"),
]
