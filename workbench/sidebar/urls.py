from django.urls import path

from workbench.sidebar import views

urlpatterns = [
    path("", views.SidebarPage.as_view(), name="sidebar"),
    path("auth/", views.SidebarAuthView.as_view(), name="sidebar-auth"),
    path("login/", views.SidebarDevSignInPage.as_view(), name="sidebar-login"),
    path("scripts/", views.SidebarScriptPanel.as_view(), name="sidebar-scripts"),
    path("content/", views.SidebarContentPanel.as_view(), name="sidebar-content"),
    path("content/<int:pk>/preview/", views.SidebarContentPreview.as_view(), name="sidebar-content-preview"),
    path("content/<int:pk>/message/", views.SidebarContentMessage.as_view(), name="sidebar-content-message"),
    path("content/<int:pk>/sent/", views.SidebarContentSent.as_view(), name="sidebar-content-sent"),
    path("jssdk/config/", views.SidebarJsSdkConfigView.as_view(), name="sidebar-jssdk-config"),
    path("contact/<str:external_userid>/", views.SidebarContactCard.as_view(), name="sidebar-contact"),
    path("contact/<str:external_userid>/tags/", views.SidebarContactTags.as_view(), name="sidebar-contact-tags"),
    path("contact/<str:external_userid>/notes/", views.SidebarContactNotes.as_view(), name="sidebar-contact-notes"),
    path(
        "contact/<str:external_userid>/consent/", views.SidebarContactConsent.as_view(), name="sidebar-contact-consent"
    ),
    path(
        "contact/<str:external_userid>/verification-link/",
        views.SidebarVerificationLink.as_view(),
        name="sidebar-verification-link",
    ),
]
