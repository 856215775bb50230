package dev.hitl.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The default policy moved from java.util.regex to RE2 (no look-around; other {@code \s}, {@code $},
 * {@code \b} and {@code .}). Its guardrails must still catch everything they caught: on generated
 * texts made of SQL words, separators (vertical tab, tabs, line breaks, comments, semicolons) and
 * identifiers around WHERE, each rule that matched under the former Java patterns still matches,
 * and the read-only rule matches nothing it did not match before.
 */
class DefaultPolicyParityTest {

    private static final PolicyEvaluator EVALUATOR = new PolicyEvaluator(DefaultPolicy.load());
    private static final ObjectMapper JSON = new ObjectMapper();

    // The default policy's patterns as they were with java.util.regex (version 2026-11-28.1)
    private static final Pattern OLD_SELECT = Pattern.compile("(?is)^\\s*(select|with|explain|show)\\b");
    private static final Pattern OLD_WRITE_WORD =
            Pattern.compile("(?is)\\b(insert|update|delete|merge|drop|truncate|alter|create|grant|revoke)\\b");
    private static final Pattern OLD_DROP =
            Pattern.compile("(?is)\\b(drop|truncate)\\s+(table|database|schema)\\b|\\btruncate\\b");
    private static final Pattern OLD_DELETE_WITHOUT_WHERE = Pattern.compile(
            "(?is)(?<!\\b(for|key|do)\\s{1,20})\\b(delete\\s+from|update)\\b(?:(?!\\bwhere\\b)[^;])*(;|$)");
    private static final Pattern OLD_SYSTEM_PATH = Pattern.compile(
            "^/+(etc|usr|bin|sbin|boot|lib|lib64|var/lib|sys|proc|dev)(/|$)|^/+(home|root|var|opt|srv)?/*$"
                    + "|^~?/*\\*|^~/*$|\\.\\.|/\\.(/|$)");
    private static final Pattern OLD_PRODUCTION = Pattern.compile("(?i)^\\s*prod(uction)?([-_.].*)?\\s*$");

    private static final String[] SQL_WORDS = {
        "DELETE",
        "delete",
        "DeLeTe",
        "FROM",
        "from",
        "UPDATE",
        "update",
        "uPdAtE",
        "WHERE",
        "where",
        "WhErE",
        "FOR",
        "for",
        "KEY",
        "key",
        "DO",
        "do",
        "NO",
        "SELECT",
        "select",
        "WITH",
        "EXPLAIN",
        "show",
        "DROP",
        "drop",
        "TABLE",
        "table",
        "TRUNCATE",
        "truncate",
        "DATABASE",
        "schema",
        "INSERT",
        "INTO",
        "ON",
        "CONFLICT",
        "DUPLICATE",
        "SET",
        "users",
        "t",
        "a = 1",
        "id = 7",
        "(",
        ")",
        "'x'",
        "\"where\"",
        "éwhere",
        "where$x",
        "where_x",
        "_where",
        "xwhere",
        "whereé",
        "before",
        "undo",
        "fork",
        "monkey",
        "or",
        "r",
        "y",
        "o",
        "ey",
        "1",
        ";",
        "/* c */",
        "/* where */",
        "-- c\n",
        "# c\n",
        "SKIP LOCKED",
        "é",
        "\u00a0",
        "$",
        "selecté"
    };
    private static final String[] SQL_SEPARATORS = {
        " ", "", "\t", "\n", "\r\n", "\u000b", "\f", "  ", "\u00a0", "\u2028", ";", "/**/", "(", ")", ","
    };
    private static final String[] PATH_PIECES = {
        "/", "//", "etc", "usr", "bin", "var", "lib", "var/lib", "home", "root", "opt", "~", "*", ".", "..", "a",
        "alice", "\n", "\r\n", "\r", " ", "\t", "\u2028", "\u2029", "\u0085", "\u000b", "etcx", "lib64", "dev"
    };
    private static final String[] ENVIRONMENT_PIECES = {
        "prod",
        "production",
        "PROD",
        "Prod",
        "-",
        "_",
        ".",
        "eu",
        "x",
        " ",
        "\t",
        "\n",
        "\r",
        "\u2028",
        "\u0085",
        "\u000b",
        "prodx"
    };

    private static ProposedAction action(final String actionType, final String field, final String text) {
        return ProposedAction.newBuilder()
                .setActionId("a-1")
                .setAgentId("agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType(actionType)
                .setTool("tool")
                .setArguments(JSON.createObjectNode().put(field, text).toString())
                .setConfidence(0.9)
                .setSystemsAffected(List.of("crm"))
                .setInputTrust(InputTrust.USER)
                .setProposedAt(Instant.parse("2026-11-28T10:15:30Z"))
                .build();
    }

    private static List<String> matchedRules(final String actionType, final String field, final String text) {
        return EVALUATOR
                .evaluate(action(actionType, field, text), Optional.empty())
                .matchedRules();
    }

    private static String sql(final Random random) {
        final StringBuilder text = new StringBuilder();
        for (int n = 1 + random.nextInt(10); n > 0; n--) {
            text.append(SQL_WORDS[random.nextInt(SQL_WORDS.length)]);
            text.append(SQL_SEPARATORS[random.nextInt(SQL_SEPARATORS.length)]);
        }
        return text.toString();
    }

    private static String pieces(final Random random, final String[] pieces, final int most) {
        final StringBuilder text = new StringBuilder();
        for (int n = 1 + random.nextInt(most); n > 0; n--) {
            text.append(pieces[random.nextInt(pieces.length)]);
        }
        return text.toString();
    }

    @Test
    void shouldStillCatchEverySqlStatementTheJavaPatternsCaughtAndReadNothingNew() {
        // given
        final Random random = new Random(20261204);
        final List<String> missed = new ArrayList<>();
        int dropped = 0;
        int unbounded = 0;

        // when
        for (int i = 0; i < 20_000; i++) {
            final String sql = sql(random);
            final List<String> rules = matchedRules("db.execute", "sql", sql);
            if (OLD_DROP.matcher(sql).find()) {
                dropped++;
                if (!rules.contains("sql.drop-or-truncate")) {
                    missed.add("sql.drop-or-truncate: " + JSON.valueToTree(sql));
                }
            }
            if (OLD_DELETE_WITHOUT_WHERE.matcher(sql).find()) {
                unbounded++;
                if (!rules.contains("sql.delete-without-where")) {
                    missed.add("sql.delete-without-where: " + JSON.valueToTree(sql));
                }
            }
            final boolean oldSelect = OLD_SELECT.matcher(sql).find()
                    && !OLD_WRITE_WORD.matcher(sql).find();
            if (rules.contains("sql.select") && !oldSelect) {
                missed.add("sql.select matches what it did not: " + JSON.valueToTree(sql));
            }
        }

        // then: the corpus exercised both guardrails, and neither lost a case
        assertThat(dropped).isGreaterThan(1_000);
        assertThat(unbounded).isGreaterThan(1_000);
        assertThat(missed).isEmpty();
    }

    @Test
    void shouldStillBlockEverySystemPathTheJavaPatternBlocked() {
        // given
        final Random random = new Random(20261205);
        final List<String> missed = new ArrayList<>();
        int blocked = 0;

        // when
        for (int i = 0; i < 20_000; i++) {
            final String path = pieces(random, PATH_PIECES, 6);
            if (OLD_SYSTEM_PATH.matcher(path).find()) {
                blocked++;
                if (!matchedRules("file.delete", "path", path).contains("files.delete-system-paths")) {
                    missed.add(JSON.valueToTree(path).toString());
                }
            }
        }

        // then
        assertThat(blocked).isGreaterThan(1_000);
        assertThat(missed).isEmpty();
    }

    @Test
    void shouldStillTakeEveryEnvironmentTheJavaPatternTookForProduction() {
        // given
        final Random random = new Random(20261206);
        final List<String> missed = new ArrayList<>();
        int production = 0;

        // when
        for (int i = 0; i < 5_000; i++) {
            final String environment = pieces(random, ENVIRONMENT_PIECES, 5);
            if (OLD_PRODUCTION.matcher(environment).find()) {
                production++;
                if (!matchedRules("deploy.service", "environment", environment).contains("deploy.production")) {
                    missed.add(JSON.valueToTree(environment).toString());
                }
            }
        }

        // then
        assertThat(production).isGreaterThan(250);
        assertThat(missed).isEmpty();
    }
}
