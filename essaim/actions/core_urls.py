"""URLs of the action pages, lifecycle, objectives, tasks and calendar (see urls.py).

The fixed pages come first; action slugs never take their first segment (services._unique_slug).
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from . import calendar, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.action_list, name="list"),
    path("calendrier/", calendar.network_calendar, name="calendar"),
    path("mes-taches/", views.my_tasks, name="my_tasks"),
    path("cercle/<slug:slug>/", views.circle_action_list, name="circle_list"),
    path("cercle/<slug:slug>/calendrier/", calendar.circle_calendar, name="circle_calendar"),
    path("cercle/<slug:slug>/nouvelle/", views.action_create, name="create"),
    path("<slug:slug>/", views.action_detail, name="detail"),
    path("<slug:slug>/modifier/", views.action_edit, name="edit"),
    path("<slug:slug>/etat/<str:status>/", views.action_move, name="move"),
    path("<slug:slug>/annuler/", views.action_cancel, name="cancel"),
    path("<slug:slug>/objectifs/nouveau/", views.objective_form, name="objective_create"),
    path("<slug:slug>/objectifs/<int:objective_id>/", views.objective_form, name="objective_edit"),
    path(
        "<slug:slug>/objectifs/<int:objective_id>/supprimer/",
        views.objective_delete,
        name="objective_delete",
    ),
    path("<slug:slug>/resultats/", views.action_results, name="results"),
    path("<slug:slug>/taches/nouvelle/", views.task_form, name="task_create"),
    path("<slug:slug>/taches/<int:task_id>/", views.task_form, name="task_edit"),
    path("<slug:slug>/taches/<int:task_id>/fait/", views.task_done, name="task_done"),
    path("<slug:slug>/taches/<int:task_id>/supprimer/", views.task_delete, name="task_delete"),
]
