from django.urls import URLPattern, URLResolver

app_name = "writing"

urlpatterns: list[URLPattern | URLResolver] = []
