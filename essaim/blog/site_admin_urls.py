from django.urls import URLPattern, URLResolver

app_name = "site_admin"

urlpatterns: list[URLPattern | URLResolver] = []
