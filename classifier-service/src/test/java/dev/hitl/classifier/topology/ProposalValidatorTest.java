package dev.hitl.classifier.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProposalValidatorTest {

    private final ProposalValidator validator = new ProposalValidator(100_000);

    @Test
    void shouldAcceptAValidProposalKeyedByItsActionId() {
        assertThat(validator.validate(proposal().build(), "a-1", 200)).isEmpty();
    }

    @Test
    void shouldRefuseAProposalWithoutARecordKey() {
        assertThat(validator.validate(proposal().build(), null, 200))
                .singleElement()
                .asString()
                .contains("record key is missing");
    }

    @Test
    void shouldNameEveryFieldThatHeldBytesThatAreNotUtf8() {
        final ProposedAction action = proposal()
                .setTarget("/tmp/\uFFFD")
                .setSystemsAffected(List.of("crm", "b\uFFFDd"))
                .setContext(
                        ActionContext.newBuilder().setUserRequest("pay \uFFFD").build())
                .build();
        assertThat(validator.validate(action, "a-1", 200))
                .containsExactlyInAnyOrder(
                        "target contains U+FFFD, the mark of bytes that are not valid UTF-8: send text as UTF-8",
                        "systemsAffected[1] contains U+FFFD, the mark of bytes that are not valid UTF-8: send text as"
                                + " UTF-8",
                        "context.userRequest contains U+FFFD, the mark of bytes that are not valid UTF-8: send text"
                                + " as UTF-8");
    }

    private static ProposedAction.Builder proposal() {
        return ProposedAction.newBuilder()
                .setActionId("a-1")
                .setAgentId("agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType("search.web")
                .setTool("web")
                .setArguments("{\"q\":\"x\"}")
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now());
    }
}
