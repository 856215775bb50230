"""The client an agent uses to put its actions in front of hitl: propose, then wait for the one
decision, verified. Mirrors the Java SDK's ``HitlClient`` on Confluent's Python client.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

import fastavro
from confluent_kafka import OFFSET_END, Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from .canonical import StrictJsonError, parse_strict_object
from .credentials import (
    AUTH_AGENT_HEADER,
    AUTH_HEADER,
    WITHDRAWN_BY_HEADER,
    AgentCredential,
    auth_header,
    proposal_content,
    withdrawal_content,
)
from .decisions import (
    NOT_THIS_PROPOSAL,
    RUNNABLE,
    Decision,
    DecisionRecord,
    DecisionVerifier,
    Outcome,
    Verification,
    check,
    mismatch,
    refused,
)
from .keys import KeySource, PublicKeys
from . import tracing
from .partitioner import partition_for
from .proposals import ProposedAction, SentProposal, epoch_millis, wire_form
from .tracing import Tracing

__all__ = ["HitlClient", "ProposalNotSent", "DEFAULT_NAMESPACE", "DEFAULT_PARTITIONS"]

LOG = logging.getLogger("hitl.client")

#: The topic namespace of a default installation.
DEFAULT_NAMESPACE = "hitl"
#: The partitions of hitl's keyed topics in a default installation.
DEFAULT_PARTITIONS = 6

_REMEMBERED_DECISIONS = 10_000
_MAX_DECISIONS_PER_ACTION = 4

K = TypeVar("K")
V = TypeVar("V")


class _Remembered(OrderedDict[K, V], Generic[K, V]):
    """At most a fixed number of entries; the oldest goes first."""

    def __setitem__(self, key: K, value: V) -> None:
        super().__setitem__(key, value)
        while len(self) > _REMEMBERED_DECISIONS:
            self.popitem(last=False)


class ProposalNotSent(RuntimeError):
    """A proposal or withdrawal could not be written to Kafka."""


@dataclass
class _Pending:
    """What a proposal (or a withdrawal of an action not proposed since start) waits for."""

    proposal: SentProposal | None
    answer: Future[Decision]
    #: the context of the proposal's ``hitl propose`` span, which the decision's span links to
    span_context: Any = None


def _complete(future: Future[Decision], decision: Decision) -> None:
    try:
        future.set_result(decision)
    except InvalidStateError:
        pass


def _fail(future: Future[Decision], error: BaseException) -> None:
    try:
        future.set_exception(error)
    except InvalidStateError:
        pass


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class HitlClient:
    """Proposes an agent's actions and hands out their decisions, verified.

    The client reads only the partition of ``<namespace>.decisions`` that holds its agentId (Java's
    murmur2 partition of the key), from a look-back window (24 h by default), so a decision made while
    the agent was down reaches it when it proposes the same action (same actionId and content) again.

    Every record on that partition is checked before it is handed out:

    1. the Ed25519 signature with the pinned public keys, and ``finalArguments`` against the signed
       ``argumentsHash``;
    2. it decides exactly the proposal this client sent (actionId, agent, ``proposalHash``; an
       approval also the proposal's actionType, tool and target, and AUTO_APPROVED/APPROVED its own
       arguments);
    3. an approval may run only before ``expiresAt``.

    A record failing 1 or 2 is not an answer at all: it is logged, counted (:meth:`refusals`) and
    ignored; the proposal keeps waiting for its real decision. So a forger with write access to the
    topic can neither approve an action nor end the wait with a refusal.

    Proposals are written with the registry's latest ProposedAction schema (``use.latest.version``,
    never auto-registering: the services publish the contract at start) and authenticated with the
    agent's credential (header ``hitl.auth``).

    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        agent_id: str,
        bootstrap_servers: str,
        schema_registry_url: str,
        credential: AgentCredential | tuple[str, str] | None,
        decision_public_keys: KeySource,
        *,
        delegate_credential: AgentCredential | None = None,
        namespace: str = DEFAULT_NAMESPACE,
        partitions: int | None = None,
        kafka_config: Mapping[str, Any] | None = None,
        schema_registry_config: Mapping[str, Any] | None = None,
        lookback: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = _utc_now,
        timeout: float = 30.0,
        tracer_provider: Any = None,
    ) -> None:
        """Starts a client (connects, finds its partition, starts reading decisions).

        :param agent_id: this agent's identity
        :param bootstrap_servers: the Kafka brokers
        :param schema_registry_url: the Confluent-API registry root (Apicurio: ``.../apis/ccompat/v7``)
        :param credential: the agent's own credential (or ``(credential_id, key)`` as the operators
            hand it out); required unless ``delegate_credential`` is given
        :param decision_public_keys: the deciders' public keys: :class:`PublicKeys`, a JWKS/JWK dict,
            or the path of a file holding one (a private key is refused)
        :param delegate_credential: instead of ``credential``: the credential of another agent that the
            registry lists as a delegate of ``agent_id`` (e.g. an MCP gateway)
        :param namespace: the installation's topic namespace
        :param partitions: the partitions ``<namespace>.decisions`` is expected to have; None reads
            them from the broker (given, the client checks that the broker agrees)
        :param kafka_config: librdkafka settings for both clients (``security.protocol``,
            ``sasl.*``, ``ssl.*`` ...); idempotence, acks and the partitioner are the client's own
        :param schema_registry_config: more settings of the registry client (``basic.auth.user.info`` ...)
        :param lookback: how far back to read decisions at start
        :param clock: the clock that judges expiry
        :param timeout: seconds to wait for the broker at start
        :param tracer_provider: the OpenTelemetry tracer provider of the ``hitl propose`` and
            ``hitl decision`` spans (default: the global one); ignored without ``opentelemetry-api``
            (the ``otel`` extra), see :mod:`hitl.tracing`
        """
        if not agent_id:
            raise ValueError("agent_id is required")
        self.agent_id = agent_id
        self._tracing = Tracing(tracer_provider)
        self._credential = self._choose_credential(agent_id, credential, delegate_credential)
        self._auth_agent: list[tuple[str, str | bytes | None]] = (
            []
            if self._credential.agent_id == agent_id
            else [(AUTH_AGENT_HEADER, self._credential.agent_id.encode("utf-8"))]
        )
        keys = PublicKeys.load(decision_public_keys)
        if len(keys) == 0:
            raise ValueError(
                "the deciders' public decision keys are required (a JWKS, e.g. from the classifier's"
                " /.well-known/jwks.json): every decision is verified with them"
            )
        self._verifier = DecisionVerifier(keys)
        if keys.trusts_development_key():
            LOG.warning(
                "Agent %s trusts the development decision key local-dev: its private half is public, so"
                " anyone can sign decisions this client accepts. Use it only on a local stack.",
                agent_id,
            )
        self._clock = clock
        self.proposals_topic = f"{namespace}.actions.proposed"
        self.decisions_topic = f"{namespace}.decisions"

        registry_config = dict(schema_registry_config or {})
        registry_config["url"] = schema_registry_url
        self._registry = SchemaRegistryClient(registry_config)
        # The services publish the contract at start: write with the latest registered schema, never
        # register one; subjects by topic (<topic>-value), as hitl's Java clients name them.
        self._serializer = AvroSerializer(
            self._registry,
            None,
            None,
            {"auto.register.schemas": False, "use.latest.version": True, "subject.name.strategy.type": "TOPIC"},
        )
        self._deserializer = AvroDeserializer(self._registry, conf={"subject.name.strategy.type": "TOPIC"})
        self._schemas: dict[str, Any] = {}

        common = dict(kafka_config or {})
        common["bootstrap.servers"] = bootstrap_servers
        producer_config = dict(common)
        producer_config.update(
            {
                "enable.idempotence": True,
                "acks": "all",
                # Java's murmur2 for keyed records, so proposals land where the classifier expects them.
                "partitioner": "murmur2_random",
            }
        )
        consumer_config = dict(common)
        consumer_config.update(
            {
                "group.id": f"hitl-agent-{agent_id}-{uuid.uuid4()}",  # never joined: partitions are assigned
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "isolation.level": "read_committed",
                "enable.partition.eof": True,
                "auto.offset.reset": "latest",
            }
        )
        self._producer = Producer(producer_config)
        self._consumer = Consumer(consumer_config)

        self._lock = threading.Lock()
        self._pending: dict[str, _Pending] = {}
        self._verified: _Remembered[str, list[DecisionRecord]] = _Remembered()
        self._answered: _Remembered[str, Decision] = _Remembered()
        # Every proposal this client sent, by actionId, for check().
        self._sent: _Remembered[str, SentProposal] = _Remembered()
        self._refusals: dict[str, int] = {}
        self._caught_up = threading.Event()
        self._running = True
        try:
            metadata = self._consumer.list_topics(self.decisions_topic, timeout=timeout)
            topic = metadata.topics.get(self.decisions_topic)
            if topic is None or topic.error is not None or not topic.partitions:
                raise ValueError(
                    f"the topic {self.decisions_topic} is missing"
                    f"{'' if topic is None or topic.error is None else ' (' + str(topic.error) + ')'}:"
                    " is hitl installed in this namespace?"
                )
            count = len(topic.partitions)
            if partitions is not None and partitions != count:
                raise ValueError(
                    f"{self.decisions_topic} has {count} partitions, not the {partitions} this client was given"
                )
            # The partition the default (murmur2) partitioner gives the key agentId: only it holds
            # this agent's decisions.
            self.decisions_partition = partition_for(agent_id, count)
            since = epoch_millis(clock() - lookback)
            found = self._consumer.offsets_for_times(
                [TopicPartition(self.decisions_topic, self.decisions_partition, since)], timeout=timeout
            )
            start = found[0].offset if found and found[0].offset >= 0 else OFFSET_END
            self._consumer.assign([TopicPartition(self.decisions_topic, self.decisions_partition, start)])
        except BaseException:
            self._consumer.close()
            raise
        self._reader = threading.Thread(target=self._read, name=f"hitl-decisions-{agent_id}", daemon=True)
        self._reader.start()

    @staticmethod
    def _choose_credential(
        agent_id: str,
        credential: AgentCredential | tuple[str, str] | None,
        delegate: AgentCredential | None,
    ) -> AgentCredential:
        if credential is not None and delegate is not None:
            raise ValueError("give either the agent's own credential or a delegate's, not both")
        if delegate is not None:
            if delegate.agent_id == agent_id:
                raise ValueError(f"the delegate credential is agent {agent_id}'s own: give it as credential")
            return delegate
        if credential is None:
            raise ValueError(
                f"agent {agent_id} needs its credential (the credential id and key the operators issued for"
                " it): hitl authenticates every proposal and withdrawal and refuses those it cannot"
            )
        if isinstance(credential, tuple):
            credential = AgentCredential.of(agent_id, credential[0], credential[1])
        if credential.agent_id != agent_id:
            raise ValueError(
                f"the credential {credential.credential_id} is agent {credential.agent_id}'s, not {agent_id}'s"
                f" (a delegate proposing for {agent_id} gives its own as delegate_credential)"
            )
        return credential

    # ------------------------------------------------------------------ proposing

    def propose(self, action: ProposedAction) -> Future[Decision]:
        """Proposes an action; the future completes with its verified decision.

        The arguments must be a strict JSON object (I-JSON): no duplicate member names, no numbers
        a double cannot hold exactly (send large ids as strings). Proposing the same action again
        (same actionId and content) returns the decision already made, or sends it again and waits.

        :param action: the proposal; an empty ``agent_id`` becomes this client's
        :raises ValueError: when it names another agent, its arguments are not a strict JSON object,
            it cannot be written, or this client already waits for another proposal under its actionId
        """
        if not action.agent_id:
            action = replace(action, agent_id=self.agent_id)
        elif action.agent_id != self.agent_id:
            raise ValueError(f"this client proposes for agent {self.agent_id}, not {action.agent_id}")
        action_id = action.action_id
        if not action_id or not action_id.strip():
            raise ValueError("a proposal needs an actionId")
        try:
            parse_strict_object(action.arguments)
        except StrictJsonError as e:
            raise ValueError(f"the arguments of action {action_id} are not a strict JSON object: {e}") from e
        record = action.to_avro()
        context = SerializationContext(self.proposals_topic, MessageField.VALUE)
        sent = SentProposal.of(wire_form(record, self._proposal_schema()))
        value = self._serializer(record, context)
        # The proposal's span: the child of the caller's current span (its tool call).
        span = self._tracing.propose(action_id, self.agent_id, action.tool, action.action_type)
        with self._lock:
            waiting = self._pending.get(action_id)
            if (
                waiting is not None
                and waiting.proposal is not None
                and waiting.proposal.proposal_hash != sent.proposal_hash
            ):
                tracing.end(span)
                raise ValueError(
                    "this client already waits for the decision of another proposal under actionId"
                    f" {action_id} (other content): give a new action its own actionId"
                )
            answer: Future[Decision] = waiting.answer if waiting is not None else Future()
            known = self._known(sent)
            self._sent[action_id] = sent
            if known is None:
                self._pending[action_id] = _Pending(sent, answer, tracing.span_context(span))
            else:
                self._pending.pop(action_id, None)
                self._answered[action_id] = known
        if known is not None:
            tracing.end(span)
            _complete(answer, known)
            return answer
        content = proposal_content(
            action_id, self.agent_id, self._credential.credential_id, sent.proposal_hash, sent.proposed_at_millis
        )
        # Not covered by the credential's MAC, which binds the proposal's content.
        headers = tracing.with_trace_context(self._headers(content), tracing.span_context(span))
        self._send(action_id, value, headers, answer, withdrawal=False, span=span)
        return answer

    def propose_and_wait(self, action: ProposedAction, timeout: float | timedelta) -> Decision:
        """Proposes an action and waits for its verified decision.

        :raises TimeoutError: (``concurrent.futures.TimeoutError``) when no decision came in time;
            the proposal stays open: propose the same action again later to pick up its decision
        :raises ProposalNotSent: when the proposal could not be written
        """
        seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else timeout
        return self.propose(action).result(seconds)

    def withdraw(self, action_id: str) -> Future[Decision]:
        """Withdraws a proposal this agent made; the future completes with the action's final decision.

        Sends a tombstone on the proposals topic (key = actionId, no value, header
        ``hitl.withdrawn.by`` = this agent, ``hitl.auth`` over the withdrawal). The returned future is
        the very future a pending :meth:`propose` of the action waits on: WITHDRAWN when the withdrawal
        reached the escalation service while the action still waited for a human, otherwise the
        decision made before it. **A withdrawal never undoes a decision**: an agent that withdrew must
        not run the action whatever the answer. When this client already answered a proposal of the
        action, nothing is sent and the future is complete at once; for an action proposed before a
        restart, the decision read is handed out never runnable.
        """
        if not action_id or not action_id.strip():
            raise ValueError("actionId is required to withdraw a proposal")
        known: Decision | None = None
        with self._lock:
            waiting = self._pending.get(action_id)
            if waiting is not None:
                answer = waiting.answer
            elif action_id in self._answered:
                done: Future[Decision] = Future()
                done.set_result(self._answered[action_id])
                return done
            else:
                answer = Future()
                seen = self._verified.get(action_id)
                known = self._unbound(seen[-1]) if seen else None
                if known is None:
                    self._pending[action_id] = _Pending(None, answer)
        content = withdrawal_content(action_id, self.agent_id, self._credential.credential_id)
        headers = [(WITHDRAWN_BY_HEADER, self.agent_id.encode("utf-8")), *self._headers(content)]
        self._send(action_id, None, headers, answer, withdrawal=True)
        if known is not None:
            _complete(answer, known)
        return answer

    def check(self, record: DecisionRecord | Mapping[str, Any]) -> Decision:
        """What this client makes of a decision record for one of its proposals, wherever it came from.

        The same checks as for records read from the topic (signature, binding to the proposal this
        client sent under that actionId, expiry), but a record that fails them is returned as a
        :class:`Decision` that never runs (``may_run`` False, ``problem`` says why) instead of being
        ignored. A record of an action this client did not propose since it started never runs.
        """
        if not isinstance(record, DecisionRecord):
            record = DecisionRecord.from_avro(record)
        result = self._verifier.verify(record)
        if result is not Verification.VALID:
            return refused(record, result.describe())
        if record.agent_id != self.agent_id:
            return refused(record, f"it is addressed to agent {record.agent_id}, not {self.agent_id}")
        with self._lock:
            proposal = self._sent.get(record.action_id)
        if proposal is None:
            return self._unbound(record)
        problem = mismatch(record, proposal)
        if problem is not None:
            return refused(record, problem)
        return check(record, self._clock())

    def sent(self, action_id: str) -> SentProposal | None:
        """The proposal this client sent under ``action_id``: as the classifier reads it, with its hash."""
        with self._lock:
            return self._sent.get(action_id)

    # ------------------------------------------------------------------ state

    def await_caught_up(self, timeout: float) -> bool:
        """Whether the client has read its partition up to its end as of start, within ``timeout`` s."""
        return self._caught_up.wait(timeout)

    @property
    def refused_decisions(self) -> int:
        """How many records of this agent's decisions the client refused (forged, changed, another proposal's)."""
        with self._lock:
            return sum(self._refusals.values())

    def refusals(self) -> dict[str, int]:
        """The refusals so far by reason: a :class:`Verification` name or ``NOT_THIS_PROPOSAL``."""
        with self._lock:
            return dict(sorted(self._refusals.items()))

    @property
    def authenticated_as(self) -> str:
        """The agent whose credential authenticates this client's records (this agent or its delegate)."""
        return self._credential.agent_id

    def __repr__(self) -> str:  # never shows the key
        return (
            f"HitlClient(agent_id={self.agent_id!r}, credential={self._credential.agent_id}/"
            f"{self._credential.credential_id}, partition={self.decisions_topic}-{self.decisions_partition})"
        )

    def close(self, timeout: float = 10.0) -> None:
        """Stops reading; proposals still waiting are cancelled."""
        self._running = False
        if self._reader.is_alive():
            self._reader.join(timeout)
        self._producer.flush(timeout)
        with self._lock:
            open_ = list(self._pending.values())
            self._pending.clear()
        for pending in open_:
            pending.answer.cancel()

    def __enter__(self) -> HitlClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals

    def _proposal_schema(self) -> Any:
        subject = self.proposals_topic + "-value"
        text = self._registry.get_latest_version(subject).schema.schema_str
        if text is None:
            raise ValueError(f"the schema registry holds no schema text for {subject}")
        parsed = self._schemas.get(text)
        if parsed is None:
            parsed = fastavro.parse_schema(json.loads(text))
            self._schemas[text] = parsed
        return parsed

    def _headers(self, content: str) -> list[tuple[str, str | bytes | None]]:
        return [(AUTH_HEADER, auth_header(self._credential, content).encode("utf-8")), *self._auth_agent]

    def _send(
        self,
        action_id: str,
        value: bytes | None,
        headers: list[tuple[str, str | bytes | None]],
        answer: Future[Decision],
        withdrawal: bool,
        span: Any = None,
    ) -> None:
        def delivered(error: KafkaError | None, _message: Message) -> None:
            tracing.end(span, None if error is None else error.str())
            if error is None:
                return
            with self._lock:
                pending = self._pending.get(action_id)
                if pending is not None and pending.answer is answer:
                    del self._pending[action_id]
            what = "withdrawal" if withdrawal else "proposal"
            _fail(
                answer,
                ProposalNotSent(
                    f"the {what} of action {action_id} could not be sent ({error.str()})"
                    + ("; the proposal is still open: withdraw it again" if withdrawal else "")
                ),
            )

        try:
            self._producer.produce(
                self.proposals_topic,
                key=action_id.encode("utf-8"),
                value=value,
                headers=headers,
                on_delivery=delivered,
            )
        except (KafkaException, BufferError) as e:
            tracing.end(span, str(e))
            with self._lock:
                pending = self._pending.get(action_id)
                if pending is not None and pending.answer is answer:
                    del self._pending[action_id]
            raise ProposalNotSent(f"action {action_id} could not be sent: {e}") from e
        self._producer.poll(0)

    def _read(self) -> None:
        try:
            while self._running:
                self._producer.poll(0)
                message = self._consumer.poll(0.2)
                if message is None:
                    continue
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        self._caught_up.set()
                    else:
                        LOG.warning("Reading %s: %s", self.decisions_topic, error.str())
                    continue
                self._accept(message)
        except Exception as e:  # the reader must not die silently
            LOG.error("The decisions reader of agent %s stopped", self.agent_id, exc_info=True)
            with self._lock:
                open_ = list(self._pending.values())
            for pending in open_:
                _fail(pending.answer, e)
        finally:
            self._consumer.close()

    def _accept(self, message: Message) -> None:
        try:
            value = self._deserializer(
                message.value(), SerializationContext(message.topic() or "", MessageField.VALUE, message.headers())
            )
            record = None if value is None else DecisionRecord.from_avro(value)
        except Exception as e:
            LOG.warning(
                "Skipped an unreadable record at %s-%s@%s: %s",
                message.topic(),
                message.partition(),
                message.offset(),
                e,
            )
            return
        if record is None or record.agent_id != self.agent_id:
            return
        result = self._verifier.verify(record)
        if result is not Verification.VALID:
            self._refuse(result.name, record, f"{message.offset()}: {result.describe()}")
            return
        with self._lock:
            waiting = self._pending.get(record.action_id)
            if waiting is None:
                self._remember(record)
                return
            if waiting.proposal is None:
                self._remember(record)
                checked = self._unbound(record)
            else:
                problem = mismatch(record, waiting.proposal)
                if problem is not None:
                    self._refuse_locked(
                        NOT_THIS_PROPOSAL,
                        record,
                        f"{message.offset()}: not the decision of the proposal this client sent: {problem}",
                    )
                    return
                self._remember(record)
                checked = check(record, self._clock())
                self._answered[record.action_id] = checked
            del self._pending[record.action_id]
            answer = waiting.answer
        # The decision's span: the child of the decision record's context, linked to the proposal's.
        self._tracing.decision(
            message.headers(), waiting.span_context, record.action_id, self.agent_id, record.outcome
        )
        _complete(answer, checked)

    def _known(self, proposal: SentProposal) -> Decision | None:
        """The decision already read for this proposal, if any (called under the lock)."""
        seen = self._verified.get(proposal.action_id)
        if not seen:
            return None
        for record in list(seen):
            problem = mismatch(record, proposal)
            if problem is None:
                return check(record, self._clock())
            seen.remove(record)
            self._refuse_locked(
                NOT_THIS_PROPOSAL,
                record,
                f"(read earlier): not the decision of the proposal this client sends: {problem}",
            )
        return None

    def _remember(self, record: DecisionRecord) -> None:
        seen = self._verified.get(record.action_id)
        if seen is None:
            seen = []
            self._verified[record.action_id] = seen
        if len(seen) < _MAX_DECISIONS_PER_ACTION:
            seen.append(record)

    def _refuse(self, reason: str, record: DecisionRecord, why: str) -> None:
        with self._lock:
            self._refuse_locked(reason, record, why)

    def _refuse_locked(self, reason: str, record: DecisionRecord, why: str) -> None:
        self._refusals[reason] = self._refusals.get(reason, 0) + 1
        LOG.warning(
            "Refused a decision (%s) for action %s of agent %s at offset %s; still waiting for its real decision",
            record.outcome,
            record.action_id,
            self.agent_id,
            why,
        )

    @staticmethod
    def _unbound(record: DecisionRecord) -> Decision:
        """A decision for an action this client did not propose since it started: never runnable."""
        return Decision(
            record,
            False,
            "this client did not send the proposal, so it cannot check that this approval decides it;"
            " an action its agent withdrew is never run."
            if Outcome.of(record.outcome) in RUNNABLE
            else None,
        )
