package dev.hitl.classifier.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicySource;
import dev.hitl.runtime.Placement;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.AgentStatus;
import dev.hitl.schemas.ClassifiedAction;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.ProposalHash;
import dev.hitl.schemas.serde.InMemorySchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import dev.hitl.schemas.topics.TopicSerdes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proposals and withdrawals from any client: the driver reads every record from partition 0, so a
 * record whose actionId Java's partitioner puts on another partition is one a foreign client (e.g.
 * librdkafka's CRC32 partitioner) misplaced. It is moved through the repartition topic with its key,
 * value and headers, and processed once, in order with the other records of its writer.
 */
class ClassifierPlacementTest {

    private static final Instant NOW = Instant.parse("2026-11-28T12:00:00Z");
    private static final byte[] SECRET = "a test master secret of at least 32 bytes".getBytes(StandardCharsets.UTF_8);
    private static final String AGENT = "support-agent-1";
    private static final String EMAIL = "{\"to\": \"customer@gmail.com\", \"body\": \"hi\"}";
    /** Where misplaced proposals and withdrawals go (the driver's application id is classifier-test). */
    private static final String MOVED_TOPIC = "classifier-test-proposals-by-key-repartition";

    @TempDir
    Path stateDir;

    private final TopicCatalogue topics = TopicCatalogue.standard();
    private final TopicSerdes serdes = new TopicSerdes(new InMemorySchemaRegistryClient(), true);
    private final AgentCredentials.Credential credential = AgentCredentials.derive(SECRET, AGENT, "c1");
    private final List<String> withdrawals = new ArrayList<>();
    private int duplicates;
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> proposals;
    private TestOutputTopic<String, ClassifiedAction> pending;
    private TestOutputTopic<String, Decision> decisions;
    private TestOutputTopic<byte[], byte[]> moved;

    @BeforeEach
    void start() {
        final ClassifierMetrics metrics = new ClassifierMetrics() {
            @Override
            public void withdrawal(final String result) {
                withdrawals.add(result);
            }

            @Override
            public void duplicate() {
                duplicates++;
            }
        };
        final StreamsBuilder builder = new StreamsBuilder();
        ClassifierTopology.build(
                builder,
                new ClassifierTopology.Dependencies(
                        topics,
                        serdes,
                        new PolicySource(DefaultPolicy.load(), PolicySource.Listener.NONE),
                        new DecisionFactory(new DecisionSigner(DevelopmentKeys.privateKey())),
                        new ProposalValidator(64 * 1024),
                        new RiskModelGate(RiskModel.NONE, Duration.ofMillis(100), ClassifierMetrics.NONE),
                        Clock.fixed(NOW, ZoneOffset.UTC),
                        Duration.ofDays(7),
                        metrics,
                        new AgentAuthenticator(SECRET),
                        new DecisionVerifier(DevelopmentKeys.publicKeys())));
        final Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "classifier-test");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        driver = new TopologyTestDriver(builder.build(), props, NOW);
        proposals = driver.createInputTopic(
                topics.actionsProposed().name(), new ByteArraySerializer(), new ByteArraySerializer());
        driver.createInputTopic(
                        topics.agentsRegistry().name(),
                        new StringSerializer(),
                        serdes.valueSerde(topics.agentsRegistry()).serializer())
                .pipeInput(
                        AGENT,
                        AgentRegistration.newBuilder()
                                .setAgentId(AGENT)
                                .setCredentialIds(List.of("c1"))
                                .setPermittedActionTypes(List.of("*"))
                                .setPermittedTools(List.of("*"))
                                .setStatus(AgentStatus.ACTIVE)
                                .setChangedBy("operator")
                                .setChangedAt(NOW)
                                .build());
        pending = driver.createOutputTopic(
                topics.approvalsPending().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.approvalsPending()).deserializer());
        decisions = driver.createOutputTopic(
                topics.decisions().name(),
                new StringDeserializer(),
                serdes.valueSerde(topics.decisions()).deserializer());
        moved = driver.createOutputTopic(MOVED_TOPIC, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    @Test
    void shouldDecideAMisplacedProposalAndItsResendOnceWithTheAuthenticationKept() {
        final String id = idOnPartition(3);
        final ProposedAction action = action(id, "search.web", "{}");
        propose(action);
        propose(action); // the resend, on the same wrong partition

        assertThat(decisions.readValuesToList()).singleElement().satisfies(decision -> {
            assertThat(decision.getActionId()).isEqualTo(id);
            assertThat(decision.getOutcome())
                    .as("authenticated after the move: %s", decision.getFeedback())
                    .isEqualTo(Outcome.AUTO_APPROVED);
        });
        assertThat(duplicates).isEqualTo(1);
        assertThat(moved.readRecordsToList()).hasSize(2).allSatisfy(record -> {
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(id);
            assertThat(record.headers().lastHeader(AgentCredentials.HEADER)).isNotNull();
        });
    }

    @Test
    void shouldLetAProposalReadInItsPlaceGoStraightOn() {
        final String id = idOnPartition(0);
        propose(action(id, "search.web", "{}"));

        assertThat(decisions.readValue().getOutcome()).isEqualTo(Outcome.AUTO_APPROVED);
        assertThat(moved.isEmpty()).isTrue();
    }

    @Test
    void shouldKeepAMisplacedWithdrawalAfterItsMisplacedProposal() {
        // One client with another partitioner: proposal and withdrawal land on one wrong partition.
        final String id = idOnPartition(5);
        propose(action(id, "email.send", EMAIL));
        withdraw(id);

        assertThat(pending.readRecordsToList())
                .extracting(record -> record.key() + " " + (record.value() == null ? "withdrawn" : "pending"))
                .containsExactly(id + " pending", id + " withdrawn");
        assertThat(withdrawals).containsExactly(Withdrawals.FORWARDED);
        assertThat(moved.readRecordsToList()).hasSize(2);
    }

    @Test
    void shouldLeaveAKeylessRecordWhereItIs() {
        proposals.pipeInput(new TestRecord<>((byte[]) null, null, new RecordHeaders(), NOW));

        assertThat(moved.isEmpty()).isTrue();
        assertThat(decisions.isEmpty()).isTrue();
    }

    /** An action id Java's partitioner puts on the given partition of the proposals topic. */
    private String idOnPartition(final int partition) {
        for (int i = 0; ; i++) {
            final String id = "placed-" + i;
            if (Placement.partitionOf(
                            id.getBytes(StandardCharsets.UTF_8),
                            topics.actionsProposed().partitions())
                    == partition) {
                return id;
            }
        }
    }

    private static ProposedAction action(final String id, final String type, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId(id)
                .setAgentId(AGENT)
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool("tool")
                .setArguments(arguments)
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(NOW.minusSeconds(1))
                .build();
    }

    private void propose(final ProposedAction action) {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(
                AgentCredentials.HEADER,
                AgentCredentials.header(
                                credential, AgentCredentials.proposalContent(action, ProposalHash.of(action), "c1"))
                        .getBytes(StandardCharsets.UTF_8));
        proposals.pipeInput(new TestRecord<>(
                action.getActionId().getBytes(StandardCharsets.UTF_8),
                serdes.valueSerde(topics.actionsProposed())
                        .serializer()
                        .serialize(topics.actionsProposed().name(), action),
                headers,
                NOW));
    }

    private void withdraw(final String id) {
        final RecordHeaders headers = new RecordHeaders();
        headers.add(Withdrawals.WITHDRAWN_BY, AGENT.getBytes(StandardCharsets.UTF_8));
        headers.add(
                AgentCredentials.HEADER,
                AgentCredentials.header(credential, AgentCredentials.withdrawalContent(id, AGENT, "c1"))
                        .getBytes(StandardCharsets.UTF_8));
        proposals.pipeInput(new TestRecord<>(id.getBytes(StandardCharsets.UTF_8), null, headers, NOW));
    }
}
