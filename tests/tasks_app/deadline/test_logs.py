"""The CloudWatch Logs client: configured like the deadline one, boto3's chain in aws mode."""

from __future__ import annotations

import pytest
from django.conf import LazySettings

from deadline_emulator import Emulator
from tasks_app.deadline import client as deadline_client


def test_logs_client_shares_the_deadline_clients_configuration(emulator: Emulator) -> None:
    logs = deadline_client.get_logs_client()
    config = logs.meta.config

    assert logs is deadline_client.get_logs_client()
    assert logs.meta.service_model.service_name == "logs"
    assert config.user_agent_appid == deadline_client.USER_AGENT_APPID
    assert config.connect_timeout == deadline_client.get_client().meta.config.connect_timeout
    assert config.retries == deadline_client.get_client().meta.config.retries


def test_aws_mode_logs_client_uses_the_standard_chain(
    settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEADLINE_BACKEND = "aws"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    # boto3 names the service-specific variable after the service ID "CloudWatch Logs".
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://127.0.0.1:8002")
    deadline_client.clear_client_cache()

    logs = deadline_client.get_logs_client()

    assert logs.meta.endpoint_url == "http://127.0.0.1:8002"
    assert logs.meta.region_name == "eu-west-1"
