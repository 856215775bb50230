package dev.hitl.approval.slack;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.approval.api.Problem;
import dev.hitl.approval.notify.SlackVoteButtons;
import io.micronaut.http.HttpStatus;
import org.junit.jupiter.api.Test;

/**
 * What goes back to Slack: the reason dialog, the outcome and the refusals, with every value a
 * person or an agent wrote made visible, link-free and mrkdwn-escaped.
 */
class SlackMessagesTest {

    private static final String CARD = "https://approvals.example.com/ui/requests/a-1";
    private static final String HOSTILE =
            "<!channel> <https://evil.example|Approve> see https://evil.example \u202Eexe";

    @Test
    void shouldAskForTheReasonInADialogCarryingTheButtonsValue() {
        final SlackVoteButtons.Value value = new SlackVoteButtons.Value(HOSTILE, 0, 1, 2, "abc");
        final JsonNode view = SlackMessages.rejectView(value, "{\"b\":1}");
        assertThat(view.get("type").asText()).isEqualTo("modal");
        assertThat(view.get("callback_id").asText()).isEqualTo(SlackMessages.REJECT_VIEW);
        assertThat(view.get("private_metadata").asText()).isEqualTo("{\"b\":1}");
        assertThat(view.get("title").get("text").asText().length())
                .as("Slack's limit")
                .isLessThanOrEqualTo(24);
        final JsonNode input = view.get("blocks").get(1);
        assertThat(input.get("block_id").asText()).isEqualTo(SlackMessages.REASON_BLOCK);
        assertThat(input.get("element").get("action_id").asText()).isEqualTo(SlackMessages.REASON_ACTION);
        assertThat(input.get("element").get("min_length").asInt()).isEqualTo(1);
        final String text = view.get("blocks").get(0).get("text").get("text").asText();
        assertThat(text)
                .contains("&lt;!channel&gt;")
                .contains("version 2, escalation level 1")
                .doesNotContain("<!channel>")
                .doesNotContain("evil.example")
                .doesNotContain("\u202E");
        assertThat(view.get("blocks").get(0).get("text").get("verbatim").asBoolean())
                .isTrue();
    }

    @Test
    void shouldReplaceTheMessageWithTheOutcomeAndEscapeTheReason() {
        final JsonNode message = SlackMessages.recorded(null, CARD, "Rejected by bob: " + HOSTILE, false);
        assertThat(message.get("replace_original").asBoolean()).isTrue();
        assertThat(message.get("text").asText())
                .startsWith("Rejected by bob: &lt;!channel&gt; &lt;https[:]//evil[.]example|Approve&gt;")
                .doesNotContain("\u202E");
        assertThat(message.toString()).doesNotContain("<!channel>").doesNotContain("evil.example");
        assertThat(message.get("blocks").get(1).get("text").get("text").asText())
                .isEqualTo("<" + CARD + "|Open the card>");
    }

    @Test
    void shouldTellOnlyTheClickingUserWhyTheirVoteDidNotCountAndEveryoneWhenTheMessageIsOutOfDate() {
        final JsonNode notInGroup = SlackMessages.refused(
                Problem.create(HttpStatus.FORBIDDEN, "not-in-group", "Not your group", "Action " + HOSTILE + " waits"),
                CARD);
        assertThat(notInGroup.get("response_type").asText()).isEqualTo("ephemeral");
        assertThat(notInGroup.get("replace_original").asBoolean()).isFalse();
        assertThat(notInGroup.get("text").asText())
                .startsWith("Your vote was not recorded: Not your group.")
                .contains("&lt;!channel&gt;")
                .doesNotContain("<!channel>")
                .doesNotContain("evil.example");

        for (final String kind : new String[] {"decided", "escalated", "superseded", "not-open"}) {
            final JsonNode stale = SlackMessages.refused(
                    Problem.create(HttpStatus.CONFLICT, kind, "Moved on", "Action " + HOSTILE + " moved on"), CARD);
            assertThat(stale.get("replace_original").asBoolean()).as(kind).isTrue();
            assertThat(stale.has("response_type")).isFalse();
            assertThat(stale.get("text").asText())
                    .startsWith("This message is out of date: Moved on.")
                    .doesNotContain("<!channel>");
            assertThat(stale.toString()).as("no buttons left").doesNotContain(SlackVoteButtons.APPROVE);
        }
    }
}
