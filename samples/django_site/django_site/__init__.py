"""Minimal Django 3.2 sample project for subhost (settings: ``django_site.settings``)."""
