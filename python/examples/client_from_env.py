"""The hitl client of the examples, from the environment (see the README: the local stack's settings)."""

from __future__ import annotations

import os

from hitl import HitlClient


def client_from_env() -> HitlClient:
    return HitlClient(
        agent_id=os.environ["HITL_AGENT_ID"],
        bootstrap_servers=os.environ.get("HITL_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        schema_registry_url=os.environ.get("HITL_SCHEMA_REGISTRY_URL", "http://127.0.0.1:8081/apis/ccompat/v7"),
        credential=(os.environ["HITL_AGENT_CREDENTIAL_ID"], os.environ["HITL_AGENT_KEY"]),
        decision_public_keys=os.environ["HITL_DECISION_PUBLIC_KEYS_FILE"],
    )
