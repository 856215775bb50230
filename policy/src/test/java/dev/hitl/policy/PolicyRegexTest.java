package dev.hitl.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.re2j.Pattern;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The policy's patterns run on RE2/J: linear in the text whatever the pattern. The timeout only
 * keeps a regression from hanging the build (with java.util.regex the catastrophic cases below take
 * longer than the age of the universe); every test asserts results, not durations.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PolicyRegexTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A policy with one rule: the given argument condition on field {@code text} blocks. */
    private static PolicyEvaluator policyBlocking(final String condition) throws PolicyException {
        return new PolicyEvaluator(PolicyParser.parse("""
                name: regex
                version: "1"
                defaults: {riskClass: IRREVERSIBLE, route: standard}
                thresholds: {autoApproveMaxScore: 0.3}
                scoring:
                  base: {READ_ONLY: 0.05, REVERSIBLE_WRITE: 0.2, IRREVERSIBLE: 0.6}
                rules:
                  - id: pattern
                    match:
                      arguments:
                        - %s
                    block: matched
                routes:
                  standard: {stages: [{group: reviewers}], deadline: PT30M}
                autonomy: {window: 20, promoteAfterApprovals: 10, promoteMaxRejectionRate: 0.05,
                           demoteAboveRejectionRate: 0.25}
                """.formatted(condition)));
    }

    private static Evaluation evaluate(final PolicyEvaluator evaluator, final String actionType, final String text) {
        return evaluator.evaluate(
                ProposedAction.newBuilder()
                        .setActionId("a-1")
                        .setAgentId("agent-1")
                        .setOnBehalfOf("alice@example.com")
                        .setActionType(actionType)
                        .setTool("tool")
                        .setArguments(JSON.createObjectNode().put("text", text).toString())
                        .setConfidence(0.9)
                        .setSystemsAffected(List.of("crm"))
                        .setInputTrust(InputTrust.USER)
                        .setProposedAt(Instant.parse("2026-11-28T10:15:30Z"))
                        .build(),
                Optional.empty());
    }

    @ParameterizedTest(name = "{0} on {1} × ''{2}'' + ''{3}''")
    @CsvSource({
        "'(a+)+$', 50, a, !",
        "'(a+)+$', 100000, a, !",
        "'^(a|a)*$', 100000, a, !",
        "'(x+x+)+y', 100000, x, z",
        "'(.*a){20}', 100000, b, b",
        "'^(\\w+\\s?)*$', 100000, 'ab ', '#'"
    })
    void shouldAnswerACatastrophicBacktrackingPatternOnACraftedArgument(
            final String regex, final int count, final String unit, final String tail) throws Exception {
        // given: a pattern that backtracks exponentially in java.util.regex, and the argument that
        // makes it do so
        final PolicyEvaluator evaluator = policyBlocking("{field: text, matches: '" + regex + "'}");
        final String text = unit.repeat(count) + tail;

        // when
        final Evaluation evaluation = evaluate(evaluator, "db.execute", text);

        // then: the answer, and it is "no match"
        assertThat(evaluation.matchedRules()).isEmpty();
        assertThat(evaluation.blockedBy()).isEmpty();
    }

    @Test
    void shouldStillMatchWithACatastrophicPatternWhenTheTextMatches() throws Exception {
        // given
        final PolicyEvaluator evaluator = policyBlocking("{field: text, matches: '(a+)+$'}");

        // when
        final Evaluation evaluation = evaluate(evaluator, "db.execute", "a".repeat(50));

        // then
        assertThat(evaluation.blockedBy()).map(Policy.Rule::id).contains("pattern");
    }

    @Test
    void shouldAnswerAStatementConditionOnManyStatementsAndMatches() throws Exception {
        // given: a hundred thousand statements, each with a match and a WHERE
        final PolicyEvaluator evaluator =
                policyBlocking("{field: text, statement: {matches: '(a+)+$', notFollowedBy: where}}");
        final String text = "aaaa where;".repeat(100_000) + "a".repeat(50) + "!";

        // when
        final Evaluation evaluation = evaluate(evaluator, "db.execute", text);

        // then
        assertThat(evaluation.blockedBy()).isEmpty();
    }

    @Test
    void shouldMatchAQuestionMarkGlobOnACraftedNameWithoutBacktracking() {
        // given: a glob with a '?' runs on RE2/J; a name of 100000 'a's that almost matches
        final Glob glob = Glob.of("*a*a*a*a*a*a*a*a?b");

        // when / then
        assertThat(glob.matches("a".repeat(100_000))).isFalse();
        assertThat(glob.matches("a".repeat(100_000) + "b")).isTrue();
        assertThat(Glob.of("a?b").matches("a\nb")).isTrue();
    }

    @Test
    void shouldNotHangMatchingCaseInsensitivelyATextWithCharactersRe2jCannotFold() {
        // given: U+1C80..U+1C88 are the characters RE2/J's tables cannot case-fold on this JVM; in
        // a pattern they are refused, in the agent's text they must be harmless
        final Pattern pattern = PolicyRegex.compile("(?i)\\bupdate\\b|(?i)é");

        // when / then
        assertThat(pattern.matcher("\u1c80\u1c81 UPDATE \u1c88").find()).isTrue();
        assertThat(pattern.matcher("\u1c80\u1c81\u1c88".repeat(10_000)).find()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "(?i)\u1c80",
                "(?i)x\u1c88",
                "(?i)\\x{1c80}",
                "(?i)\\x{1C84}",
                "(?i)[\u1c80]",
                "(?i)[\\x{80}-\\x{10FFFF}]",
                "(?i)[^\\w$\\x{80}-\\x{10FFFF}]",
                "(?i)\\Q\u1c82\\E",
                "(?i:a|[\u1c00-\u1cff])",
                "a(?i)b(c\u1c80)",
                "(?is-m)\u1c80"
            })
    void shouldRefuseACaseInsensitivePatternRe2jWouldNeverFinishCompiling(final String regex) {
        assertThatThrownBy(() -> PolicyRegex.compile(regex))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("case-insensitively");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "\u1c80",
                "[\\x{80}-\\x{10FFFF}]",
                "(?i:where)[^\\w$\\x{80}-\\x{10FFFF}]",
                "(?i)where(?-i)[\u1c80-\u1c88]",
                "(?i)(?:a)[b](c)\\)(?-i:\u1c80)",
                "(?i)\\pL\\p{Cyrillic}[\\p{Greek}]",
                "(?i)[\\x{0}-\\x{7F}]",
                "(?P<i>\u1c80)",
                "[(?i)]\u1c80"
            })
    void shouldCompileAPatternThatDoesNotCaseFoldThoseCharacters(final String regex) {
        // if the check let a hanging pattern through, the class timeout would fail this test
        assertThatCode(() -> PolicyRegex.compile(regex)).doesNotThrowAnyException();
    }

    @Test
    void shouldDocumentWhyTheDefaultPolicyWritesPosixSpaceAndItsOwnEndOfText() {
        // RE2's \s has no vertical tab (Java's had); [[:space:]] is exactly Java's \s
        assertThat(Pattern.compile("DROP\\s+TABLE").matcher("DROP\u000bTABLE").find())
                .isFalse();
        assertThat(Pattern.compile("DROP[[:space:]]+TABLE")
                        .matcher("DROP\u000bTABLE")
                        .find())
                .isTrue();
        assertThat(java.util.regex.Pattern.compile("DROP\\s+TABLE")
                        .matcher("DROP\u000bTABLE")
                        .find())
                .isTrue();
        // RE2's $ is the end of the text; Java's also matched before a final line break
        assertThat(Pattern.compile("^/etc$").matcher("/etc\n").find()).isFalse();
        assertThat(java.util.regex.Pattern.compile("^/etc$").matcher("/etc\n").find())
                .isTrue();
        // RE2's \b is ASCII: a letter like é is outside a word (Java 17 counted it in)
        assertThat(Pattern.compile("\\bwhere\\b").matcher("éwhere").find()).isTrue();
        assertThat(java.util.regex.Pattern.compile("\\bwhere\\b")
                        .matcher("éwhere")
                        .find())
                .isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "a match, no notFollowedBy                     | delete             |       | true",
                "no match                                      | select 1           |       | false",
                "a match with the other pattern after it       | delete where       | where | false",
                "the other pattern only before the match       | where delete       | where | true",
                "the last of several matches is not followed   | delete where delete| where | true",
                "only an earlier statement has the other       | x where; delete    | where | true",
                "only a later statement has the other          | delete; where      | where | true",
                "a match across a semicolon does not count     | del;ete            |       | false",
                "an empty-matching notFollowedBy, at the end   | delete             | x*    | false",
                "an empty-matching notFollowedBy, before       | deletex            | x*    | false"
            })
    void shouldHoldWhenSomeStatementHasAMatchNothingFollows(
            final String description, final String text, final String notFollowedBy, final boolean expected) {
        // given
        final Policy.ArgumentPredicate.Statement predicate = new Policy.ArgumentPredicate.Statement(
                "/text",
                Pattern.compile("delete"),
                Optional.ofNullable(notFollowedBy).map(Pattern::compile));

        // when
        final boolean holds =
                PolicyEvaluator.holds(predicate, JSON.createObjectNode().put("text", text));

        // then
        assertThat(holds).as(description).isEqualTo(expected);
    }

    @Test
    void shouldNotHoldAStatementConditionOnAMissingField() {
        // given
        final Policy.ArgumentPredicate.Statement predicate =
                new Policy.ArgumentPredicate.Statement("/text", Pattern.compile(".*"), Optional.empty());

        // when / then
        assertThat(PolicyEvaluator.holds(predicate, JSON.createObjectNode())).isFalse();
        assertThat(PolicyEvaluator.holds(predicate, JSON.createObjectNode().putNull("text")))
                .isFalse();
    }
}
