from django.apps import AppConfig


class ScholarsConfig(AppConfig):
    name = "scholars"
