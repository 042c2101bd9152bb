from django.urls import URLPattern, URLResolver

app_name = "capillarity"

urlpatterns: list[URLPattern | URLResolver] = []
