package dev.hitl.deploy;

import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.serde.AvroSerializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.sdk.HitlClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The agents of the fault-tolerance test, each on the SDK ({@link HitlClient}). An agent can
 * "crash" and come back: its client is closed, a new one is built, and it proposes again every
 * action it has not seen decided (as an agent that lost its memory would, with the same actionIds).
 * A proposal the SDK could not send is proposed again. {@link #resend} puts an action on the topic
 * once more with a plain producer, past the SDK's memory of decisions, as an agent on any Kafka
 * client might. Actions of the {@code withdraw} kind are withdrawn right after each proposal.
 */
final class Agents implements AutoCloseable {

    private final String bootstrapServers;
    private final String registryUrl;
    private final Map<String, HitlClient> clients = new LinkedHashMap<>();
    private final KafkaProducer<String, ProposedAction> raw;
    private final String proposedTopic =
            TopicCatalogue.standard().actionsProposed().name();
    private final Queue<ProposedAction> failed = new ConcurrentLinkedQueue<>();
    private final Queue<ProposedAction> failedWithdrawals = new ConcurrentLinkedQueue<>();
    private final AtomicLong sendFailures = new AtomicLong();
    private final AtomicLong resends = new AtomicLong();
    private final AtomicLong restarts = new AtomicLong();
    /** What each agent's own future answered, per action: the SDK's verdict on every decision. */
    private final Map<String, List<dev.hitl.sdk.AgentDecision>> answers =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final java.util.Set<String> restarted = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final java.nio.file.Path decisionKeys;
    private final LocalAgents credentials;

    Agents(
            final int count,
            final String bootstrapServers,
            final String registryUrl,
            final java.nio.file.Path decisionKeys,
            final LocalAgents credentials) {
        this.credentials = credentials;
        this.bootstrapServers = bootstrapServers;
        this.registryUrl = registryUrl;
        this.decisionKeys = decisionKeys;
        for (int i = 1; i <= count; i++) {
            final String id = "support-agent-" + i;
            clients.put(id, client(id));
        }
        this.raw = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new StringSerializer(),
                new AvroSerializer<>(HttpSchemaRegistryClient.forUrl(registryUrl), false));
    }

    private HitlClient client(final String agentId) {
        return HitlClient.builder()
                .agentId(agentId)
                .kafka(Map.of("bootstrap.servers", bootstrapServers))
                .schemaRegistryUrl(registryUrl)
                .decisionKeysFile(decisionKeys)
                .credential(credentials.credential(agentId))
                .lookback(Duration.ofHours(1))
                .build();
    }

    /** @return the agents' ids */
    synchronized List<String> ids() {
        return new ArrayList<>(clients.keySet());
    }

    /**
     * Proposes through the action's agent; a proposal that cannot be sent is proposed again by
     * {@link #retryFailed}.
     */
    synchronized void propose(final ProposedAction action) {
        clients.get(action.getAgentId()).propose(action).whenComplete((decision, error) -> {
            if (decision != null) {
                answers.computeIfAbsent(action.getActionId(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                        .add(decision);
            }
            final Throwable cause = error instanceof CompletionException ? error.getCause() : error;
            if (cause != null && !(cause instanceof CancellationException)) {
                sendFailures.incrementAndGet();
                failed.add(action);
            }
        });
        // A "withdraw" action is taken back right after each time it is proposed (same producer,
        // same partition: the withdrawal always follows the proposal it withdraws).
        if (Workload.kindOf(action.getActionId())
                .filter(k -> k == Workload.Kind.WITHDRAW)
                .isPresent()) {
            withdraw(action);
        }
    }

    /**
     * Withdraws the action through its agent; a withdrawal that cannot be sent is sent again by
     * {@link #retryFailed} (a second withdrawal of a decided action changes nothing).
     */
    synchronized void withdraw(final ProposedAction action) {
        clients.get(action.getAgentId()).withdraw(action.getActionId()).whenComplete((decision, error) -> {
            final Throwable cause = error instanceof CompletionException ? error.getCause() : error;
            if (cause != null && !(cause instanceof CancellationException)) {
                sendFailures.incrementAndGet();
                failedWithdrawals.add(action);
            }
        });
    }

    /** Proposes and withdraws again what could not be sent. */
    void retryFailed() {
        for (ProposedAction action = failed.poll(); action != null; action = failed.poll()) {
            propose(action);
        }
        for (ProposedAction action = failedWithdrawals.poll(); action != null; action = failedWithdrawals.poll()) {
            withdraw(action);
        }
    }

    /**
     * The agent crashes and comes back: a new client, and every action it proposes again.
     *
     * @param agentId the agent
     * @param again its actions to propose again
     */
    synchronized void restart(final String agentId, final Collection<ProposedAction> again) {
        clients.remove(agentId).close();
        clients.put(agentId, client(agentId));
        restarts.incrementAndGet();
        restarted.add(agentId);
        again.forEach(this::propose);
    }

    /**
     * Puts the action on the proposals topic once more, with a plain producer, authenticated as its
     * agent would (the same header as its first send: the same proposal and send time).
     */
    void resend(final ProposedAction action) {
        final dev.hitl.schemas.integrity.AgentCredentials.Credential credential =
                credentials.credential(action.getAgentId());
        final ProducerRecord<String, ProposedAction> record =
                new ProducerRecord<>(proposedTopic, action.getActionId(), action);
        record.headers()
                .add(
                        dev.hitl.schemas.integrity.AgentCredentials.HEADER,
                        dev.hitl.schemas.integrity.AgentCredentials.header(
                                        credential,
                                        dev.hitl.schemas.integrity.AgentCredentials.proposalContent(
                                                action,
                                                dev.hitl.schemas.integrity.ProposalHash.of(action),
                                                credential.credentialId()))
                                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        raw.send(record);
        resends.incrementAndGet();
    }

    /** @return what the agents' own futures answered, by actionId (every answer, in order) */
    Map<String, List<dev.hitl.sdk.AgentDecision>> answers() {
        return Map.copyOf(answers);
    }

    /**
     * @param agentId an agent
     * @return whether it crashed and came back (a future of its earlier client may have been
     *     cancelled before it completed)
     */
    boolean restarted(final String agentId) {
        return restarted.contains(agentId);
    }

    long sendFailures() {
        return sendFailures.get();
    }

    long resends() {
        return resends.get();
    }

    long restarts() {
        return restarts.get();
    }

    @Override
    public synchronized void close() {
        raw.close(Duration.ofSeconds(10));
        clients.values().forEach(HitlClient::close);
    }
}
