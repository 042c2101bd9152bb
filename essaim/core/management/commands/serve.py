"""Run Essaim on this machine: the task worker in the background, the web server in front."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

MANAGE_PY = Path(settings.BASE_DIR) / "manage.py"


def worker_command(task_backend: str) -> list[str] | None:
    """Return the command line of the task worker for a backend, or None if none is needed."""
    if task_backend == "database":
        return [sys.executable, str(MANAGE_PY), "db_worker"]
    if task_backend == "rq":
        return [
            sys.executable,
            str(MANAGE_PY),
            "rqworker",
            "--job-class",
            "django_tasks_rq.Job",
            "default",
        ]
    # The immediate backend runs tasks inside the request: nothing to start.
    return None


def scheduler_command() -> list[str]:
    """Return the command line of the scheduler (daily and weekly digests, at their time)."""
    return [sys.executable, str(MANAGE_PY), "scheduler"]


def is_reloader_child() -> bool:
    # runserver's autoreloader runs this command again in a child process with RUN_MAIN set;
    # only the outer process owns the worker.
    return os.environ.get("RUN_MAIN") == "true"


class Command(BaseCommand):
    help = "Start the task worker and the development web server together (used by `make run`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the task worker (nor the scheduler).",
        )
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Do not start the scheduler."
        )
        parser.add_argument(
            "--reload", action="store_true", help="Restart the web server when code changes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = options["host"], options["port"]
        if not 0 < port < 65536:
            raise CommandError(_("Le port doit être compris entre 1 et 65535."))
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        worker: subprocess.Popen[bytes] | None = None
        command = None if options["no_worker"] else worker_command(settings.TASK_BACKEND)
        if command and not is_reloader_child():
            # A fixed command line built above, never user input.
            worker = subprocess.Popen(command)  # noqa: S603
            self.stdout.write(
                _("Tâches de fond : travailleur démarré (pid %(pid)s).") % {"pid": worker.pid}
            )
        scheduler: subprocess.Popen[bytes] | None = None
        if not (options["no_worker"] or options["no_scheduler"] or is_reloader_child()):
            scheduler = subprocess.Popen(scheduler_command())  # noqa: S603
            self.stdout.write(
                _("Tâches périodiques : planificateur démarré (pid %(pid)s).")
                % {"pid": scheduler.pid}
            )
        url_host = f"[{host}]" if ":" in host else host
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Essaim est accessible à l'adresse http://%(host)s:%(port)s "
                    "(Ctrl-C pour arrêter)."
                )
                % {"host": url_host, "port": port}
            )
        )
        # systemd, `kill` or a closing terminal send SIGTERM: turn it into a normal exit so
        # that the worker is stopped below instead of being left behind.
        previous = signal.signal(signal.SIGTERM, _exit_on_signal)
        try:
            call_command("runserver", address, use_reloader=options["reload"])
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            if worker is not None:
                stop_worker(worker)
            if scheduler is not None:
                stop_worker(scheduler)


def _exit_on_signal(signum: int, frame: Any) -> None:
    raise SystemExit(0)


def stop_worker(worker: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Ask the worker to finish its current task, then force it if it lingers."""
    if worker.poll() is not None:
        return
    worker.terminate()
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
