package dev.hitl.sdk;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.StrictJson;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.serde.RegistryClientConfig;
import dev.hitl.schemas.serde.SchemaRegistryClient;
import dev.hitl.schemas.topics.ClientSettings;
import dev.hitl.schemas.topics.EndOffsets;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.HopTracer;
import dev.hitl.tracing.TraceHeaders;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client an agent uses to put its actions in front of hitl: propose, then wait for the one
 * decision, verified. Plain Kafka clients and the Confluent wire format; no framework needed.
 *
 * <p>The client reads only the partition of {@code hitl.decisions} that holds its agentId, from a
 * look-back window, so a decision made while the agent was down reaches it when it proposes the same
 * action (same actionId) again: a resend is decided once, and the client answers from the decision
 * already made. Every decision is checked before it is handed out: the signature with the trusted
 * keys (a record forged onto the topic is dropped and counted), the arguments hash against the final
 * arguments, and the expiry of an approval.
 *
 * <p>An agent that no longer wants an action it proposed withdraws it with {@link #withdraw}: a
 * tombstone on {@code hitl.actions.proposed} (key = actionId, null value, header {@value
 * #WITHDRAWN_BY_HEADER} = this agent's id). The proposal then ends WITHDRAWN, unless it was decided
 * before the withdrawal reached the deciding service.
 *
 * <p>Every proposal and every withdrawal is authenticated with the agent's credential (the key the
 * operators issued for this agent id): the record header {@value AgentCredentials#HEADER} carries
 * an HMAC over the proposal's content and send time, or over the withdrawal ({@link
 * AgentCredentials}). The classifier refuses a proposal or withdrawal without a valid one, so who
 * the agent is comes from the key it holds, not from the agentId it writes. A delegate (e.g. an MCP
 * gateway registered as a delegate of the agents it serves) authenticates with its own credential
 * ({@link Builder#delegateCredential}) and names itself in the header {@value #AUTH_AGENT_HEADER}.
 * The client never logs its key.
 *
 * <pre>{@code
 * try (HitlClient hitl = HitlClient.builder()
 *         .agentId("support-agent-1")
 *         .credential(System.getenv("HITL_AGENT_CREDENTIAL_ID"), System.getenv("HITL_AGENT_KEY"))
 *         .kafka(Map.of("bootstrap.servers", "127.0.0.1:9092"))
 *         .schemaRegistryUrl("http://127.0.0.1:8081/apis/ccompat/v7")
 *         .decisionKeysFile(Path.of("/etc/hitl/decision-keys.jwks.json"))   // the deciders' public keys
 *         .build()) {
 *     AgentDecision decision = hitl.proposeAndWait(action, Duration.ofMinutes(30));
 *     if (decision.mayRun()) {
 *         run(decision.argumentsToRun().orElseThrow());
 *     } else {
 *         tellTheModel(decision.instructions());
 *     }
 * }
 * }</pre>
 */
public final class HitlClient implements AutoCloseable {

    /**
     * The header of a withdrawal: a tombstone (null value) on {@code hitl.actions.proposed} with key =
     * actionId carries the withdrawing agent's id (UTF-8) in this header. The classifier forwards the
     * withdrawal only for an action it sent to humans and only when this header names the agent that
     * proposed it; the escalation service then decides WITHDRAWN if the action is still open.
     */
    public static final String WITHDRAWN_BY_HEADER = dev.hitl.schemas.topics.Withdrawals.WITHDRAWN_BY;

    /**
     * The header a delegate adds to the proposals and withdrawals it sends for another agent: the id
     * of the agent whose credential made {@value AgentCredentials#HEADER} (UTF-8), when it is not
     * the proposal's own agentId. The classifier then checks the MAC with that agent's credential
     * and that the registry lists it among the proposal's agent's delegates.
     */
    public static final String AUTH_AGENT_HEADER = "hitl.auth.agent";

    private static final Logger LOG = LoggerFactory.getLogger(HitlClient.class);
    private static final int REMEMBERED_DECISIONS = 10_000;
    private static final int MAX_DECISIONS_PER_ACTION = 4;

    private final String agentId;
    /** This agent's credential, or its delegate's; {@code toString} never shows the key. */
    private final AgentCredentials.Credential credential;
    /** The {@value #AUTH_AGENT_HEADER} header of a delegate, or null. */
    private final Header authAgent;

    private final TopicCatalogue topics;
    private final DecisionVerifier verifier;
    private final Clock clock;
    private final HopTracer tracer;
    private final Producer<String, ProposedAction> producer;
    private final Consumer<byte[], byte[]> consumer;
    private final AvroDeserializer<Decision> decisionReader;
    private final TopicPartition partition;
    /** Guards {@link #pending}, {@link #verified} and {@link #answered}. */
    private final Object lock = new Object();
    /** What this client waits for, by actionId. */
    private final Map<String, Pending> pending = new HashMap<>();
    /** Verified decisions of this agent not yet matched to a proposal (read at start, or before a resend). */
    private final Map<String, List<Decision>> verified = remembered();
    /** The answer each proposal of this client got, by actionId. */
    private final Map<String, AgentDecision> answered = remembered();

    private final AtomicLong refused = new AtomicLong();
    private final Map<String, AtomicLong> refusals = new ConcurrentHashMap<>();
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread reader;
    private volatile boolean running = true;

    private HitlClient(final Builder builder) {
        this.agentId = Objects.requireNonNull(builder.agentId, "agentId");
        this.credential = builder.credential();
        this.authAgent = credential.agentId().equals(agentId)
                ? null
                : new RecordHeader(AUTH_AGENT_HEADER, credential.agentId().getBytes(StandardCharsets.UTF_8));
        this.topics = new TopicCatalogue(builder.namespace, TopicCatalogue.DEFAULT_PARTITIONS);
        if (builder.decisionKeys == null || builder.decisionKeys.isEmpty()) {
            throw new IllegalArgumentException("the deciders' public decision keys are required (Builder.decisionKeys"
                    + " or decisionKeysFile: a JWKS, e.g. from the classifier's " + DecisionKeys.JWKS_PATH
                    + "): every decision is verified with them");
        }
        this.verifier = new DecisionVerifier(builder.decisionKeys);
        if (DevelopmentKeys.isTrustedBy(builder.decisionKeys)) {
            LOG.warn(
                    "Agent {} trusts the development decision key {}: its private half is public, so anyone can"
                            + " sign decisions this client accepts. Use it only on a local stack.",
                    agentId,
                    DevelopmentKeys.KEY_ID);
        }
        this.clock = builder.clock;
        this.tracer = new HopTracer(builder.openTelemetry != null ? builder.openTelemetry : GlobalOpenTelemetry.get());
        final SchemaRegistryClient registry = builder.registry != null
                ? builder.registry
                : new HttpSchemaRegistryClient(RegistryClientConfig.from(Map.of(
                        RegistryClientConfig.URL, Objects.requireNonNull(builder.registryUrl, "schemaRegistryUrl"))));
        final Map<String, Object> producerConfig = new HashMap<>(builder.kafka);
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = builder.producer != null
                ? builder.producer
                : new KafkaProducer<>(
                        ClientSettings.producer(producerConfig),
                        new StringSerializer(),
                        new AvroSerializer<>(registry, false));
        final Map<String, Object> consumerConfig = EndOffsets.readCommitted(builder.kafka);
        this.consumer = builder.consumer != null
                ? builder.consumer
                : new KafkaConsumer<>(
                        ClientSettings.consumer(consumerConfig),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer());
        this.decisionReader = AvroDeserializer.specific(registry, Decision.class);
        final int partitions = consumer.partitionsFor(topics.decisions().name()).size();
        // The partition the default partitioner gives the key agentId: only it holds this agent's decisions.
        this.partition = new TopicPartition(
                topics.decisions().name(),
                Utils.toPositive(Utils.murmur2(agentId.getBytes(StandardCharsets.UTF_8))) % partitions);
        consumer.assign(List.of(partition));
        final OffsetAndTimestamp from = consumer.offsetsForTimes(Map.of(
                        partition, clock.instant().minus(builder.lookback).toEpochMilli()))
                .get(partition);
        if (from == null) {
            consumer.seekToEnd(List.of(partition));
        } else {
            consumer.seek(partition, from.offset());
        }
        final EndOffsets end = EndOffsets.now(consumer, List.of(partition));
        this.reader = new Thread(() -> read(end), "hitl-decisions-" + agentId);
        reader.setDaemon(true);
        reader.start();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Proposes an action and returns its decision when it is made.
     *
     * <p>The arguments must be strict JSON (I-JSON, RFC 7493): a JSON object without duplicate member
     * names and without numbers a double cannot hold exactly (integers beyond ±2^53): parsers
     * disagree on such text, so what a reviewer approves could differ from what runs. Send large ids
     * as strings.
     *
     * <p>The future completes only with a decision of exactly this proposal (see the class comment).
     * Proposing the same action again (same actionId, same content) returns the decision already
     * made, or sends it again and waits.
     *
     * <p>The record carries the header {@value AgentCredentials#HEADER}: the credential's MAC over
     * {@link AgentCredentials#proposalContent} of the proposal as the classifier reads it back (its
     * {@link DecisionBinding#wireForm wire form}). It covers {@code proposedAt}, which the client never
     * changes: the same proposal sent again carries the same header. Keep {@code proposedAt} of a
     * proposal you resend: the classifier refuses proposals older than it remembers.
     *
     * @param action the proposal; an empty agentId becomes this client's
     * @return the verified decision, when it arrives
     * @throws IllegalArgumentException when the proposal names another agent, its arguments are not a
     *     strict JSON object, it cannot be written, or this client already waits for another proposal
     *     under the same actionId
     */
    public CompletableFuture<AgentDecision> propose(final ProposedAction action) {
        if (action.getAgentId() == null || action.getAgentId().isEmpty()) {
            action.setAgentId(agentId);
        } else if (!action.getAgentId().equals(agentId)) {
            throw new IllegalArgumentException(
                    "this client proposes for agent " + agentId + ", not " + action.getAgentId());
        }
        final String id = action.getActionId();
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a proposal needs an actionId");
        }
        try {
            StrictJson.parseObject(action.getArguments());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "the arguments of action " + id + " are not a strict JSON object: " + e.getMessage(), e);
        }
        final ProposedAction wire = DecisionBinding.wireForm(action);
        final String proposalHash = DecisionBinding.proposalHash(wire);
        // The proposal's span: the child of the agent's current context (its tool call), ended
        // when the broker has the record. Its context goes in the record's headers.
        final Span span = tracer.hop(HopSpans.PROPOSE, SpanKind.PRODUCER, Context.current(), SpanContext.getInvalid())
                .setAttribute(HitlAttributes.GEN_AI_OPERATION_NAME, HitlAttributes.EXECUTE_TOOL)
                .setAttribute(HitlAttributes.GEN_AI_TOOL_NAME, wire.getTool())
                .setAttribute(HitlAttributes.GEN_AI_TOOL_CALL_ID, id)
                .setAttribute(HitlAttributes.ACTION_ID, id)
                .setAttribute(HitlAttributes.AGENT_ID, agentId)
                .setAttribute(HitlAttributes.ACTION_TYPE, wire.getActionType())
                .startSpan();
        final CompletableFuture<AgentDecision> answer;
        final AgentDecision known;
        synchronized (lock) {
            final Pending waiting = pending.get(id);
            if (waiting != null
                    && waiting.proposal() != null
                    && !waiting.proposalHash().equals(proposalHash)) {
                span.end();
                throw new IllegalArgumentException("this client already waits for the decision of another proposal"
                        + " under actionId " + id + " (other content): give a new action its own actionId");
            }
            answer = waiting == null ? new CompletableFuture<>() : waiting.answer();
            known = known(wire, proposalHash);
            if (known == null) {
                pending.put(id, new Pending(wire, proposalHash, answer, span.getSpanContext()));
            } else {
                pending.remove(id);
                answered.put(id, known);
            }
        }
        if (known != null) {
            // Answered from a decision already read: nothing is sent.
            span.setAttribute(
                    HitlAttributes.OUTCOME, known.decision().getOutcome().name());
            span.end();
            answer.complete(known);
            return answer;
        }
        final ProducerRecord<String, ProposedAction> record = new ProducerRecord<>(
                topics.actionsProposed().name(),
                null,
                id,
                wire,
                authenticated(AgentCredentials.proposalContent(wire, proposalHash, credential.credentialId())));
        // Not covered by the credential's MAC (hitl.auth binds the proposal's content, not headers).
        TraceHeaders.inject(span, record.headers());
        try {
            producer.send(record, (metadata, error) -> {
                if (error != null) {
                    span.setStatus(StatusCode.ERROR, error.getMessage());
                }
                span.end();
                if (error != null) {
                    synchronized (lock) {
                        pending.computeIfPresent(id, (key, p) -> p.answer() == answer ? null : p);
                    }
                    answer.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            span.setStatus(StatusCode.ERROR, e.getMessage());
            span.end();
            throw e;
        }
        return answer;
    }

    /**
     * Proposes an action and waits for its decision.
     *
     * @param action the proposal
     * @param timeout how long to wait
     * @return the verified decision
     * @throws TimeoutException when no decision came in time (the proposal stays open; propose the
     *     same action again later to pick up its decision)
     * @throws InterruptedException when interrupted
     */
    public AgentDecision proposeAndWait(final ProposedAction action, final Duration timeout)
            throws TimeoutException, InterruptedException {
        try {
            return propose(action).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException(
                    "the proposal could not be sent: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /**
     * Withdraws a proposal this agent made: the agent no longer wants the action (its user cancelled,
     * its plan changed). Sends a tombstone on {@code hitl.actions.proposed} (key = actionId, null
     * value, header {@value #WITHDRAWN_BY_HEADER} = this agent's id, header {@value
     * AgentCredentials#HEADER} = the credential's MAC over {@link AgentCredentials#withdrawalContent})
     * with the idempotent producer.
     *
     * <p>The returned future is the very future a pending {@link #propose} of the same action waits
     * on, and completes with the one final decision of the action:
     *
     * <ul>
     *   <li>WITHDRAWN when the withdrawal reached the escalation service while the action was still
     *       waiting for a human;
     *   <li>otherwise the decision made before the withdrawal: AUTO_APPROVED, BLOCKED, INVALID or
     *       HALTED by the classifier, or APPROVED, MODIFIED, REJECTED or TIMED_OUT by humans. <b>An
     *       approval stays an approval</b>: a withdrawal never undoes a decision, and nothing tells the
     *       executor not to run an approved action but the agent itself. An agent that withdraws must
     *       therefore not run the action whatever the future answers, even when it says {@link
     *       AgentDecision#mayRun()}.
     * </ul>
     *
     * <p>When this client already answered a proposal of the action, the future is complete at once
     * and nothing is sent. For an action this client did not propose since it started (proposed
     * before a restart), the tombstone is sent and the future completes with the action's decision
     * as this client reads it; since the client cannot check that decision against a proposal of its
     * own, it never says {@link AgentDecision#mayRun()}. A withdrawal of an action that was never
     * proposed (or is older than the services remember) changes nothing, so its future completes only
     * if a decision exists: wait on it with a timeout. A withdrawal naming another agent's action is
     * refused by the classifier.
     *
     * @param actionId the action to withdraw
     * @return the action's final decision, when it is known
     */
    public CompletableFuture<AgentDecision> withdraw(final String actionId) {
        if (actionId == null || actionId.isBlank()) {
            throw new IllegalArgumentException("actionId is required to withdraw a proposal");
        }
        final CompletableFuture<AgentDecision> answer;
        final AgentDecision known;
        synchronized (lock) {
            final Pending waiting = pending.get(actionId);
            if (waiting != null) {
                answer = waiting.answer();
                known = null;
            } else if (answered.containsKey(actionId)) {
                // Decided already: nothing to withdraw, nothing is sent.
                final CompletableFuture<AgentDecision> done = new CompletableFuture<>();
                done.complete(answered.get(actionId));
                return done;
            } else {
                // Not proposed through this client since it started (e.g. before a restart): the
                // answer is the action's decision, whichever proposal it decides, and never runnable.
                answer = new CompletableFuture<>();
                final List<Decision> seen = verified.get(actionId);
                known = seen == null || seen.isEmpty() ? null : unbound(seen.get(seen.size() - 1));
                if (known == null) {
                    pending.put(actionId, new Pending(null, null, answer, SpanContext.getInvalid()));
                }
            }
        }
        final List<Header> headers = new ArrayList<>(3);
        headers.add(new RecordHeader(WITHDRAWN_BY_HEADER, agentId.getBytes(StandardCharsets.UTF_8)));
        headers.addAll(authenticated(AgentCredentials.withdrawalContent(actionId, agentId, credential.credentialId())));
        final ProducerRecord<String, ProposedAction> tombstone =
                new ProducerRecord<>(topics.actionsProposed().name(), null, actionId, null, headers);
        producer.send(tombstone, (metadata, error) -> {
            if (error != null) {
                // The proposal stays open and will still be decided; propose it again to pick that up.
                synchronized (lock) {
                    pending.computeIfPresent(actionId, (key, p) -> p.answer() == answer ? null : p);
                }
                answer.completeExceptionally(new IllegalStateException(
                        "the withdrawal of action " + actionId + " could not be sent (" + error.getMessage()
                                + "); the proposal is still open: withdraw it again, or propose it again to"
                                + " learn its decision",
                        error));
            }
        });
        if (known != null) {
            answer.complete(known);
        }
        return answer;
    }

    /**
     * @param timeout how long to wait
     * @return whether the client has read its partition up to where it was when the client started
     * @throws InterruptedException when interrupted
     */
    public boolean awaitCaughtUp(final Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** @return the one partition of the decisions topic this client reads */
    public TopicPartition decisionsPartition() {
        return partition;
    }

    /**
     * @return how many records of this agent's decisions this client refused: not signed by a trusted
     *     key over exactly their content (forged, changed, unsigned, legacy HMAC, other algorithm), or
     *     not the decision of the proposal it waits for
     */
    public long refusedDecisions() {
        return refused.get();
    }

    /**
     * @return the refusals so far by reason: a {@link DecisionVerifier.Result} name (LEGACY, UNSIGNED,
     *     UNSUPPORTED_ALGORITHM, UNKNOWN_KEY, BAD_SIGNATURE, ARGUMENTS_MISMATCH) or {@value
     *     #NOT_THIS_PROPOSAL}
     */
    public Map<String, Long> refusals() {
        final Map<String, Long> counts = new TreeMap<>();
        refusals.forEach((reason, count) -> counts.put(reason, count.get()));
        return counts;
    }

    /** The refusal reason of a verified decision that does not decide the proposal this client sent. */
    public static final String NOT_THIS_PROPOSAL = "NOT_THIS_PROPOSAL";

    /**
     * @return the agent whose credential authenticates this client's records: this agent, or the
     *     delegate it proposes through
     */
    public String authenticatedAs() {
        return credential.agentId();
    }

    /** The authentication headers of a record whose authenticated content is {@code content}. */
    private List<Header> authenticated(final String content) {
        final Header auth = new RecordHeader(
                AgentCredentials.HEADER,
                AgentCredentials.header(credential, content).getBytes(StandardCharsets.UTF_8));
        return authAgent == null ? List.of(auth) : List.of(auth, authAgent);
    }

    private void read(final EndOffsets end) {
        try {
            if (end.reachedBy(consumer)) {
                caughtUp.countDown();
            }
            while (running) {
                for (final ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    accept(record);
                }
                if (caughtUp.getCount() > 0 && end.reachedBy(consumer)) {
                    caughtUp.countDown();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.error("The decisions reader of agent {} stopped", agentId, e);
            final List<Pending> open;
            synchronized (lock) {
                open = List.copyOf(pending.values());
            }
            open.forEach(p -> p.answer().completeExceptionally(e));
        } finally {
            consumer.close();
        }
    }

    private void accept(final ConsumerRecord<byte[], byte[]> record) {
        final Decision decision;
        try {
            decision = decisionReader.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            LOG.warn(
                    "Skipped an unreadable record at {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            return;
        }
        if (decision == null || !agentId.equals(decision.getAgentId())) {
            return;
        }
        final DecisionVerifier.Result result = verifier.verify(decision);
        if (result != DecisionVerifier.Result.VALID) {
            refuse(result.name(), decision, record.offset() + ": " + result.describe());
            return;
        }
        final CompletableFuture<AgentDecision> answer;
        final AgentDecision checked;
        final Pending waiting;
        synchronized (lock) {
            waiting = pending.get(decision.getActionId());
            if (waiting == null) {
                remember(decision);
                return;
            }
            if (waiting.proposal() == null) {
                remember(decision);
                checked = unbound(decision);
            } else {
                final Optional<String> mismatch =
                        DecisionBinding.mismatch(decision, waiting.proposal(), waiting.proposalHash());
                if (mismatch.isPresent()) {
                    refuse(
                            NOT_THIS_PROPOSAL,
                            decision,
                            record.offset() + ": not the decision of the proposal" + " this client sent: "
                                    + mismatch.get());
                    return;
                }
                remember(decision);
                checked = check(decision);
                answered.put(decision.getActionId(), checked);
            }
            pending.remove(decision.getActionId());
            answer = waiting.answer();
        }
        // The decision's span: the child of the decision record's context, linked to the proposal's
        // span (the wait for a human may take hours; the traces are joined, not nested).
        tracer.hop(
                        HopSpans.DECISION_RECEIVED,
                        SpanKind.CONSUMER,
                        TraceHeaders.extract(record.headers()),
                        waiting.proposeSpan())
                .setAttribute(HitlAttributes.ACTION_ID, decision.getActionId())
                .setAttribute(HitlAttributes.AGENT_ID, agentId)
                .setAttribute(HitlAttributes.OUTCOME, decision.getOutcome().name())
                .startSpan()
                .end();
        answer.complete(checked);
    }

    /**
     * The decision already made for this proposal, if this client has read it; remembered decisions of
     * the same actionId that decide something else are refused and forgotten. Called under the lock.
     */
    private AgentDecision known(final ProposedAction proposal, final String proposalHash) {
        final List<Decision> seen = verified.get(proposal.getActionId());
        if (seen == null) {
            return null;
        }
        for (final java.util.Iterator<Decision> it = seen.iterator(); it.hasNext(); ) {
            final Decision decision = it.next();
            final Optional<String> mismatch = DecisionBinding.mismatch(decision, proposal, proposalHash);
            if (mismatch.isEmpty()) {
                return check(decision);
            }
            it.remove();
            refuse(
                    NOT_THIS_PROPOSAL,
                    decision,
                    "(read earlier): not the decision of the proposal this client" + " sends: " + mismatch.get());
        }
        return null;
    }

    private void remember(final Decision decision) {
        final List<Decision> seen = verified.computeIfAbsent(decision.getActionId(), id -> new ArrayList<>(1));
        if (seen.size() < MAX_DECISIONS_PER_ACTION) {
            seen.add(decision);
        }
    }

    private void refuse(final String reason, final Decision decision, final String why) {
        refused.incrementAndGet();
        refusals.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
        LOG.warn(
                "Refused a decision ({}) for action {} of agent {} at offset {}; still waiting for its real decision",
                decision.getOutcome(),
                decision.getActionId(),
                agentId,
                why);
    }

    /** A decision of this proposal: may it run now? */
    private AgentDecision check(final Decision decision) {
        if (!Outcomes.allowsRun(decision.getOutcome())) {
            return new AgentDecision(decision, false, Optional.empty());
        }
        if (decision.getFinalArguments() == null) {
            return new AgentDecision(decision, false, Optional.of("the approval carries no arguments to run."));
        }
        if (decision.getExpiresAt() == null) {
            return new AgentDecision(decision, false, Optional.of("the approval names no expiry."));
        }
        if (!clock.instant().isBefore(decision.getExpiresAt())) {
            return new AgentDecision(
                    decision, false, Optional.of("the approval expired at " + decision.getExpiresAt() + "."));
        }
        return new AgentDecision(decision, true, Optional.empty());
    }

    /** A decision for a withdrawal of an action this client did not propose since it started: never runnable. */
    private static AgentDecision unbound(final Decision decision) {
        return new AgentDecision(
                decision,
                false,
                Outcomes.allowsRun(decision.getOutcome())
                        ? Optional.of("this client did not send the proposal, so it cannot check that this"
                                + " approval decides it; an action its agent withdrew is never run.")
                        : Optional.empty());
    }

    private static <V> Map<String, V> remembered() {
        return new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, V> eldest) {
                return size() > REMEMBERED_DECISIONS;
            }
        };
    }

    /**
     * What a proposal (or a withdrawal) waits for.
     *
     * @param proposal the proposal in its wire form, or null for a withdrawal of an action this client
     *     did not propose since it started
     * @param proposalHash its proposal hash, or null
     * @param answer completes with its decision
     * @param proposeSpan the context of the proposal's span (invalid for a withdrawal), which the
     *     decision's span links to
     */
    private record Pending(
            ProposedAction proposal,
            String proposalHash,
            CompletableFuture<AgentDecision> answer,
            SpanContext proposeSpan) {}

    /** Never shows the key. */
    @Override
    public String toString() {
        return "HitlClient[agentId=" + agentId + ", credential=" + credential.agentId() + "/"
                + credential.credentialId() + ", partition=" + partition + "]";
    }

    /** Stops reading; proposals still waiting complete with a {@link CancellationException}. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            reader.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        producer.close(Duration.ofSeconds(10));
        final List<Pending> open;
        synchronized (lock) {
            open = List.copyOf(pending.values());
            pending.clear();
        }
        open.forEach(p -> p.answer().completeExceptionally(new CancellationException("the client was closed")));
    }

    /** Builder for {@link HitlClient}. */
    public static final class Builder {
        private String agentId;
        private final Map<String, Object> kafka = new HashMap<>();
        private String registryUrl;
        private SchemaRegistryClient registry;
        private String namespace = TopicCatalogue.DEFAULT_NAMESPACE;
        private DecisionKeys.PublicKeys decisionKeys;
        private Duration lookback = Duration.ofHours(24);
        private Clock clock = Clock.systemUTC();
        private Producer<String, ProposedAction> producer;
        private Consumer<byte[], byte[]> consumer;
        private AgentCredentials.Credential credential;
        private String credentialId;
        private String encodedKey;
        private AgentCredentials.Credential delegate;
        private OpenTelemetry openTelemetry;

        private Builder() {}

        /** Never shows the key. */
        @Override
        public String toString() {
            final String given =
                    credential != null ? credential.credentialId() : credentialId != null ? credentialId : "none";
            return "HitlClient.Builder[agentId=" + agentId + ", credentialId=" + given + ", delegate="
                    + (delegate == null ? "none" : delegate.agentId() + "/" + delegate.credentialId())
                    + ", key not shown]";
        }

        /**
         * Tests only: clients to use instead of ones built from {@link #kafka} settings.
         *
         * @param producer writes proposals and withdrawals
         * @param consumer reads decisions (assigned by the client)
         * @return this builder
         */
        Builder clients(final Producer<String, ProposedAction> producer, final Consumer<byte[], byte[]> consumer) {
            this.producer = producer;
            this.consumer = consumer;
            return this;
        }

        /** @param agentId this agent's identity @return this builder */
        public Builder agentId(final String agentId) {
            this.agentId = agentId;
            return this;
        }

        /**
         * The agent's own credential: the credential id and key the operators issued for this
         * agentId ({@code AgentCredentials.derive} from their master secret; the registry lists the
         * credential id). Required, unless a {@link #delegateCredential} is given: the classifier
         * refuses proposals and withdrawals it cannot authenticate.
         *
         * @param credential the credential; its agentId must be this client's {@link #agentId}
         * @return this builder
         */
        public Builder credential(final AgentCredentials.Credential credential) {
            this.credential = Objects.requireNonNull(credential, "credential");
            this.credentialId = null;
            this.encodedKey = null;
            return this;
        }

        /**
         * The agent's own credential as the operators hand it out: its id and its key (base64url),
         * for this client's {@link #agentId}.
         *
         * @param credentialId the credential id (1-64 letters, digits, '_' or '-')
         * @param encodedKey the key, base64url (e.g. from the environment; never logged)
         * @return this builder
         */
        public Builder credential(final String credentialId, final String encodedKey) {
            this.credentialId = Objects.requireNonNull(credentialId, "credentialId");
            this.encodedKey = Objects.requireNonNull(encodedKey, "encodedKey");
            this.credential = null;
            return this;
        }

        /**
         * Propose as a delegate: the client proposes and withdraws for {@link #agentId}, authenticated
         * with the credential of another agent that the registry lists among that agent's delegates
         * (an MCP gateway serving the agent, for instance). Its records name the delegate in the
         * header {@value HitlClient#AUTH_AGENT_HEADER}. Instead of {@link #credential}, not with it.
         *
         * @param credential the delegate's own credential (its agentId is the delegate's, not this
         *     client's agentId)
         * @return this builder
         */
        public Builder delegateCredential(final AgentCredentials.Credential credential) {
            this.delegate = Objects.requireNonNull(credential, "credential");
            return this;
        }

        /** The credential the client authenticates with, checked against the agentId. */
        private AgentCredentials.Credential credential() {
            final boolean own = credential != null || credentialId != null;
            if (own && delegate != null) {
                throw new IllegalArgumentException("give either the agent's own credential (Builder.credential) or a"
                        + " delegate's (Builder.delegateCredential), not both");
            }
            if (delegate != null) {
                if (delegate.agentId().equals(agentId)) {
                    throw new IllegalArgumentException(
                            "the delegate credential is agent " + agentId + "'s own: give it with Builder.credential");
                }
                return delegate;
            }
            if (!own) {
                throw new IllegalArgumentException("agent " + agentId + " needs its credential"
                        + " (Builder.credential(credentialId, key): the credential id and key the operators issued"
                        + " for it): hitl authenticates every proposal and withdrawal and refuses those it cannot");
            }
            final AgentCredentials.Credential given =
                    credential != null ? credential : AgentCredentials.Credential.of(agentId, credentialId, encodedKey);
            if (!given.agentId().equals(agentId)) {
                throw new IllegalArgumentException("the credential " + given.credentialId() + " is agent "
                        + given.agentId() + "'s, not " + agentId + "'s (a delegate proposing for " + agentId
                        + " gives its own with Builder.delegateCredential)");
            }
            return given;
        }

        /** @param settings Kafka client settings: bootstrap.servers, security.protocol, sasl.*, ssl.* @return this builder */
        public Builder kafka(final Map<String, ?> settings) {
            this.kafka.putAll(settings);
            return this;
        }

        /** @param url the Confluent-API registry root @return this builder */
        public Builder schemaRegistryUrl(final String url) {
            this.registryUrl = url;
            return this;
        }

        /** @param client a registry client to share @return this builder */
        public Builder schemaRegistry(final SchemaRegistryClient client) {
            this.registry = client;
            return this;
        }

        /** @param namespace the topic namespace of the installation (default {@code hitl}) @return this builder */
        public Builder namespace(final String namespace) {
            this.namespace = namespace;
            return this;
        }

        /**
         * The deciders' public keys, which verify every decision (several at once while keys rotate).
         * May be given more than once: the keys add up (one key id must always name the same key).
         *
         * @param keys public keys, e.g. {@code TrustedDecisionKeys.read(path)}, or {@code
         *     DevelopmentKeys.publicKeys()} on a local stack
         * @return this builder
         */
        public Builder decisionKeys(final DecisionKeys.PublicKeys keys) {
            Objects.requireNonNull(keys, "keys");
            this.decisionKeys = decisionKeys == null ? keys : TrustedDecisionKeys.merge(decisionKeys, keys);
            return this;
        }

        /**
         * @param jwksOrJwk the deciders' public keys as a JWKS or one JWK (JSON text, as served at
         *     {@value DecisionKeys#JWKS_PATH}); a private or secret key is refused
         * @return this builder
         * @throws IllegalArgumentException when the text holds no valid public Ed25519 key
         */
        public Builder decisionKeys(final String jwksOrJwk) {
            return decisionKeys(TrustedDecisionKeys.parse(jwksOrJwk));
        }

        /**
         * @param file a file holding the deciders' public keys as a JWKS or one JWK
         * @return this builder
         * @throws IllegalArgumentException when the file cannot be read or holds no valid public key
         */
        public Builder decisionKeysFile(final Path file) {
            return decisionKeys(TrustedDecisionKeys.read(file));
        }

        /** @param lookback how far back to read decisions at start (default 24 h) @return this builder */
        public Builder lookback(final Duration lookback) {
            this.lookback = lookback;
            return this;
        }

        /**
         * The OpenTelemetry the client traces with: a {@code hitl propose} span per proposal (the
         * child of the caller's current span, its context in the record's {@code traceparent}
         * header) and a {@code hitl decision} span when its decision arrives (linked to the
         * proposal's span). Default {@link GlobalOpenTelemetry#get()}, the library convention: no-op
         * unless the application installed an SDK.
         *
         * @param openTelemetry the application's OpenTelemetry
         * @return this builder
         */
        public Builder openTelemetry(final OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
            return this;
        }

        /** @param clock the clock that judges expiry (tests) @return this builder */
        public Builder clock(final Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * @return a started client
         * @throws IllegalArgumentException when the credential is missing, malformed or another
         *     agent's, or the decision keys are missing
         * @throws NullPointerException when the agentId is missing
         */
        public HitlClient build() {
            return new HitlClient(this);
        }
    }
}
