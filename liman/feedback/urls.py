from django.urls import path

from . import views

app_name = "feedback"

urlpatterns = [
    path("feedback/", views.feedback_list, name="feedback-list"),
    path("feedback/new/", views.feedback_create, name="feedback-create"),
    path("feedback/trends/", views.feedback_trends, name="feedback-trends"),
    path("feedback/trends.xlsx", views.feedback_trends_xlsx, name="feedback-trends-xlsx"),
    path("feedback/<str:reference>/", views.feedback_detail, name="feedback-detail"),
    path("feedback/<str:reference>/triage/", views.feedback_triage, name="feedback-triage"),
    path("feedback/<str:reference>/assign/", views.feedback_assign, name="feedback-assign"),
    path("feedback/<str:reference>/resolve/", views.feedback_resolve, name="feedback-resolve"),
    path("feedback/<str:reference>/respond/", views.feedback_respond, name="feedback-respond"),
    path("feedback/<str:reference>/close/", views.feedback_close, name="feedback-close"),
]
