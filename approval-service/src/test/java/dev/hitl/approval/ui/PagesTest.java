package dev.hitl.approval.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.approval.api.Change;
import dev.hitl.approval.api.Detail;
import dev.hitl.approval.api.Modification;
import dev.hitl.approval.api.SimilarRejection;
import dev.hitl.approval.api.SpotCheckDetail;
import dev.hitl.approval.api.SpotCheckSummary;
import dev.hitl.approval.api.Stage;
import dev.hitl.approval.api.Summary;
import dev.hitl.approval.api.TrackRecord;
import dev.hitl.approval.fatigue.Fatigue;
import dev.hitl.approval.ui.admin.FatiguePage;
import dev.hitl.approval.ui.batch.BatchPage;
import dev.hitl.approval.ui.batch.Batches;
import dev.hitl.approval.ui.card.CardPage;
import dev.hitl.approval.ui.inbox.InboxPage;
import dev.hitl.approval.ui.signin.ContinuePage;
import dev.hitl.approval.ui.signin.SignInPage;
import dev.hitl.approval.ui.signin.SignInProvider;
import dev.hitl.approval.ui.spotcheck.SpotCheckPage;
import dev.hitl.approval.ui.spotcheck.SpotChecksPage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The pages, rendered from the compiled templates, show every agent-written value as text: nothing
 * it writes becomes markup, and no link leads anywhere but this service's own pages.
 */
class PagesTest {

    static final String EVIL = "<script>window.__pwned=1</script><img src=x onerror=\"alert(1)\">'`&";
    static final String EVIL_ESCAPED =
            "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#39;&#96;&amp;";
    static final Instant NOW = Instant.parse("2030-01-01T10:00:00Z");
    static final Viewer VIEWER =
            new Viewer("reviewer", "Local <b>Reviewer</b>", List.of("reviewers", "<g>"), "csrf-token\"x");

    static Summary summary(final String id, final boolean canVote) {
        return summary(id, canVote, "batch " + EVIL);
    }

    static Summary summary(final String id, final boolean canVote, final String batchId) {
        return summary(id, canVote, batchId, 0, null);
    }

    static Summary summary(
            final String id, final boolean canVote, final String batchId, final int version, final String modifiedBy) {
        return new Summary(
                id,
                "agent " + EVIL,
                "carol " + EVIL,
                "email.send " + EVIL,
                "gmail " + EVIL,
                "target " + EVIL,
                "IRREVERSIBLE",
                0.91,
                NOW.plus(Duration.ofMinutes(30)).toString(),
                0,
                version,
                modifiedBy,
                "standard",
                List.of(new Stage(0, "reviewers", id + ":0:0" + (version > 0 ? ":v" + version : ""))),
                batchId,
                canVote,
                canVote ? null : "done on your behalf",
                NOW.plus(Duration.ofMinutes(30)).minusSeconds(3276).toString(),
                "ranked 55 min ahead of its deadline for its risk score 0.91");
    }

    static Detail detail(final Summary summary) {
        return detail(summary, "{\"body\":\"" + EVIL.replace("\"", "\\\"") + "\"}", "hash-0", null);
    }

    static Detail detail(
            final Summary summary, final String arguments, final String hash, final Modification modification) {
        return new Detail(
                summary,
                arguments,
                hash,
                modification,
                "asked " + EVIL,
                List.of("step " + EVIL),
                "because " + EVIL,
                List.of("alt " + EVIL),
                "outcome " + EVIL,
                List.of("risk " + EVIL),
                "12.5 EUR " + EVIL,
                List.of("crm " + EVIL),
                "RETRIEVED",
                "support " + EVIL,
                "conflict " + EVIL,
                List.of("reason " + EVIL),
                List.of("rule " + EVIL),
                List.of("trigger " + EVIL),
                "v1 " + EVIL,
                "STANDARD",
                new TrackRecord(3, 1, 2, 0, 6, "STANDARD"),
                List.of(new SimilarRejection(
                        "old-1",
                        "2029-12-31T09:00:00Z",
                        "bob " + EVIL,
                        "wrong customer " + EVIL,
                        "reviewer",
                        "target " + EVIL)));
    }

    static List<Batches.Member> batchMembers() {
        return List.of(
                new Batches.Member(
                        "b-1",
                        "email.send",
                        "agent",
                        "t " + EVIL,
                        "{\"x\":\"" + EVIL.replace("\"", "'") + "\"}",
                        null,
                        null),
                new Batches.Member("b-2", "email.send", "agent", "u " + EVIL, "{\"x\":\"y\"}", null, null));
    }

    static BatchPage batchPage(final List<Batches.Member> members) {
        final Batches.Summary summary = Batches.summarize(members, 2);
        return new BatchPage(
                VIEWER,
                "batch " + EVIL,
                summary,
                members,
                NOW.plus(Duration.ofMinutes(30)).toString(),
                List.of(summary("b-3", false)),
                summary.samples().stream().map(Batches.Member::arguments).toList(),
                "Refused: " + EVIL,
                NOW);
    }

    static Detail modifiedDetail(final Summary s) {
        final String modified = "{\"sql\":\"DROP TABLE invoices; -- " + EVIL.replace("\"", "'") + "\"}";
        return detail(
                s,
                modified,
                "hash-of-version-2",
                new Modification(
                        "senior " + EVIL,
                        "tightened " + EVIL,
                        "{\"sql\":\"UPDATE invoices SET note='x' WHERE id=7\"}",
                        List.of(
                                new Change(
                                        "/sql",
                                        "CHANGED",
                                        "\"UPDATE invoices SET note='x' WHERE id=7\"",
                                        "\"before " + EVIL.replace("\"", "'") + "\""),
                                new Change("/path " + EVIL, "ADDED", null, "\"after " + EVIL.replace("\"", "'") + "\""),
                                new Change("/gone", "REMOVED", "1", null))));
    }

    /**
     * The only script a page may have is the one static file; no inline handlers or styles; every
     * link, form and source a path of this service.
     */
    static void assertInert(final String page) {
        final Matcher scripts = Pattern.compile("<script").matcher(page);
        int count = 0;
        while (scripts.find()) {
            count++;
        }
        assertThat(count).as("script elements").isEqualTo(1);
        assertThat(page).contains("<script src=\"/ui/static/app.js\" defer></script>");
        assertThat(page).doesNotContain("<img").doesNotContain("onerror=\"").doesNotContain("style=");
        // Escaped text holds no '<', so every tag in the page is one the templates wrote.
        final Matcher tags = Pattern.compile("<[a-zA-Z][^>]*>").matcher(page);
        while (tags.find()) {
            // Escaped values hold no '"' either, so each quoted string is one whole attribute value.
            assertThat(tags.group().replaceAll("\"[^\"]*\"", "\"\""))
                    .as("a tag's attribute names")
                    .doesNotContainPattern("\\son[a-z]+\\s*=")
                    .doesNotContain("javascript:");
        }
        final Matcher links =
                Pattern.compile("\\s(href|action|src|formaction)=\"([^\"]*)\"").matcher(page);
        while (links.find()) {
            assertThat(links.group(2))
                    .as("where " + links.group() + " leads: a path of this service, never text an agent wrote")
                    .startsWith("/")
                    .doesNotStartWith("//")
                    .doesNotContain(":");
        }
    }

    @Test
    void shouldRenderAnInboxWithEveryValueEscaped() {
        final String page = Pages.render(new InboxPage(
                VIEWER,
                List.of(summary("a-1", true, null), summary("a\"2<", false, null)),
                Set.of("a-1"),
                "Voted on " + EVIL,
                NOW));
        assertInert(page);
        assertThat(page)
                .contains("email.send " + EVIL_ESCAPED)
                .contains("Voted on " + EVIL_ESCAPED)
                .contains("Local &lt;b&gt;Reviewer&lt;/b&gt;")
                .contains("href=\"/ui/requests/a%222%3C\"")
                .contains("data-action-id=\"a&quot;2&lt;\"")
                .contains("value=\"csrf-token&quot;x\"")
                .contains("class=\"risk risk-high\">irreversible<")
                .contains("30:00 left")
                .contains("done on your behalf")
                .contains("you voted");
        assertThat(page).contains("id=\"empty\" hidden");
    }

    @Test
    void shouldKeepAHostileActionIdInsideTheLinkToItsCard() {
        final String page = Pages.render(new InboxPage(
                VIEWER,
                List.of(
                        summary("javascript:alert(1)", true, null),
                        summary("//evil.example/x?y#z", true, null),
                        summary("../../api/requests", true, null)),
                Set.of(),
                null,
                NOW));
        assertInert(page);
        assertThat(page)
                .contains("href=\"/ui/requests/javascript%3Aalert%281%29\"")
                .contains("href=\"/ui/requests/%2F%2Fevil.example%2Fx%3Fy%23z\"")
                .contains("href=\"/ui/requests/..%2F..%2Fapi%2Frequests\"");
    }

    @Test
    void shouldShowRequestsOfABatchAsOneEscapedInboxLineAndTheBatchPageEscaped() {
        final String inbox = Pages.render(new InboxPage(
                VIEWER,
                List.of(summary("b-1", true), summary("b-2", true), summary("c-1", true, null)),
                Set.of(),
                null,
                NOW));
        assertInert(inbox);
        assertThat(inbox)
                .contains("data-batch-id=\"batch " + EVIL_ESCAPED + "\"")
                .contains("<b class=\"batch-count\">2</b>")
                .doesNotContain("data-action-id=\"b-1\"")
                .contains("data-action-id=\"c-1\"");

        final String page = Pages.render(batchPage(batchMembers()));
        assertInert(page);
        assertThat(page)
                .contains("Batch batch " + EVIL_ESCAPED)
                .contains("t " + EVIL_ESCAPED)
                .contains("Refused: " + EVIL_ESCAPED)
                .contains("name=\"exclude.1\" value=\"b-2\"")
                .contains("value=\"csrf-token&quot;x\"")
                .contains("b-3 (done on your behalf)");
    }

    @Test
    void shouldRenderAnEmptyInboxWithTheEmptyNoteShown() {
        final String page = Pages.render(new InboxPage(VIEWER, List.of(), Set.of(), null, NOW));
        assertThat(page).contains("id=\"empty\">").contains("<span class=\"count\" id=\"count\">0</span>");
    }

    @Test
    void shouldSayHowManyMoreAreWaitingWhenTheInboxIsLongerThanThePage() {
        final List<Summary> shown = List.of(summary("a-1", true, null), summary("a-2", true, null));
        final String longer = Pages.render(new InboxPage(VIEWER, shown, 1_234_567, Set.of(), null, NOW));
        assertThat(longer)
                .contains("<p class=\"more\" id=\"more\">1234567 requests are waiting: these are the 2 ranked first")
                .contains("<span class=\"count\" id=\"count\">2</span>");
        final String all = Pages.render(new InboxPage(VIEWER, shown, 2, Set.of(), null, NOW));
        assertThat(all).doesNotContain("id=\"more\"").doesNotContain("id=\"spot-link\"");
        final String withSpotChecks = Pages.render(new InboxPage(VIEWER, shown, 2, Set.of(), null, NOW, 3));
        assertThat(withSpotChecks)
                .contains("<a href=\"/ui/spot-checks\" id=\"spot-link\">Spot checks: 3 auto-approved actions")
                .contains("ranked 55 min ahead of its deadline for its risk score 0.91")
                .contains("data-rank=\"2030-01-01T09:35:24Z\"");
    }

    @Test
    void shouldRenderACardWithEveryValueEscapedAndTheVoteForms() {
        final Detail d = detail(summary("c-1", true));
        final String page =
                Pages.render(new CardPage(VIEWER, d, JsonText.pretty(d.arguments()), "Refused: " + EVIL, NOW));
        assertInert(page);
        for (final String label : List.of(
                "asked ",
                "step ",
                "because ",
                "alt ",
                "outcome ",
                "risk ",
                "12.5 EUR ",
                "crm ",
                "support ",
                "conflict ",
                "reason ",
                "rule ",
                "trigger ",
                "bob ",
                "wrong customer ",
                "Refused: ")) {
            assertThat(page).as(label).contains(label + EVIL_ESCAPED);
        }
        assertThat(page)
                .contains("&quot;body&quot; : &quot;&lt;script&gt;window.__pwned=1&lt;/script&gt;")
                .contains("RETRIEVED (low trust)")
                .contains("id=\"approve\"")
                .contains("id=\"reject-reason\" rows=\"3\" required")
                .contains("id=\"modified-args\"")
                .contains("name=\"requestVersion\" value=\"0\"")
                .contains("name=\"stageIndex\" value=\"0\"")
                .contains("action=\"/ui/requests/c-1/vote\"")
                .contains("<dt>Approved</dt><dd>3</dd>")
                .contains("id=\"similar-rejections\"")
                .contains("2029-12-31T09:00:00Z");
    }

    @Test
    void shouldRenderSpotChecksApartFromTheInboxWithEveryValueEscapedAndTheAnswerForms() {
        final SpotCheckSummary s = new SpotCheckSummary(
                "s\"1<",
                "agent " + EVIL,
                "carol " + EVIL,
                "fs.write " + EVIL,
                "fs " + EVIL,
                "target " + EVIL,
                "REVERSIBLE_WRITE",
                0.1,
                List.of("rule-a " + EVIL),
                "classifier:rule-a " + EVIL,
                "v7 " + EVIL,
                0.05,
                "rule-a",
                "Sampled at " + EVIL,
                "finance",
                NOW.toString(),
                NOW.toString(),
                true,
                null);
        final String list = Pages.render(new SpotChecksPage(VIEWER, List.of(s), "Answered " + EVIL));
        assertInert(list);
        assertThat(list)
                .contains("Spot checks: should these have been auto-approved?")
                .contains("fs.write " + EVIL_ESCAPED)
                .contains("Answered " + EVIL_ESCAPED)
                .contains("href=\"/ui/spot-checks/s%221%3C\"");
        final SpotCheckDetail d = new SpotCheckDetail(
                s,
                "{\"x\":\"" + EVIL.replace("\"", "'") + "\"}",
                "asked " + EVIL,
                List.of("step " + EVIL),
                "because " + EVIL,
                List.of(),
                "outcome " + EVIL,
                List.of("risk " + EVIL),
                null,
                List.of(),
                "USER",
                null,
                List.of("reason " + EVIL),
                List.of("rule-a"),
                List.of("trigger " + EVIL),
                "STANDARD");
        final String card =
                Pages.render(new SpotCheckPage(VIEWER, d, JsonText.pretty(d.arguments()), "Refused: " + EVIL, NOW));
        assertInert(card);
        for (final String label : List.of(
                "asked ",
                "because ",
                "outcome ",
                "risk ",
                "reason ",
                "trigger ",
                "rule-a ",
                "Sampled at ",
                "Refused: ")) {
            assertThat(card).as(label).contains(label + EVIL_ESCAPED);
        }
        assertThat(card)
                .contains("action=\"/ui/spot-checks/s%221%3C/answer\"")
                .contains("name=\"verdict\" value=\"RIGHTLY_AUTO_APPROVED\"")
                .contains("name=\"verdict\" value=\"SHOULD_HAVE_ASKED\"")
                .contains("id=\"should-have-asked-reason\" rows=\"3\" required")
                .contains("value=\"csrf-token&quot;x\"")
                .contains("has already run");
        final String refused = Pages.render(new SpotCheckPage(
                VIEWER,
                new SpotCheckDetail(
                        new SpotCheckSummary(
                                "s-2",
                                "a",
                                "reviewer",
                                "t",
                                null,
                                null,
                                "READ_ONLY",
                                0,
                                List.of(),
                                "c",
                                "v",
                                1,
                                null,
                                "x",
                                "finance",
                                NOW.toString(),
                                NOW.toString(),
                                false,
                                "done on your behalf"),
                        "{}",
                        null,
                        List.of(),
                        null,
                        List.of(),
                        null,
                        List.of(),
                        null,
                        List.of(),
                        "USER",
                        null,
                        List.of(),
                        List.of(),
                        List.of(),
                        "STANDARD"),
                "{}",
                null,
                NOW));
        assertThat(refused).contains("id=\"cannot-answer\"").doesNotContain("/answer\"");
    }

    @Test
    void shouldMarkAModifiedVersionAsAskedAgainWithTheModifierTheReasonAndEveryChangeEscaped() {
        final Summary s = summary("m-1", true, null, 2, "senior " + EVIL);
        final Detail d = modifiedDetail(s);
        final String page = Pages.render(new CardPage(VIEWER, d, JsonText.pretty(d.arguments()), 1, null, NOW));
        assertInert(page);
        final String escapedInJson = EVIL_ESCAPED.replace("&quot;", "&#39;");
        assertThat(page)
                .contains(
                        "Modified by <span id=\"modified-by\">senior " + EVIL_ESCAPED + "</span> — you are asked again")
                .contains("<p id=\"modification-reason\">tightened " + EVIL_ESCAPED + "</p>")
                .contains("Your vote on version 1 no longer counts.")
                .contains("Arguments to approve (version 2)")
                .contains("DROP TABLE invoices")
                .contains("<code class=\"path\">/sql</code>")
                .contains("<td class=\"after\"><code>&quot;before " + escapedInJson + "&quot;</code></td>")
                .contains("data-path=\"/path " + EVIL_ESCAPED + "\"")
                .contains("<td class=\"before\"><span class=\"muted\">—</span></td>")
                .contains("<tr class=\"change removed\" data-path=\"/gone\">")
                .contains("UPDATE invoices SET note=&#39;x&#39; WHERE id=7")
                .contains("name=\"actionVersion\" value=\"2\"")
                .contains("name=\"argumentsHash\" value=\"hash-of-version-2\"")
                .contains(">Approve version 2</button>");

        final String inbox = Pages.render(new InboxPage(VIEWER, List.of(s), Set.of(), null, NOW));
        assertInert(inbox);
        assertThat(inbox)
                .contains("data-version=\"2\"")
                .contains(
                        "<span class=\"tag warn modified\">modified by senior " + EVIL_ESCAPED + " · version 2</span>");
    }

    @Test
    void shouldShowNoModificationOnTheAgentsOwnProposal() {
        final Detail d = detail(summary("c-3", true));
        final String page = Pages.render(new CardPage(VIEWER, d, d.arguments(), null, NOW));
        assertThat(page)
                .doesNotContain("id=\"modification\"")
                .contains("name=\"actionVersion\" value=\"0\"")
                .contains("name=\"argumentsHash\" value=\"hash-0\"")
                .contains(">Approve</button>");
    }

    @Test
    void shouldHideTheVoteButtonsAndSayWhyOnTheReviewersOwnBehalf() {
        final Detail d = detail(summary("c-2", false));
        final String page = Pages.render(new CardPage(VIEWER, d, d.arguments(), null, NOW));
        assertInert(page);
        assertThat(page)
                .contains("id=\"cannot-vote\"")
                .contains("done on your behalf")
                .doesNotContain("id=\"approve\"")
                .doesNotContain("name=\"verdict\"");
    }

    @Test
    void shouldRenderTheSignInAndErrorPagesEscaped() {
        final String login =
                Pages.render(new SignInPage("Wrong " + EVIL, "bob" + EVIL, "tok", "/ui/requests/x", List.of(), true));
        assertInert(login);
        assertThat(login)
                .contains("Wrong " + EVIL_ESCAPED)
                .contains("value=\"bob" + EVIL_ESCAPED + "\"")
                .contains("name=\"_csrf\" value=\"tok\"")
                .contains("name=\"next\" value=\"/ui/requests/x\"")
                .doesNotContain("sign-out")
                .doesNotContain("id=\"providers\"");
        final String error = Pages.render(new ErrorPage(VIEWER, "No " + EVIL, "Detail " + EVIL));
        assertInert(error);
        assertThat(error).contains("No " + EVIL_ESCAPED).contains("Detail " + EVIL_ESCAPED);
    }

    @Test
    void shouldOfferEachConfiguredIdentityProviderOnTheSignInPage() {
        final String login = Pages.render(new SignInPage(
                null, null, "tok", null, List.of(new SignInProvider("corp idp/../x", "Corp " + EVIL)), true));
        assertInert(login);
        assertThat(login)
                .contains("href=\"/oauth/login/corp%20idp%2F..%2Fx\"")
                .contains("Sign in with Corp " + EVIL_ESCAPED)
                .contains("Or with a password")
                .contains("id=\"sign-in\"")
                .contains("value=\"\"");
    }

    @Test
    void shouldOfferOnlyTheProviderWhereNoLocalAccountsExist() {
        final String login = Pages.render(
                new SignInPage(null, null, "tok", null, List.of(new SignInProvider("sso", "Keycloak")), false));
        assertInert(login);
        assertThat(login)
                .contains("id=\"sign-in-with-sso\" href=\"/oauth/login/sso\"")
                .doesNotContain("<form")
                .doesNotContain("password")
                .doesNotContain("id=\"no-sign-in\"");
        assertThat(Pages.render(new SignInPage(null, null, "tok", null, List.of(), false)))
                .contains("id=\"no-sign-in\"")
                .doesNotContain("<form");
    }

    @Test
    void shouldRenderTheSingleSignOnStepPageWithItsTargetAsAnEscapedRefreshOnly() {
        final String page = Pages.render(new ContinuePage(
                "Signing out " + EVIL,
                "Now " + EVIL,
                "https://idp.example/logout?id_token_hint=a.b.c&client_id=x\"><script>alert(1)</script>"));
        assertInert(page);
        assertThat(page)
                .contains("<meta http-equiv=\"refresh\" content=\"0;url=https://idp.example/logout?id_token_hint=a.b.c"
                        + "&amp;client_id=x&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">")
                .contains("Now " + EVIL_ESCAPED)
                .doesNotContain("sign-out")
                .doesNotContain("href=\"https:");
        assertThat(Pages.render(new SignInPage(null, null, "tok", null, List.of(), true)))
                .doesNotContain("http-equiv");
    }

    @Test
    void shouldRenderTheFatiguePageEscapedWithTheRubberStampingFlag() {
        final String page = Pages.render(new FatiguePage(
                VIEWER,
                List.of(
                        new Fatigue.Signals("stamper " + EVIL, 12, 10, Duration.ofMillis(1_200), 1.0, true),
                        new Fatigue.Signals("careful", 0, 0, null, 0, false))));
        assertInert(page);
        assertThat(page)
                .contains("<tr data-reviewer=\"stamper " + EVIL_ESCAPED + "\"><td>stamper " + EVIL_ESCAPED + "</td>")
                .contains("<td class=\"median\">1.2 s</td>")
                .contains("<td class=\"approve-rate\">100%</td>")
                .contains("possible rubber-stamping")
                .contains("<td class=\"approve-rate\">—</td>")
                .doesNotContain("No votes yet.");
        assertThat(Pages.render(new FatiguePage(VIEWER, List.of()))).contains("No votes yet.");
    }

    @Test
    void shouldCountDownAndColourRiskClasses() {
        assertThat(Format.remaining(NOW.plusSeconds(3725).toString(), NOW)).isEqualTo("1h 02m left");
        assertThat(Format.remaining(NOW.plusSeconds(65).toString(), NOW)).isEqualTo("1:05 left");
        assertThat(Format.remaining(NOW.minusSeconds(1).toString(), NOW)).isEqualTo("overdue");
        assertThat(Format.riskCss("READ_ONLY")).isEqualTo("risk-low");
        assertThat(Format.riskCss("REVERSIBLE_WRITE")).isEqualTo("risk-medium");
        assertThat(Format.riskCss("IRREVERSIBLE")).isEqualTo("risk-high");
        assertThat(Format.riskCss("SOMETHING_NEW")).isEqualTo("risk-high");
    }
}
