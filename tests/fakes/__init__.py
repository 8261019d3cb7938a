"""Fakes of the services the bot talks to (Telegram), for tests."""
