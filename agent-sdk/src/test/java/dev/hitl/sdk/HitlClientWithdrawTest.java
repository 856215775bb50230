package dev.hitl.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link HitlClient#withdraw} on mock clients: the wire format and which future completes with what. */
class HitlClientWithdrawTest {

    private static final String AGENT = MockHitl.AGENT;
    private static final String ARGS = "{\"to\":\"ann@example.org\"}";

    private MockHitl hitl;
    private MockProducer<String, ProposedAction> producer;
    private HitlClient client;
    private final Map<String, ProposedAction> proposals = new HashMap<>();

    @BeforeEach
    void start() {
        hitl = new MockHitl();
        producer = hitl.producer;
        client = hitl.client;
    }

    @AfterEach
    void stop() {
        hitl.close();
    }

    private ProposedAction action(final String id) {
        final ProposedAction action = Proposals.action("email.send", "gmail", ARGS)
                .actionId(id)
                .onBehalfOf("alice@example.com")
                .inputTrust(InputTrust.USER)
                .build();
        proposals.put(id, action);
        return action;
    }

    private void decide(final String id, final Outcome outcome) {
        final boolean runs = outcome == Outcome.APPROVED;
        // An action proposed before a restart: the test knows it, the client does not.
        ProposedAction proposal = proposals.get(id);
        if (proposal == null) {
            proposal = action(id);
            proposal.setAgentId(AGENT);
        }
        final Decision decision = hitl.decision(proposal, outcome, runs ? ARGS : null);
        if (!runs) {
            decision.setFeedback(new Feedback("Withdrawn by the agent " + AGENT + ".", "withdrawn"));
            decision.setDecidedBy(AGENT);
        }
        hitl.publish(hitl.signer.sign(decision));
    }

    @Test
    void shouldSendATombstoneKeyedByTheActionIdNamingTheAgentAndAnswerOnTheProposalsFuture() throws Exception {
        final CompletableFuture<AgentDecision> proposed = client.propose(action("w-1"));
        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-1");
        producer.completeNext();
        producer.completeNext();

        assertThat(withdrawn).isSameAs(proposed).isNotDone();
        final ProducerRecord<String, ProposedAction> tombstone =
                producer.history().get(1);
        assertThat(tombstone.topic()).isEqualTo("hitl.actions.proposed");
        assertThat(tombstone.key()).isEqualTo("w-1");
        assertThat(tombstone.value()).isNull();
        assertThat(HitlClient.WITHDRAWN_BY_HEADER).isEqualTo("hitl.withdrawn.by");
        final Header by = tombstone.headers().lastHeader(HitlClient.WITHDRAWN_BY_HEADER);
        assertThat(new String(by.value(), StandardCharsets.UTF_8)).isEqualTo(AGENT);

        decide("w-1", Outcome.WITHDRAWN);
        final AgentDecision decision = proposed.get(10, TimeUnit.SECONDS);
        assertThat(decision.outcome()).isEqualTo(Outcome.WITHDRAWN);
        assertThat(decision.mayRun()).isFalse();
        assertThat(decision.instructions()).contains("withdrawn").contains("do not run");
    }

    @Test
    void shouldAnswerWithTheDecisionMadeBeforeTheWithdrawalEvenAnApproval() throws Exception {
        final CompletableFuture<AgentDecision> proposed = client.propose(action("w-2"));
        producer.completeNext();
        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-2");
        producer.completeNext();
        // The reviewer approved before the withdrawal arrived: the approval is the one decision.
        decide("w-2", Outcome.APPROVED);
        assertThat(withdrawn.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.APPROVED);
        assertThat(proposed.get().mayRun()).isTrue();
    }

    @Test
    void shouldSendNothingWhenTheDecisionIsAlreadyKnown() throws Exception {
        final CompletableFuture<AgentDecision> proposed = client.propose(action("w-3"));
        producer.completeNext();
        decide("w-3", Outcome.REJECTED);
        proposed.get(10, TimeUnit.SECONDS);

        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-3");
        assertThat(withdrawn).isCompleted();
        assertThat(withdrawn.get().outcome()).isEqualTo(Outcome.REJECTED);
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void shouldWaitForTheDecisionOfAnActionProposedBeforeARestart() throws Exception {
        // No propose in this client: the withdrawal still answers with the action's decision.
        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-4");
        producer.completeNext();
        assertThat(producer.history())
                .singleElement()
                .satisfies(r -> assertThat(r.value()).isNull());
        decide("w-4", Outcome.WITHDRAWN);
        assertThat(withdrawn.get(10, TimeUnit.SECONDS).outcome()).isEqualTo(Outcome.WITHDRAWN);
    }

    @Test
    void shouldFailTheFutureWhenTheWithdrawalCannotBeSent() {
        final CompletableFuture<AgentDecision> withdrawn = client.withdraw("w-5");
        producer.errorNext(new TimeoutException("broker gone"));
        assertThatThrownBy(() -> withdrawn.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("withdrawal of action w-5 could not be sent")
                .hasMessageContaining("still open");
        assertThatThrownBy(() -> client.withdraw(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
