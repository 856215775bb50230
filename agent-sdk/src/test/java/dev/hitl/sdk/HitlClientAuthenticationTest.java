package dev.hitl.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.AgentCredentials;
import dev.hitl.schemas.integrity.ProposalHash;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every proposal and withdrawal the client sends is authenticated with the agent's credential, as the
 * classifier checks it: the test reads each record as the classifier does and verifies its {@value
 * AgentCredentials#HEADER} header with the credential the registry lists; an attacker holding another
 * agent's credential, or replaying a header onto other content, gets nothing that verifies.
 */
class HitlClientAuthenticationTest {

    private static final String AGENT = MockHitl.AGENT;
    private static final String ARGS = "{\"amount\":12.5}";
    private static final String GATEWAY = "mcp-gateway-1";

    /** Another registered agent's credential, from the same master secret. */
    private static final AgentCredentials.Credential OTHER_AGENT =
            AgentCredentials.derive(MockHitl.MASTER_SECRET, "agent-other", "c1");

    /** The MCP gateway's own credential: a delegate of {@link #AGENT} in the registry. */
    private static final AgentCredentials.Credential GATEWAY_CREDENTIAL =
            AgentCredentials.derive(MockHitl.MASTER_SECRET, GATEWAY, "gw-1");

    private MockHitl hitl;

    @AfterEach
    void stop() {
        if (hitl != null) {
            hitl.close();
        }
    }

    /** A proposal whose wire form differs from what was built: a cost rescaled, a time truncated. */
    private static ProposedAction action(final String id) {
        return Proposals.action("payment.create", "stripe", ARGS)
                .actionId(id)
                .estimatedCost(new BigDecimal("12.5"), "EUR")
                .onBehalfOf("alice@example.com")
                .inputTrust(InputTrust.USER)
                .replyBy(Instant.now().plusNanos(123_456_789))
                .build();
    }

    /** The content the classifier authenticates for a proposal record, computed from what it reads. */
    private String proposalContent(final ProducerRecord<String, ProposedAction> record, final String credentialId) {
        final ProposedAction read = hitl.asTheClassifierReadsIt(record.value());
        return AgentCredentials.proposalContent(read, ProposalHash.of(read), credentialId);
    }

    private static AgentCredentials.Presented presented(final ProducerRecord<?, ?> record) {
        return AgentCredentials.presented(record.headers()).orElseThrow();
    }

    private static String header(final Headers headers, final String name) {
        final Header header = headers.lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Test
    void shouldAuthenticateEveryProposalWithTheAgentsCredentialOverItsContentAsTheClassifierReadsIt() {
        hitl = new MockHitl();
        hitl.client.propose(action("p-1"));
        final ProducerRecord<String, ProposedAction> record =
                hitl.producer.history().get(0);

        final AgentCredentials.Presented auth = presented(record);
        assertThat(auth.credentialId()).isEqualTo("c1");
        assertThat(auth.verifies(MockHitl.CREDENTIAL, proposalContent(record, "c1")))
                .isTrue();
        assertThat(header(record.headers(), HitlClient.AUTH_AGENT_HEADER))
                .as("no delegate")
                .isNull();
        // Another agent's credential, even under the same credential id, does not make this MAC.
        assertThat(auth.verifies(OTHER_AGENT, proposalContent(record, "c1"))).isFalse();
        assertThat(auth.verifies(
                        AgentCredentials.derive("another installation's master secret!!".getBytes(), AGENT, "c1"),
                        proposalContent(record, "c1")))
                .isFalse();
    }

    @Test
    void shouldNotLetTheHeaderOfOneProposalAuthenticateAnotherOrTheSameOneReplayedLater() {
        hitl = new MockHitl();
        hitl.client.propose(action("p-2"));
        final ProducerRecord<String, ProposedAction> record =
                hitl.producer.history().get(0);
        final AgentCredentials.Presented auth = presented(record);

        // An attacker copies the header onto a proposal of its own, under the agent's id.
        final ProposedAction changed = hitl.asTheClassifierReadsIt(record.value());
        changed.setArguments("{\"amount\":99999}");
        assertThat(auth.verifies(
                        MockHitl.CREDENTIAL, AgentCredentials.proposalContent(changed, ProposalHash.of(changed), "c1")))
                .isFalse();
        // Or replays it with a fresh proposedAt, to slip past the classifier's memory of the id.
        final ProposedAction replayed = hitl.asTheClassifierReadsIt(record.value());
        replayed.setProposedAt(replayed.getProposedAt().plusSeconds(3600));
        assertThat(auth.verifies(
                        MockHitl.CREDENTIAL,
                        AgentCredentials.proposalContent(replayed, ProposalHash.of(replayed), "c1")))
                .isFalse();
    }

    @Test
    void shouldSendTheSameHeaderWhenTheSameProposalIsSentAgainAlsoAfterARestart() {
        hitl = new MockHitl();
        final ProposedAction action = action("p-3");
        hitl.client.propose(action);
        hitl.client.propose(action);
        final MockHitl restarted = new MockHitl();
        try {
            restarted.client.propose(action);
            final List<ProducerRecord<String, ProposedAction>> sent = List.of(
                    hitl.producer.history().get(0),
                    hitl.producer.history().get(1),
                    restarted.producer.history().get(0));
            final String first = header(sent.get(0).headers(), AgentCredentials.HEADER);
            assertThat(sent).allSatisfy(r -> {
                assertThat(r.value().getProposedAt())
                        .isEqualTo(sent.get(0).value().getProposedAt());
                assertThat(header(r.headers(), AgentCredentials.HEADER)).isEqualTo(first);
                assertThat(presented(r).verifies(MockHitl.CREDENTIAL, proposalContent(r, "c1")))
                        .isTrue();
            });
        } finally {
            restarted.close();
        }
    }

    @Test
    void shouldAuthenticateEveryWithdrawalForItsActionAndAgentOnly() {
        hitl = new MockHitl();
        hitl.client.propose(action("p-4"));
        hitl.client.withdraw("p-4");
        hitl.client.withdraw("p-5"); // proposed before a restart
        final ProducerRecord<String, ProposedAction> tombstone =
                hitl.producer.history().get(1);
        assertThat(tombstone.value()).isNull();
        assertThat(header(tombstone.headers(), HitlClient.WITHDRAWN_BY_HEADER)).isEqualTo(AGENT);

        final AgentCredentials.Presented auth = presented(tombstone);
        assertThat(auth.verifies(MockHitl.CREDENTIAL, AgentCredentials.withdrawalContent("p-4", AGENT, "c1")))
                .isTrue();
        assertThat(presented(hitl.producer.history().get(2))
                        .verifies(MockHitl.CREDENTIAL, AgentCredentials.withdrawalContent("p-5", AGENT, "c1")))
                .isTrue();
        // Copied onto a tombstone of another action, or checked with another agent's credential: nothing.
        assertThat(auth.verifies(MockHitl.CREDENTIAL, AgentCredentials.withdrawalContent("p-5", AGENT, "c1")))
                .isFalse();
        assertThat(auth.verifies(OTHER_AGENT, AgentCredentials.withdrawalContent("p-4", "agent-other", "c1")))
                .isFalse();
        // A proposal's MAC is no withdrawal's, and the other way round.
        assertThat(presented(hitl.producer.history().get(0))
                        .verifies(MockHitl.CREDENTIAL, AgentCredentials.withdrawalContent("p-4", AGENT, "c1")))
                .isFalse();
    }

    @Test
    void shouldAuthenticateADelegatesProposalsAndWithdrawalsWithTheDelegatesOwnCredentialAndNameIt() {
        hitl = new MockHitl(builder -> builder.delegateCredential(GATEWAY_CREDENTIAL));
        assertThat(hitl.client.authenticatedAs()).isEqualTo(GATEWAY);
        hitl.client.propose(action("d-1"));
        hitl.client.withdraw("d-1");
        final ProducerRecord<String, ProposedAction> proposal =
                hitl.producer.history().get(0);
        final ProducerRecord<String, ProposedAction> tombstone =
                hitl.producer.history().get(1);

        assertThat(proposal.value().getAgentId())
                .as("proposes for the agent it serves")
                .isEqualTo(AGENT);
        assertThat(header(proposal.headers(), HitlClient.AUTH_AGENT_HEADER)).isEqualTo(GATEWAY);
        assertThat(presented(proposal).credentialId()).isEqualTo("gw-1");
        assertThat(presented(proposal).verifies(GATEWAY_CREDENTIAL, proposalContent(proposal, "gw-1")))
                .isTrue();
        assertThat(presented(proposal).verifies(MockHitl.CREDENTIAL, proposalContent(proposal, "gw-1")))
                .as("the served agent's key did not make it")
                .isFalse();

        assertThat(header(tombstone.headers(), HitlClient.WITHDRAWN_BY_HEADER)).isEqualTo(AGENT);
        assertThat(header(tombstone.headers(), HitlClient.AUTH_AGENT_HEADER)).isEqualTo(GATEWAY);
        assertThat(presented(tombstone)
                        .verifies(GATEWAY_CREDENTIAL, AgentCredentials.withdrawalContent("d-1", AGENT, "gw-1")))
                .isTrue();
    }

    @Test
    void shouldRefuseToBuildWithoutACredentialOrWithAnotherAgentsOrAMalformedOne() {
        assertThatThrownBy(() -> new MockHitl(builder -> builder))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("agent " + AGENT + " needs its credential")
                .hasMessageContaining("Builder.credential(credentialId, key)");
        assertThatThrownBy(() -> new MockHitl(builder -> builder.credential(OTHER_AGENT)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the credential c1 is agent agent-other's, not " + AGENT + "'s");
        assertThatThrownBy(() -> new MockHitl(builder -> builder.credential("c1", "not base64url!")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("base64url")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not base64url!"));
        assertThatThrownBy(() -> new MockHitl(builder -> builder.credential("c1", "c2hvcnQ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes");
        assertThatThrownBy(() -> new MockHitl(builder -> builder.delegateCredential(MockHitl.CREDENTIAL)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("give it with Builder.credential");
        assertThatThrownBy(() -> new MockHitl(
                        builder -> builder.credential(MockHitl.CREDENTIAL).delegateCredential(GATEWAY_CREDENTIAL)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not both");
    }

    @Test
    void shouldTakeTheCredentialAsTheOperatorsHandItOutAndNeverShowTheKey() {
        final String key = MockHitl.CREDENTIAL.encodedKey();
        hitl = new MockHitl(builder -> {
            builder.credential("c1", key);
            assertThat(builder.toString()).contains("c1").doesNotContain(key);
            return builder;
        });
        hitl.client.propose(action("k-1"));
        final ProducerRecord<String, ProposedAction> record =
                hitl.producer.history().get(0);
        assertThat(presented(record).verifies(MockHitl.CREDENTIAL, proposalContent(record, "c1")))
                .isTrue();
        assertThat(hitl.client.toString()).contains(AGENT).doesNotContain(key);
        assertThat(MockHitl.CREDENTIAL.toString()).doesNotContain(key);
    }
}
