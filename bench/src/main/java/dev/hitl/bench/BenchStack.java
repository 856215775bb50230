package dev.hitl.bench;

import dev.hitl.classifier.topology.AgentAuthenticator;
import dev.hitl.classifier.topology.ClassifierMetrics;
import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.classifier.topology.DecisionFactory;
import dev.hitl.classifier.topology.ProposalValidator;
import dev.hitl.classifier.topology.RiskModel;
import dev.hitl.classifier.topology.RiskModelGate;
import dev.hitl.deploy.LocalVoters;
import dev.hitl.escalation.topology.EscalationMetrics;
import dev.hitl.escalation.topology.EscalationTopology;
import dev.hitl.local.KafkaBroker;
import dev.hitl.local.SchemaRegistryProcess;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicySource;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicProvisioner;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.sdk.HitlClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * What every load driver starts: one real schema registry (child process) and one real Kafka broker
 * (KRaft, in this JVM), in a temporary directory, with hitl's topics under one namespace. Stream
 * apps (the classifier, the escalation service, bare pass-throughs) run in this JVM on top of it,
 * built by the same {@code build} methods the services call, so every ratio compares two topologies
 * on the same broker, in the same process, at the same moment. The stack registers the bench agents,
 * and two voters: the approval service (its key in {@link #voters}) and the reviewer app ({@link
 * #reviewerVoter}), so votes are signed and checked as in production.
 */
final class BenchStack implements AutoCloseable {

    /** The deciders' private keys (Ed25519, one each, as in production); the agents trust their public keys. */
    static final DecisionKeys.PrivateKey CLASSIFIER_KEY = DecisionKeys.generate("bench-classifier");

    static final DecisionKeys.PrivateKey ESCALATION_KEY = DecisionKeys.generate("bench-escalation");

    /** The master secret of the bench agents' credentials (the classifier derives their keys from it). */
    static final byte[] AGENT_SECRET =
            "bench agent credentials master secret, not a real one".getBytes(StandardCharsets.UTF_8);

    /** The credential id of every bench agent. */
    static final String CREDENTIAL_ID = "bench";

    /** The voter id of the bench's reviewer app ({@link Reviewer}), registered for any group. */
    static final String REVIEWER_VOTER = "bench-reviewer-app";

    /** The reviewer the bench's reviewer app votes as (the only one it may attest). */
    static final String REVIEWER = "bench-reviewer";

    /** The agents every driver uses: the workload's {@code support-agent-0..49}, the clients' {@code bench-agent-0..255}. */
    private static final int WORKLOAD_AGENTS = 50;

    private static final int CLIENT_AGENTS = 256;

    final Path dir;
    final SchemaRegistryProcess registry;
    final KafkaBroker broker;
    final Admin admin;
    final HttpSchemaRegistryClient client;
    final TopicCatalogue topics;
    final TopicSerdes serdes;
    /** The approval service's voter key (its file goes to the service as {@code HITL_VOTER_KEY_FILE}). */
    final LocalVoters voters;
    /** Signs the votes of the bench's reviewer app, as a registered voter. */
    final VoteSigner reviewerVoter;

    private final List<KafkaStreams> apps = new java.util.ArrayList<>();

    private BenchStack(
            final Path dir, final SchemaRegistryProcess registry, final KafkaBroker broker, final int partitions) {
        this.dir = dir;
        this.registry = registry;
        this.broker = broker;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()));
        this.client = HttpSchemaRegistryClient.forUrl(registry.confluentApiUrl());
        this.topics = new TopicCatalogue("bench", partitions);
        this.serdes = new TopicSerdes(client, true);
        new TopicProvisioner(admin, Optional.empty(), Duration.ofSeconds(30)).ensure(topics.all());
        try {
            publishPolicy();
            registerAgents();
        } catch (Exception e) {
            throw new IllegalStateException("cannot publish the default policy or register the agents", e);
        }
        // Votes count only from registered voters (as an operator registers them with POST /voters):
        // the approval service, and the reviewer app on the topics. Before any app starts, so the
        // escalation service holds them from its first vote on.
        this.voters = LocalVoters.in(dir.resolve("keys"));
        voters.registerApprovalService(broker.bootstrapServers(), registry.confluentApiUrl(), topics);
        this.reviewerVoter = voters.register(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers()),
                registry.confluentApiUrl(),
                topics,
                REVIEWER_VOTER,
                LocalVoters.ANY,
                List.of(REVIEWER));
    }

    /**
     * @param partitions partitions of the keyed topics
     * @return a started registry and broker with the catalogue's topics
     * @throws IOException when the temporary directory cannot be made
     */
    static BenchStack start(final int partitions) throws IOException {
        final Path dir = Files.createTempDirectory("hitl-bench-");
        final SchemaRegistryProcess registry = SchemaRegistryProcess.start(
                SchemaRegistryProcess.locateJar(Path.of("").toAbsolutePath()), dir.resolve("registry.log"), 0);
        try {
            final KafkaBroker broker =
                    KafkaBroker.builder().dataDir(dir.resolve("kafka")).build().start();
            return new BenchStack(dir, registry, broker, partitions);
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
    }

    String bootstrap() {
        return broker.bootstrapServers();
    }

    /**
     * Publishes the default policy to {@code hitl.policy}, as the classifier service does at start, so
     * the apps read it from their global stores as they do in production.
     */
    void publishPolicy() throws Exception {
        final dev.hitl.policy.Policy policy = DefaultPolicy.load();
        final dev.hitl.schemas.PolicyDocument document = new dev.hitl.schemas.PolicyDocument(
                policy.name(), policy.version(), policy.yaml(), policy.sha256(), "bench", java.time.Instant.now());
        try (org.apache.kafka.clients.producer.KafkaProducer<String, dev.hitl.schemas.PolicyDocument> producer =
                new org.apache.kafka.clients.producer.KafkaProducer<>(
                        producerConfig(),
                        serdes.keySerde(topics.policy()).serializer(),
                        serdes.valueSerde(topics.policy()).serializer())) {
            producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
                            topics.policy().name(), policy.name(), document))
                    .get();
        }
    }

    /** Registers the bench agents (any action type and tool), as an operator would through the classifier's API. */
    void registerAgents() throws Exception {
        final List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < WORKLOAD_AGENTS; i++) {
            ids.add("support-agent-" + i);
        }
        for (int i = 0; i < CLIENT_AGENTS; i++) {
            ids.add("bench-agent-" + i);
        }
        try (org.apache.kafka.clients.producer.KafkaProducer<String, dev.hitl.schemas.AgentRegistration> producer =
                new org.apache.kafka.clients.producer.KafkaProducer<>(
                        producerConfig(),
                        serdes.keySerde(topics.agentsRegistry()).serializer(),
                        serdes.valueSerde(topics.agentsRegistry()).serializer())) {
            for (final String id : ids) {
                producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(
                        topics.agentsRegistry().name(),
                        id,
                        dev.hitl.schemas.AgentRegistration.newBuilder()
                                .setAgentId(id)
                                .setCredentialIds(List.of(CREDENTIAL_ID))
                                .setOwners(List.of("bench-owner"))
                                .setPermittedActionTypes(List.of("*"))
                                .setPermittedTools(List.of("*"))
                                .setChangedBy("bench")
                                .setChangedAt(java.time.Instant.now())
                                .build()));
            }
            producer.flush();
        }
    }

    /**
     * @param action a proposal of a bench agent
     * @return its {@code hitl.auth} header value, as the agent's SDK computes it
     */
    static byte[] authentication(final dev.hitl.schemas.ProposedAction action) {
        final AgentCredentials.Credential credential =
                AgentCredentials.derive(AGENT_SECRET, action.getAgentId(), CREDENTIAL_ID);
        return AgentCredentials.header(
                        credential,
                        AgentCredentials.proposalContent(
                                action, dev.hitl.schemas.integrity.ProposalHash.of(action), CREDENTIAL_ID))
                .getBytes(StandardCharsets.UTF_8);
    }

    /** Creates plain topics (for the bare baselines). */
    void createTopics(final int partitions, final String... names) throws Exception {
        admin.createTopics(Stream.of(names)
                        .map(n -> new NewTopic(n, Optional.of(partitions), Optional.empty()))
                        .toList())
                .all()
                .get();
    }

    /** Producer settings for the load generators: idempotent, acks=all, small linger. */
    Map<String, Object> producerConfig() {
        final Map<String, Object> config = new HashMap<>();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        return config;
    }

    /** The classifier exactly as the service wires it (default policy, no risk model). */
    ClassifierTopology.Dependencies classifier() {
        return new ClassifierTopology.Dependencies(
                topics,
                serdes,
                new PolicySource(DefaultPolicy.load(), PolicySource.Listener.NONE),
                new DecisionFactory(new DecisionSigner(CLASSIFIER_KEY)),
                new ProposalValidator(256 * 1024),
                new RiskModelGate(RiskModel.NONE, Duration.ofMillis(500), ClassifierMetrics.NONE),
                Clock.systemUTC(),
                Duration.ofDays(7),
                ClassifierMetrics.NONE,
                new AgentAuthenticator(AGENT_SECRET),
                new DecisionVerifier(
                        DecisionKeys.PublicKeys.of(CLASSIFIER_KEY.publicKey(), ESCALATION_KEY.publicKey())));
    }

    /**
     * @param deadlineCheckEvery how often the deadline punctuator runs (the service's default is 100 ms)
     * @return the escalation service exactly as the service wires it (default policy)
     */
    EscalationTopology.Dependencies escalation(final Duration deadlineCheckEvery) {
        return new EscalationTopology.Dependencies(
                topics,
                serdes,
                new PolicySource(DefaultPolicy.load(), PolicySource.Listener.NONE),
                new DecisionSigner(ESCALATION_KEY),
                Clock.systemUTC(),
                deadlineCheckEvery,
                EscalationMetrics.NONE);
    }

    /**
     * Starts a Kafka Streams app in this JVM and waits until it is RUNNING.
     *
     * @param applicationId its application id (also its consumer group)
     * @param commitMs commit.interval.ms
     * @param topology adds the topology to the builder
     * @return the running app (closed with the stack)
     * @throws InterruptedException when interrupted while waiting
     */
    KafkaStreams streams(final String applicationId, final long commitMs, final Consumer<StreamsBuilder> topology)
            throws InterruptedException {
        return streams(applicationId, commitMs, 1, Map.of(), topology);
    }

    KafkaStreams streams(
            final String applicationId,
            final long commitMs,
            final int threads,
            final Map<String, Object> overrides,
            final Consumer<StreamsBuilder> topology)
            throws InterruptedException {
        final StreamsBuilder builder = new StreamsBuilder();
        topology.accept(builder);
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs);
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
        props.put(
                StreamsConfig.DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                org.apache.kafka.streams.errors.LogAndContinueExceptionHandler.class);
        props.putAll(overrides);
        final CountDownLatch running = new CountDownLatch(1);
        final KafkaStreams streams = new KafkaStreams(builder.build(), props);
        streams.setStateListener((now, before) -> {
            if (now == KafkaStreams.State.RUNNING) {
                running.countDown();
            }
        });
        apps.add(streams);
        streams.start();
        if (!running.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException(applicationId + " did not start");
        }
        return streams;
    }

    /**
     * @param count how many
     * @return agents {@code bench-agent-0..count-1}, each caught up with the decisions topic
     * @throws InterruptedException when interrupted while waiting
     */
    List<HitlClient> agents(final int count) throws InterruptedException {
        final List<HitlClient> agents = new java.util.ArrayList<>();
        for (int a = 0; a < count; a++) {
            final HitlClient agent = agent("bench-agent-" + a);
            agent.awaitCaughtUp(Duration.ofSeconds(30));
            agents.add(agent);
        }
        return agents;
    }

    /** Consumer settings for the drivers' readers: committed records only, no group, no commits. */
    Map<String, Object> readCommittedConsumerConfig() {
        final Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return config;
    }

    /** An agent's client, trusting the bench key. */
    HitlClient agent(final String agentId) {
        return HitlClient.builder()
                .agentId(agentId)
                .namespace(topics.namespace())
                .kafka(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(), ProducerConfig.LINGER_MS_CONFIG, 0))
                .schemaRegistry(client)
                .decisionKeys(DecisionKeys.PublicKeys.of(CLASSIFIER_KEY.publicKey(), ESCALATION_KEY.publicKey()))
                .credential(AgentCredentials.derive(AGENT_SECRET, agentId, CREDENTIAL_ID))
                .build();
    }

    @Override
    public void close() {
        apps.forEach(a -> a.close(Duration.ofSeconds(20)));
        try {
            admin.close(Duration.ofSeconds(5));
            broker.close();
        } finally {
            registry.close();
            try (Stream<Path> paths = Files.walk(dir)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
