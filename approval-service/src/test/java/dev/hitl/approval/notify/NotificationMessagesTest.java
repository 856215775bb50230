package dev.hitl.approval.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.ApprovalRoute;
import dev.hitl.schemas.ApprovalStage;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.ArgumentsDiff;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A request for a modified version says so in every channel: the version, who modified it and why,
 * the arguments to approve (not the agent's) and each change; the modifier's text is as untrusted as
 * the agent's.
 */
class NotificationMessagesTest {

    private static final PolicyEvaluator POLICY = new PolicyEvaluator(DefaultPolicy.load());
    private static final String CARD = "https://approvals.example.com/ui/requests/mod-1";
    private static final String ORIGINAL = "{\"sql\":\"UPDATE invoices SET note='x' WHERE id=7\"}";
    private static final String MODIFIED = "{\"sql\":\"UPDATE invoices SET note='<!channel>' WHERE id=7\",\"limit\":1}";

    @Test
    void shouldTellTheGroupOfAModifiedVersionWithTheModifierTheReasonTheArgumentsAndTheChangesEscaped()
            throws Exception {
        final ApprovalRequest request = modified();

        final JsonNode hook = new ObjectMapper().readTree(NotificationMessages.webhookJson(request, CARD));
        assertThat(hook.get("requestId").asText()).isEqualTo("mod-1:0:0:v1");
        assertThat(hook.get("actionVersion").asInt()).isEqualTo(1);
        assertThat(hook.get("modifiedBy").asText()).isEqualTo("senior");
        assertThat(hook.get("text").asText())
                .startsWith("Modified by senior (version 1), approval needed again: db[.]execute");
        final String blocks = hook.get("blocks").toString();
        assertThat(blocks)
                .contains("*Version:* 1")
                .contains("*Modified by:* senior")
                .contains("*Their reason:* only row 7 &lt;http[:]//evil[.]example|see&gt;")
                .contains("*Arguments to approve:* {\\\"sql\\\":\\\"UPDATE invoices SET note='&lt;!channel&gt;'")
                .contains("*Changed /sql:* \\\"UPDATE invoices SET note='x' WHERE id=7\\\" → \\\"UPDATE invoices SET"
                        + " note='&lt;!channel&gt;' WHERE id=7\\\"")
                .contains("*Added /limit:* (absent) → 1")
                .doesNotContain("<!channel>")
                .doesNotContain("evil.example");

        assertThat(NotificationMessages.mailSubject(request))
                .startsWith("[hitl] modified by senior, approval needed again: db[.]execute")
                .doesNotContain("\n");
        assertThat(NotificationMessages.mailText(request, CARD))
                .contains("A reviewer modified the action's arguments: you are asked again")
                .contains("Version: 1\n")
                .contains("Modified by: senior\n")
                .contains("Their reason: only row 7 <http[:]//evil[.]example|see>\n")
                .contains("Arguments to approve: " + MODIFIED + "\n")
                .contains("Changed /sql: \"UPDATE invoices SET note='x' WHERE id=7\" → ")
                .contains("Added /limit: (absent) → 1\n");
    }

    @Test
    void shouldSayNothingOfVersionsOnTheAgentsOwnProposal() {
        final ApprovalRequest request = request(0);
        assertThat(NotificationMessages.webhookJson(request, CARD))
                .contains("\"text\":\"Approval needed: db[.]execute")
                .doesNotContain("modifiedBy")
                .doesNotContain("Arguments to approve");
        assertThat(NotificationMessages.mailText(request, CARD)).doesNotContain("modified");
    }

    @Test
    void shouldAddApproveAndRejectButtonsNamingTheVersionShownOnlyWhenAsked() throws Exception {
        final ApprovalRequest request = modified();
        assertThat(NotificationMessages.webhookJson(request, CARD))
                .as("without Slack interactivity the message is unchanged")
                .isEqualTo(NotificationMessages.webhookJson(request, CARD, false))
                .doesNotContain("\"actions\"")
                .doesNotContain(SlackVoteButtons.APPROVE);

        final JsonNode hook = new ObjectMapper().readTree(NotificationMessages.webhookJson(request, CARD, true));
        final JsonNode actions = hook.get("blocks").get(hook.get("blocks").size() - 1);
        assertThat(actions.get("type").asText()).isEqualTo("actions");
        assertThat(actions.get("block_id").asText()).isEqualTo(SlackVoteButtons.BLOCK_ID);
        assertThat(actions.get("elements"))
                .extracting(b -> b.get("action_id").asText())
                .containsExactly(SlackVoteButtons.APPROVE, SlackVoteButtons.REJECT);
        assertThat(actions.get("elements"))
                .extracting(b -> b.get("text").get("text").asText())
                .containsExactly("Approve", "Reject");
        for (final JsonNode button : actions.get("elements")) {
            assertThat(SlackVoteButtons.Value.decode(button.get("value").asText()))
                    .as("the button names the request, level, version and arguments the message showed")
                    .contains(new SlackVoteButtons.Value("mod-1", 0, 0, 1, CanonicalJson.sha256(MODIFIED)));
        }
        assertThat(hook.get("requestId").asText()).isEqualTo("mod-1:0:0:v1");

        // An action id too long for Slack's 2,000-character button value: no buttons, the card link stays.
        final ApprovalRequest longId = request(0);
        longId.getAction().setActionId("x".repeat(2100));
        assertThat(NotificationMessages.webhookJson(longId, CARD, true))
                .doesNotContain(SlackVoteButtons.APPROVE)
                .contains("Open the card to decide");
    }

    /** What an attacker who controls the agent's text would try, in one string. */
    private static final String HOSTILE = "Pay <!channel> <!here> <@U024BE7LH> now:"
            + " <https://evil.example/approve|Approve> or https://evil.example/login or www.evil.example"
            + " or pay.evil.example/now, ht\u200Btps://evil.example/zw, mailto:ceo@evil.example,"
            + " invoice\u202Efdp.exe, \u2066isolated\u2069 \u200Emarks\u200F \u061Carabic"
            + " zero\u200Dwidth\u200Bspace\uFEFFbom \u0000nul \u001B[31mred \u0007bell line\u2028break";

    @Test
    void shouldStripInvisibleCharactersAndMakeNoLinkOfAnyAgentTextInTheWebhookOrTheMail() throws Exception {
        final ApprovalRequest request = hostile();

        final JsonNode hook = new ObjectMapper().readTree(NotificationMessages.webhookJson(request, CARD));
        final List<String> rendered = new java.util.ArrayList<>();
        rendered.add(hook.get("text").asText());
        for (final JsonNode block : hook.get("blocks")) {
            assertThat(block.get("text").get("verbatim").asBoolean())
                    .as("Slack must not link-ify the text itself")
                    .isTrue();
            rendered.add(block.get("text").get("text").asText());
        }
        for (final String text : rendered) {
            assertVisibleOnly(text, true);
            assertThat(java.util.regex.Pattern.compile("<[^>]*>").matcher(text).results())
                    .as("the only link, mention or command is hitl's own card link: %s", text)
                    .allSatisfy(m -> assertThat(m.group()).startsWith("<" + CARD + "|Open the card"));
            assertNoLinkButTheCard(text);
        }
        final String all = String.join("\n", rendered);
        assertThat(all)
                .contains("&lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt;")
                .contains("&lt;https[:]//evil[.]example/approve|Approve&gt;")
                .contains("https[:]//evil[.]example/login or www[.]evil[.]example or pay[.]evil[.]example/now")
                .as("an invisible character inside a URL does not hide it from the defanging")
                .contains("https[:]//evil[.]example/zw")
                .contains("mailto[:]ceo@evil[.]example")
                .contains("invoicefdp[.]exe")
                .contains("zerowidthspacebom nul [31mred bell line break");

        final String subject = NotificationMessages.mailSubject(request);
        assertVisibleOnly(subject, false);
        assertNoLinkButTheCard(subject);
        final String text = NotificationMessages.mailText(request, CARD);
        assertVisibleOnly(text, true);
        assertNoLinkButTheCard(text);
        assertThat(text)
                .contains("Open the card to decide: " + CARD + "\n")
                .contains("<https[:]//evil[.]example/approve|Approve>")
                .contains("https[:]//evil[.]example/login or www[.]evil[.]example")
                .contains("invoicefdp[.]exe");
    }

    @Test
    void shouldKeepNumbersAndPlainWordsAsWritten() {
        final ApprovalRequest request = request(0);
        request.getAction().setTarget("invoice 4711, amount 12.50 EUR, version 1.2.3");
        assertThat(NotificationMessages.mailText(request, CARD))
                .contains("Target: invoice 4711, amount 12.50 EUR, version 1.2.3\n");
    }

    /** No control character (but line breaks and tabs where lines may be) and no invisible one. */
    private static void assertVisibleOnly(final String text, final boolean lines) {
        assertThat(text.codePoints())
                .as("invisible or control characters in: %s", text)
                .allSatisfy(cp -> {
                    final int type = Character.getType(cp);
                    assertThat(type).isNotEqualTo((int) Character.FORMAT).isNotEqualTo((int) Character.SURROGATE);
                    if (type == Character.CONTROL) {
                        assertThat(lines && (cp == '\n' || cp == '\t'))
                                .as("U+%04X", cp)
                                .isTrue();
                    }
                    assertThat(cp).isNotIn(0x2028, 0x2029, 0x061C, 0x200B, 0x200D, 0x202E, 0x2066, 0xFEFF);
                });
    }

    /** Without hitl's own card URL, the text has no scheme and no host name a client would link. */
    private static void assertNoLinkButTheCard(final String text) {
        assertThat(text.replace(CARD, ""))
                .doesNotContain("://")
                .doesNotContain("mailto:")
                .doesNotContain("evil.example")
                .doesNotContain("www.");
    }

    private static ApprovalRequest hostile() throws Exception {
        final ApprovalRequest request = modified();
        final ProposedAction action = request.getAction();
        action.setActionType("db.execute " + HOSTILE);
        action.setAgentId("agent " + HOSTILE);
        action.setOnBehalfOf("carol@evil.example " + HOSTILE);
        action.setTool("postgres " + HOSTILE);
        action.setTarget(HOSTILE);
        action.setBatchId("batch " + HOSTILE);
        action.setContext(ActionContext.newBuilder()
                .setRationale("Because:\r\n" + HOSTILE + "\n\tand " + HOSTILE)
                .build());
        request.setModifiedBy("senior " + HOSTILE);
        request.setModificationReason(HOSTILE);
        final String arguments = new ObjectMapper()
                .writeValueAsString(java.util.Map.of("note", HOSTILE, "url", "https://evil.example/x"));
        request.setArguments(arguments);
        request.setArgumentsHash(CanonicalJson.sha256(arguments));
        request.setArgumentsDiff(ArgumentsDiff.between(ORIGINAL, arguments));
        return request;
    }

    private static ApprovalRequest modified() {
        final ApprovalRequest request = request(1);
        request.setRequestId("mod-1:0:0:v1");
        request.setArguments(MODIFIED);
        request.setArgumentsHash(CanonicalJson.sha256(MODIFIED));
        request.setArgumentsDiff(ArgumentsDiff.between(ORIGINAL, MODIFIED));
        request.setModifiedBy("senior");
        request.setModificationReason("only row 7\n<http://evil.example|see>");
        return request;
    }

    private static ApprovalRequest request(final int version) {
        final ProposedAction action = ProposedAction.newBuilder()
                .setActionId("mod-1")
                .setAgentId("billing-agent")
                .setOnBehalfOf("carol@example.com")
                .setActionType("db.execute")
                .setTool("postgres")
                .setArguments(ORIGINAL)
                .setConfidence(0.8)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().build())
                .setProposedAt(Instant.now())
                .build();
        return ApprovalRequest.newBuilder()
                .setRequestId("mod-1:0:0")
                .setAction(action)
                .setAssessment(POLICY.evaluate(action, Optional.empty()).toAssessment(Instant.now()))
                .setRoute(new ApprovalRoute(
                        "standard",
                        "data-owners",
                        List.of(new ApprovalStage("data-owners", 1)),
                        ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(0)
                .setActionVersion(version)
                .setDeadline(Instant.now().plus(Duration.ofMinutes(30)))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(Instant.now())
                .build();
    }
}
