from django.urls import URLPattern, URLResolver

app_name = "seo"

urlpatterns: list[URLPattern | URLResolver] = []
