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

    @Test
    void shouldAcceptArgumentsNestedToTheLimitAndRefuseDeeperOnesWithoutFailing() {
        assertThat(validator.validate(withArguments(nested(ProposalValidator.MAX_ARGUMENT_DEPTH)), "a-1", 200))
                .isEmpty();
        for (final int depth : new int[] {ProposalValidator.MAX_ARGUMENT_DEPTH + 1, 100, 5000}) {
            assertThat(validator.validate(withArguments(nested(depth)), "a-1", 200))
                    .as("depth %d", depth)
                    .containsExactly("arguments are nested deeper than 32 levels of objects and arrays");
        }
    }

    @Test
    void shouldRefuseArgumentsThatAreNotOneJsonObject() {
        assertThat(validator.validate(withArguments("[1, 2]"), "a-1", 200))
                .containsExactly("arguments must be a JSON object, found array");
        assertThat(validator.validate(withArguments("{\"a\": 1} {\"a\": 2}"), "a-1", 200))
                .singleElement()
                .asString()
                .startsWith("arguments are not valid JSON: ");
    }

    @Test
    void shouldRefuseDuplicateMemberNamesAndInexactNumbersNamingThem() {
        assertThat(validator.validate(withArguments("{\"to\": \"a\", \"to\": \"b\"}"), "a-1", 200))
                .singleElement()
                .asString()
                .startsWith("arguments: duplicate member name: 'to' appears twice");
        assertThat(validator.validate(withArguments("{\"id\": 9007199254740993}"), "a-1", 200))
                .singleElement()
                .asString()
                .startsWith("arguments: the number at /id (9007199254740993) is beyond ±2^53");
    }

    private static ProposedAction withArguments(final String arguments) {
        return proposal().setArguments(arguments).build();
    }

    /** @return an object nested {@code depth} levels deep, objects and arrays taking turns */
    private static String nested(final int depth) {
        final StringBuilder open = new StringBuilder();
        final StringBuilder close = new StringBuilder();
        for (int level = 1; level <= depth; level++) {
            if (level % 2 == 1) {
                open.append(level == depth ? "{" : "{\"a\":");
                close.insert(0, '}');
            } else {
                open.append('[');
                close.insert(0, ']');
            }
        }
        return open.append(close).toString();
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
