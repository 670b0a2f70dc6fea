"""URL configuration for the subhost Django sample project."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("json/", views.json_view, name="json"),
    path("echo/", views.echo, name="echo"),
]
