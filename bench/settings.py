"""Benchmark settings: Essaim's own, plus a bare hello-world view to measure against.

Only used when ESSAIM_BENCH=1: the bare view must never exist in a real install.
"""

import os

from config.settings import *  # noqa: F403

if os.environ.get("ESSAIM_BENCH") != "1":
    raise RuntimeError("bench.settings is for the benchmark only: set ESSAIM_BENCH=1.")

ROOT_URLCONF = "bench.urls"
