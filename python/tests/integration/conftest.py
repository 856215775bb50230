"""The integration tests run against a real broker, registry and the hitl services: the local stack.

deploy's PythonClientIT starts the stack, registers a Python agent and runs these tests with:

  HITL_BOOTSTRAP_SERVERS, HITL_SCHEMA_REGISTRY_URL, HITL_DECISION_PUBLIC_KEYS_FILE,
  HITL_AGENT_ID, HITL_AGENT_CREDENTIAL_ID, HITL_AGENT_KEY, HITL_APPROVAL_URL,
  HITL_DECIDER_PRIVATE_KEY_FILE (a decider's private JWK: to make a genuinely signed decision of
  another tool, as a decider's bug would), and HITL_REQUIRE_STACK=1 (fail, don't skip, without them).

Against a stack of your own (bin/hitl-local), set the same variables.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from hitl import AgentCredential, HitlClient

NAMES = (
    "HITL_BOOTSTRAP_SERVERS",
    "HITL_SCHEMA_REGISTRY_URL",
    "HITL_DECISION_PUBLIC_KEYS_FILE",
    "HITL_AGENT_ID",
    "HITL_AGENT_CREDENTIAL_ID",
    "HITL_AGENT_KEY",
    "HITL_APPROVAL_URL",
    "HITL_DECIDER_PRIVATE_KEY_FILE",
)


@dataclass(frozen=True)
class Stack:
    bootstrap_servers: str
    registry_url: str
    decision_keys_file: str
    credential: AgentCredential
    approval_url: str
    decider_key: dict[str, Any]


@pytest.fixture(scope="session")
def stack() -> Stack:
    missing = [name for name in NAMES if not os.environ.get(name)]
    if missing:
        message = "no hitl stack to test against: set " + ", ".join(missing)
        if os.environ.get("HITL_REQUIRE_STACK") == "1":
            pytest.fail(message)
        pytest.skip(message)
    env = os.environ
    return Stack(
        bootstrap_servers=env["HITL_BOOTSTRAP_SERVERS"],
        registry_url=env["HITL_SCHEMA_REGISTRY_URL"],
        decision_keys_file=env["HITL_DECISION_PUBLIC_KEYS_FILE"],
        credential=AgentCredential.of(env["HITL_AGENT_ID"], env["HITL_AGENT_CREDENTIAL_ID"], env["HITL_AGENT_KEY"]),
        approval_url=env["HITL_APPROVAL_URL"].rstrip("/"),
        decider_key=json.loads(Path(env["HITL_DECIDER_PRIVATE_KEY_FILE"]).read_text(encoding="utf-8")),
    )


@pytest.fixture(scope="session")
def client(stack: Stack) -> Iterator[HitlClient]:
    with HitlClient(
        agent_id=stack.credential.agent_id,
        bootstrap_servers=stack.bootstrap_servers,
        schema_registry_url=stack.registry_url,
        credential=stack.credential,
        decision_public_keys=stack.decision_keys_file,
    ) as hitl:
        assert hitl.await_caught_up(30), "the client did not read its decisions partition to its end"
        yield hitl


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Polls ``condition`` until it returns something truthy; fails naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


class Reviewer:
    """A reviewer on the approval service's JSON API: sign in, read the inbox, vote."""

    def __init__(self, base: str, user: str, password: str) -> None:
        self.base = base
        status, body = self._call("POST", "/login", {"username": user, "password": password})
        assert status == 200, body
        self.token = json.loads(body)["access_token"]

    def _call(self, method: str, path: str, payload: Any = None) -> tuple[int, str]:
        request = urllib.request.Request(
            self.base + path if path.startswith("/") else path,
            method=method,
            data=None if payload is None else json.dumps(payload).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if getattr(self, "token", None):
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8")

    def inbox(self) -> str:
        """Every open request the reviewer may see, as JSON text (all pages)."""
        items: list[Any] = []
        next_page: str | None = "/api/requests?limit=1000"
        while next_page is not None:
            request = urllib.request.Request(self.base + next_page, headers={"Authorization": f"Bearer {self.token}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                items.extend(json.loads(response.read().decode("utf-8")))
                link = response.headers.get("Link")
            next_page = None if not link else link[link.index("<") + 1 : link.index(">")]
        return json.dumps(items)

    def wait_for(self, action_id: str, timeout: float = 90) -> None:
        wait_until(lambda: action_id in self.inbox(), timeout, f"action {action_id} in the reviewer's inbox")

    def vote(self, action_id: str, vote: dict[str, Any]) -> None:
        status, body = self._call("POST", f"/api/requests/{action_id}/votes", vote)
        assert status == 202, body


@pytest.fixture(scope="session")
def reviewer(stack: Stack) -> Reviewer:
    user = os.environ.get("HITL_REVIEWER", "reviewer")
    return Reviewer(stack.approval_url, user, os.environ.get("HITL_REVIEWER_PASSWORD", user))


@pytest.fixture(scope="session")
def senior_reviewer(stack: Stack) -> Reviewer:
    """A reviewer of the senior tier (where the default policy raises an action proposed without a confidence)."""
    user = os.environ.get("HITL_SENIOR_REVIEWER", "senior")
    return Reviewer(stack.approval_url, user, os.environ.get("HITL_SENIOR_REVIEWER_PASSWORD", user))
