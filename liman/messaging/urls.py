from django.urls import path

from liman.core.messages import message_kinds

from . import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.message_list, name="message-list"),
    path("messages/texts/", views.template_list, name="message-template-list"),
    path("messages/texts/<str:kind_key>/", views.template_edit, name="message-template-edit"),
    path("messages/webhook/<str:backend>/", views.webhook, name="message-webhook"),
    path("messages/people/<str:reference>/contact/", views.person_contact, name="message-person-contact"),
    path("messages/people/<str:reference>/opt-out/", views.person_opt_out, name="message-person-opt-out"),
    path("messages/people/<str:reference>/send/", views.person_send, name="message-person-send"),
    path("messages/<int:pk>/", views.message_detail, name="message-detail"),
    path("messages/<int:pk>/cancel/", views.message_cancel, name="message-cancel"),
    path("messages/<int:pk>/retry/", views.message_retry, name="message-retry"),
]

# A message to a list an app offers from one of its records: `/<path>/<pk>/message/` (a distribution's
# households: /distributions/<pk>/message/), one route per kind that offers one.
urlpatterns += [
    path(
        f"{kind.audience.path}/<int:pk>/message/",
        views.audience_message,
        {"kind_key": kind.key},
        name=f"message-audience-{kind.key}",
    )
    for kind in message_kinds()
    if kind.audience is not None
]
