"""Reminders, digests, broadcasts and exports on APScheduler 3: jobs derived from the database."""

from __future__ import annotations

from scheduler.exports import ExportWorker
from scheduler.notifier import BroadcastWorker, Notifier, RunReport
from scheduler.service import NOTIFY_PREFIX, SchedulerService

__all__ = [
    "NOTIFY_PREFIX",
    "BroadcastWorker",
    "ExportWorker",
    "Notifier",
    "RunReport",
    "SchedulerService",
]
