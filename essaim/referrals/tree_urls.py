"""The who-brought-whom tree (/reseau/): my downline and, for staff, the whole network."""

from django.urls import URLPattern, URLResolver, path

from . import tree_views

app_name = "network"

urlpatterns: list[URLPattern | URLResolver] = [
    path("moi/", tree_views.mine, name="mine"),
    path("", tree_views.overview, name="overview"),
    path("arbre/", tree_views.tree, name="tree"),
    path("arbre/<int:pk>/enfants/", tree_views.children, name="children"),
    path("personne/<int:pk>/corriger/", tree_views.correct, name="correct"),
]
