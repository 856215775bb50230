package dev.hitl.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.hitl.policy.PolicyException.Problem;
import dev.hitl.schemas.ApprovalMode;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.OnTimeout;
import dev.hitl.schemas.RiskClass;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PolicyParserTest {

    /**
     * A small valid policy. The malformed documents below change one of its lines; the line
     * numbers in the table refer to these lines.
     */
    private static final String MINIMAL = """
            name: test
            version: "1"
            defaults:
              riskClass: IRREVERSIBLE
              route: standard
            thresholds:
              autoApproveMaxScore: 0.35
              lowTrustAutoApproveMaxScore: 0.2
            scoring:
              base: {READ_ONLY: 0.05, REVERSIBLE_WRITE: 0.2, IRREVERSIBLE: 0.6}
              costSteps: [{above: 100, add: 0.1}]
            rules:
              - id: search
                match: {actionType: ["search.*"]}
                riskClass: READ_ONLY
                reason: Reads only.
            routes:
              standard:
                stages: [{group: reviewers, quorum: 1}]
                deadline: PT30M
                onTimeout: ESCALATE
                escalateTo: senior
              senior:
                stages: [{group: seniors}]
                deadline: PT1H
            triggers:
              - {id: big, when: COST_ABOVE, threshold: 1000, effect: RAISE_TIER}
            autonomy:
              window: 20
              promoteAfterApprovals: 10
              promoteMaxRejectionRate: 0.05
              demoteAboveRejectionRate: 0.25
            agents:
              "billing-*": {domains: [billing]}
            """;

    /** @return MINIMAL with its 1-based line {@code line} replaced by {@code text} (which may span lines) */
    private static String withLine(final int line, final String text) {
        final List<String> lines = new ArrayList<>(Arrays.asList(MINIMAL.split("\n", -1)));
        lines.set(line - 1, text);
        return String.join("\n", lines);
    }

    /** @return MINIMAL with its first rule matching db.* and one argument condition, in flow style */
    private static String withArgument(final String condition) {
        return withLine(14, "    match: {actionType: [\"db.*\"], arguments: [" + condition + "]}");
    }

    private static PolicyException refusal(final String yaml) {
        final PolicyException refused = catchThrowableOfType(PolicyException.class, () -> PolicyParser.parse(yaml));
        assertThat(refused).as("the document should be refused").isNotNull();
        return refused;
    }

    private static String billionLaughs() {
        final StringBuilder yaml = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int level = 1; level <= 9; level++) {
            yaml.append('a').append(level).append(": &a").append(level).append(" [");
            for (int i = 0; i < 9; i++) {
                yaml.append(i == 0 ? "" : ", ").append("*a").append(level - 1);
            }
            yaml.append("]\n");
        }
        return yaml.toString();
    }

    static Stream<Arguments> malformedDocuments() {
        return Stream.of(
                Arguments.of("invalid YAML syntax", withLine(16, "    reason: Reads: only"), 16, "", "not valid YAML"),
                Arguments.of(
                        "a tab in the indentation",
                        withLine(15, "\triskClass: READ_ONLY"),
                        15,
                        "",
                        "cannot start any token"),
                Arguments.of("an empty document", "", 0, "", "the policy document is empty"),
                Arguments.of("only comments", "# nothing here\n", 0, "", "the policy document is empty"),
                Arguments.of("a list instead of a mapping", "- name\n- version\n", 1, "", "a mapping of sections"),
                Arguments.of(
                        "two documents in one", MINIMAL + "---\nname: other\n", 35, "", "expected a single document"),
                Arguments.of(
                        "a missing required section",
                        withLine(1, "description: no name"),
                        1,
                        "name",
                        "required field 'name' is missing"),
                Arguments.of(
                        "a missing required field",
                        withLine(25, "    tier: senior"),
                        24,
                        "routes.senior.deadline",
                        "required field 'deadline' is missing"),
                Arguments.of(
                        "an unknown field",
                        withLine(16, "    reasn: Reads only."),
                        16,
                        "rules[0].reasn",
                        "unknown field 'reasn'; did you mean 'reason'?"),
                Arguments.of(
                        "text where a number belongs",
                        withLine(7, "  autoApproveMaxScore: high"),
                        7,
                        "thresholds.autoApproveMaxScore",
                        "must be a number, found 'high'"),
                Arguments.of(
                        "a list where a single value belongs",
                        withLine(5, "  route: [standard]"),
                        5,
                        "defaults.route",
                        "expected a single value, found a list"),
                Arguments.of(
                        "a word where true or false belongs",
                        withLine(15, "    promotable: yes"),
                        15,
                        "rules[0].promotable",
                        "must be true or false, found 'yes'"),
                Arguments.of(
                        "a score above 1",
                        withLine(10, "  base: {READ_ONLY: 1.5, REVERSIBLE_WRITE: 0.2, IRREVERSIBLE: 0.6}"),
                        10,
                        "scoring.base.READ_ONLY",
                        "must be a number from 0.0 to 1.0, found 1.5"),
                Arguments.of(
                        "a negative scoreAdd",
                        withLine(16, "    scoreAdd: -0.1"),
                        16,
                        "rules[0].scoreAdd",
                        "must be a number from 0.0 to 1.0, found -0.1"),
                Arguments.of(
                        "a negative cost step",
                        withLine(11, "  costSteps: [{above: -100, add: 0.1}]"),
                        11,
                        "scoring.costSteps[0].above",
                        "must be at least zero, found -100"),
                Arguments.of(
                        "a negative costAbove",
                        withLine(14, "    match: {actionType: [\"search.*\"], costAbove: -5}"),
                        14,
                        "rules[0].match.costAbove",
                        "must be at least zero, found -5"),
                Arguments.of(
                        "a base score missing for a risk class",
                        withLine(10, "  base: {READ_ONLY: 0.05, IRREVERSIBLE: 0.6}"),
                        10,
                        "scoring.base",
                        "needs a base score for REVERSIBLE_WRITE"),
                Arguments.of(
                        "a duplicate key in a mapping read twice",
                        withLine(
                                10,
                                "  base: {READ_ONLY: 0.05, READ_ONLY: 0.1, REVERSIBLE_WRITE: 0.2, IRREVERSIBLE: 0.6}"),
                        10,
                        "scoring.base.READ_ONLY",
                        "duplicate key 'READ_ONLY'"),
                Arguments.of(
                        "an unknown risk class",
                        withLine(15, "    riskClass: IRREVERSABLE"),
                        15,
                        "rules[0].riskClass",
                        "'IRREVERSABLE' is not one of READ_ONLY, REVERSIBLE_WRITE, IRREVERSIBLE;"
                                + " did you mean 'IRREVERSIBLE'?"),
                Arguments.of(
                        "an unknown input trust",
                        withLine(14, "    match: {actionType: [\"search.*\"], inputTrust: [USER, WEB]}"),
                        14,
                        "rules[0].match.inputTrust[1]",
                        "'WEB' is not one of USER, INTERNAL, RETRIEVED, TOOL_OUTPUT, UNKNOWN"),
                Arguments.of(
                        "an unknown trigger kind",
                        withLine(27, "  - {id: big, when: COST_ABOVES, threshold: 1000, effect: RAISE_TIER}"),
                        27,
                        "triggers[0].when",
                        "did you mean 'COST_ABOVE'?"),
                Arguments.of(
                        "an invalid regular expression",
                        withLine(
                                14,
                                "    match: {actionType: [\"db.*\"], arguments: [{field: sql, matches: \"(select\"}]}"),
                        14,
                        "rules[0].match.arguments[0].matches",
                        "not a valid RE2 regular expression: missing closing ) at `(select` in '(select'"),
                Arguments.of(
                        "a backreference, which needs backtracking",
                        withArgument("{field: sql, matches: '(drop)\\s+\\1'}"),
                        14,
                        "rules[0].match.arguments[0].matches",
                        "backreferences are not supported"),
                Arguments.of(
                        "a look-behind (the old default policy's sql.delete-without-where)",
                        withArgument("{field: sql, matches: '(?<!\\b(for|key|do)\\s{1,20})\\bupdate\\b'}"),
                        14,
                        "rules[0].match.arguments[0].matches",
                        "look-ahead and look-behind are not supported"),
                Arguments.of(
                        "a negative look-ahead in notMatches",
                        withArgument("{field: sql, notMatches: '(?!.*where).*'}"),
                        14,
                        "rules[0].match.arguments[0].notMatches",
                        "look-ahead and look-behind are not supported"),
                Arguments.of(
                        "a look-ahead in a statement condition",
                        withArgument("{field: sql, statement: {matches: delete, notFollowedBy: '(?=where)'}}"),
                        14,
                        "rules[0].match.arguments[0].statement.notFollowedBy",
                        "look-ahead and look-behind are not supported"),
                Arguments.of(
                        "a possessive quantifier",
                        withArgument("{field: sql, matches: 'a++b'}"),
                        14,
                        "rules[0].match.arguments[0].matches",
                        "possessive quantifiers are not supported"),
                Arguments.of(
                        "a Java class intersection, which RE2 would read as literal characters",
                        withArgument("{field: sql, matches: '[a-z&&[^aeiou]]'}"),
                        14,
                        "rules[0].match.arguments[0].matches",
                        "Java's class intersection"),
                Arguments.of(
                        "a pattern whose RE2 program is too large",
                        withArgument("{field: sql, matches: '[ab]{1,1000}c'}"),
                        14,
                        "rules[0].match.arguments[0].matches",
                        "at most " + PolicyParser.MAX_PATTERN_SIZE + " are allowed"),
                Arguments.of(
                        "a case-insensitive character RE2/J cannot fold (its compiler would never finish)",
                        withArgument("{field: sql, matches: '(?i)\u1c80'}"),
                        14,
                        "rules[0].match.arguments[0].matches",
                        "cannot match U+1C80 case-insensitively"),
                Arguments.of(
                        "a case-insensitive range over such a character",
                        withArgument("{field: sql, matches: 'x(?i:[^\\w$\\x{80}-\\x{10FFFF}])'}"),
                        14,
                        "rules[0].match.arguments[0].matches",
                        "cannot match U+1C80 case-insensitively"),
                Arguments.of(
                        "a statement condition without matches",
                        withArgument("{field: sql, statement: {notFollowedBy: where}}"),
                        14,
                        "rules[0].match.arguments[0].statement.matches",
                        "required field 'matches' is missing"),
                Arguments.of(
                        "a statement condition with an unknown key",
                        withArgument("{field: sql, statement: {matches: delete, notFollowdBy: where}}"),
                        14,
                        "rules[0].match.arguments[0].statement.notFollowdBy",
                        "did you mean 'notFollowedBy'?"),
                Arguments.of(
                        "a duration that is not ISO-8601",
                        withLine(20, "    deadline: 30m"),
                        20,
                        "routes.standard.deadline",
                        "must be an ISO-8601 duration such as PT30M or PT2H, found '30m'"),
                Arguments.of(
                        "a zero duration",
                        withLine(25, "    deadline: PT0S"),
                        25,
                        "routes.senior.deadline",
                        "must be a positive duration"),
                Arguments.of(
                        "a quorum of zero",
                        withLine(19, "    stages: [{group: reviewers, quorum: 0}]"),
                        19,
                        "routes.standard.stages[0].quorum",
                        "must be a whole number from 1 to 100, found 0"),
                Arguments.of(
                        "a default route that does not exist",
                        withLine(5, "  route: standrd"),
                        5,
                        "defaults.route",
                        "no route named 'standrd'; did you mean 'standard'?"),
                Arguments.of(
                        "a rule route that does not exist",
                        withLine(15, "    route: finance"),
                        15,
                        "rules[0].route",
                        "no route named 'finance'"),
                Arguments.of(
                        "escalateTo a route that does not exist",
                        withLine(22, "    escalateTo: seniors"),
                        22,
                        "routes.standard.escalateTo",
                        "names route 'seniors', which does not exist; did you mean 'senior'?"),
                Arguments.of(
                        "a route escalating to itself",
                        withLine(22, "    escalateTo: standard"),
                        22,
                        "routes.standard.escalateTo",
                        "escalation chain loops: standard -> standard"),
                Arguments.of(
                        "ESCALATE without escalateTo",
                        withLine(22, "    approvalValidFor: PT1H"),
                        21,
                        "routes.standard.onTimeout",
                        "escalates on timeout but names no escalateTo route"),
                Arguments.of(
                        "a duplicate rule id",
                        withLine(16, "    reason: Reads only.\n  - id: search\n    match: {}\n    scoreAdd: 0.1"),
                        17,
                        "rules[1].id",
                        "duplicate rule id 'search'"),
                Arguments.of(
                        "a duplicate key",
                        withLine(15, "    riskClass: READ_ONLY\n    riskClass: REVERSIBLE_WRITE"),
                        16,
                        "rules[0].riskClass",
                        "duplicate key 'riskClass'"),
                Arguments.of(
                        "a rule with no effect",
                        withLine(15, "    description: does nothing"),
                        13,
                        "rules[0]",
                        "rule 'search' has no effect"),
                Arguments.of(
                        "an argument condition with no operator",
                        withLine(14, "    match: {actionType: [\"db.*\"], arguments: [{field: sql}]}"),
                        14,
                        "rules[0].match.arguments[0]",
                        "an argument condition needs one of matches, notMatches, statement, in"),
                Arguments.of(
                        "a GROUP_REVIEW trigger without a group",
                        withLine(27, "  - {id: big, when: COST_ABOVE, threshold: 1000, effect: GROUP_REVIEW}"),
                        27,
                        "triggers[0].group",
                        "a GROUP_REVIEW trigger needs a group"),
                Arguments.of(
                        "a COST_ABOVE trigger without a threshold",
                        withLine(27, "  - {id: big, when: COST_ABOVE, effect: RAISE_TIER}"),
                        27,
                        "triggers[0].threshold",
                        "a COST_ABOVE trigger needs a threshold"),
                Arguments.of(
                        "a CONFIDENCE_BELOW threshold above 1",
                        withLine(27, "  - {id: unsure, when: CONFIDENCE_BELOW, threshold: 5, effect: RAISE_TIER}"),
                        27,
                        "triggers[0].threshold",
                        "a confidence is from 0 to 1, found 5"),
                Arguments.of(
                        "a threshold on a trigger that takes none",
                        withLine(27, "  - {id: odd, when: OUTSIDE_DOMAIN, threshold: 3, effect: RAISE_TIER}"),
                        27,
                        "triggers[0].threshold",
                        "a OUTSIDE_DOMAIN trigger takes no threshold"),
                Arguments.of(
                        "a low-trust threshold above the normal one",
                        withLine(8, "  lowTrustAutoApproveMaxScore: 0.5"),
                        8,
                        "thresholds.lowTrustAutoApproveMaxScore",
                        "must not be above autoApproveMaxScore (0.35)"),
                Arguments.of(
                        "promoteAfterApprovals above the window",
                        withLine(30, "  promoteAfterApprovals: 30"),
                        30,
                        "autonomy.promoteAfterApprovals",
                        "cannot exceed window (20)"),
                Arguments.of(
                        "a demotion bound below the promotion bound",
                        withLine(32, "  demoteAboveRejectionRate: 0.01"),
                        32,
                        "autonomy.demoteAboveRejectionRate",
                        "must not be below promoteMaxRejectionRate (0.05)"),
                Arguments.of(
                        "a currency that is not an ISO code",
                        withLine(11, "  currency: euro"),
                        11,
                        "scoring.currency",
                        "'euro' is not an ISO 4217 currency code"),
                Arguments.of(
                        "a document over the size limit",
                        MINIMAL + "# " + "x".repeat(PolicyParser.MAX_DOCUMENT_CHARS) + "\n",
                        0,
                        "",
                        "larger than 1000000 characters"),
                Arguments.of("a YAML alias bomb", billionLaughs(), 0, "", "too many aliases"));
    }

    @Test
    void shouldParseTheMinimalDocumentTheMalformedOnesAreMadeFrom() {
        // given
        final String yaml = MINIMAL;

        // when / then
        assertThatCode(() -> PolicyParser.parse(yaml)).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedDocuments")
    // a guard, not a measure: a pattern RE2/J would compile forever must fail the build, not hang it
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldRefuseAMalformedDocumentWithItsLineFieldAndAPreciseMessage(
            final String description, final String yaml, final int line, final String field, final String fragment) {
        // when
        final PolicyException refused = refusal(yaml);

        // then
        assertThat(refused.problems())
                .as("%s should be refused for exactly one reason: %s", description, refused.getMessage())
                .hasSize(1);
        final Problem problem = refused.problems().get(0);
        assertThat(problem.line()).as("line of: %s", problem).isEqualTo(line);
        assertThat(problem.field()).as("field of: %s", problem).isEqualTo(field);
        assertThat(problem.message()).as("message of: %s", problem).contains(fragment);
        assertThat(refused.getMessage()).contains("line " + line).contains(fragment);
    }

    @Test
    void shouldReportEveryProblemOfADocumentAtOnceInDocumentOrder() {
        // given: three independent mistakes in three sections (one in routes, which is read first)
        final String yaml = MINIMAL.replace("  autoApproveMaxScore: 0.35", "  autoApproveMaxScore: lots")
                .replace("    riskClass: READ_ONLY", "    riskClass: READONLY")
                .replace("    deadline: PT30M", "    deadline: soon");

        // when
        final PolicyException refused = refusal(yaml);

        // then
        assertThat(refused.problems())
                .extracting(Problem::line, Problem::field)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(7, "thresholds.autoApproveMaxScore"),
                        org.assertj.core.groups.Tuple.tuple(15, "rules[0].riskClass"),
                        org.assertj.core.groups.Tuple.tuple(20, "routes.standard.deadline"));
    }

    @Test
    void shouldReportAnEscalationLoopAtEachRouteOnItButNotAtARouteLeadingIntoIt() {
        // given: standard -> senior -> standard, and intake -> standard leading into the loop
        final String yaml = withLine(
                25,
                "    deadline: PT1H\n    onTimeout: ESCALATE\n    escalateTo: standard\n  intake:\n"
                        + "    stages: [{group: reviewers}]\n    deadline: PT5M\n    onTimeout: ESCALATE\n"
                        + "    escalateTo: standard");

        // when
        final PolicyException refused = refusal(yaml);

        // then
        assertThat(refused.problems())
                .extracting(Problem::field, Problem::line)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("routes.standard.escalateTo", 22),
                        org.assertj.core.groups.Tuple.tuple("routes.senior.escalateTo", 27));
        assertThat(refused.problems().get(0).message()).contains("standard -> senior -> standard");
        assertThat(refused.problems().get(1).message()).contains("senior -> standard -> senior");
    }

    @Test
    void shouldReadARejectionMemoryWindowAndLeaveItOffWhenAbsent() throws Exception {
        // when
        final Policy with = PolicyParser.parse(MINIMAL + "rejectionMemory: {window: P7D}\n");
        final Policy without = PolicyParser.parse(MINIMAL);

        // then
        assertThat(with.rejectionMemory()).contains(new Policy.RejectionMemory(Duration.ofDays(7)));
        assertThat(without.rejectionMemory()).isEmpty();
        assertThat(DefaultPolicy.load().rejectionMemory()).contains(new Policy.RejectionMemory(Duration.ofDays(7)));
    }

    static Stream<Arguments> badRejectionMemories() {
        return Stream.of(
                Arguments.of("rejectionMemory: {}", "rejectionMemory.window", "missing"),
                Arguments.of("rejectionMemory: {window: 7 days}", "rejectionMemory.window", "ISO-8601 duration"),
                Arguments.of("rejectionMemory: {window: PT0S}", "rejectionMemory.window", "positive duration"),
                Arguments.of("rejectionMemory: {window: -P1D}", "rejectionMemory.window", "positive duration"),
                Arguments.of("rejectionMemory: {windw: P7D}", "rejectionMemory.windw", "did you mean 'window'"),
                Arguments.of("rejectionMemory: P7D", "rejectionMemory", "mapping"));
    }

    @ParameterizedTest
    @MethodSource("badRejectionMemories")
    void shouldRefuseABadRejectionMemoryWithItsLineAndField(
            final String section, final String field, final String message) {
        // given: the section on the line after MINIMAL's last
        final int line = (int) MINIMAL.lines().count() + 1;

        // when
        final PolicyException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> PolicyParser.parse(MINIMAL + section + "\n"), PolicyException.class);

        // then
        assertThat(refused.problems()).anySatisfy(problem -> {
            assertThat(problem.line()).isEqualTo(line);
            assertThat(problem.field()).isEqualTo(field);
            assertThat(problem.message()).contains(message);
        });
    }

    @Test
    void shouldReadSpotCheckRatesAndLeaveThemOffWhenAbsent() throws Exception {
        // when
        final Policy with = PolicyParser.parse(MINIMAL + "spotChecks: {rate: 0.02, rules: {search: 0.5}}\n");
        final Policy without = PolicyParser.parse(MINIMAL);

        // then
        assertThat(with.spotChecks()).contains(new Policy.SpotChecks(0.02, "reviewers", Map.of("search", 0.5)));
        assertThat(without.spotChecks()).isEmpty();
        assertThat(PolicyParser.parse(MINIMAL + "spotChecks: {rate: 0, group: auditors}\n")
                        .spotChecks())
                .contains(new Policy.SpotChecks(0.0, "auditors", Map.of()));
    }

    @Test
    void shouldTakeTheHighestOwnRateOfTheMatchedRulesElseTheOverallRate() {
        // given
        final Policy.SpotChecks spotChecks = new Policy.SpotChecks(0.02, "reviewers", Map.of("a", 0.1, "b", 0.3));

        // then
        assertThat(spotChecks.sampleFor(List.of())).isEqualTo(new Policy.Sample(0.02, Optional.empty()));
        assertThat(spotChecks.sampleFor(List.of("c"))).isEqualTo(new Policy.Sample(0.02, Optional.empty()));
        assertThat(spotChecks.sampleFor(List.of("c", "a"))).isEqualTo(new Policy.Sample(0.1, Optional.of("a")));
        assertThat(spotChecks.sampleFor(List.of("a", "b"))).isEqualTo(new Policy.Sample(0.3, Optional.of("b")));
        // a rule's own rate overrides the overall one, also when it is lower
        assertThat(new Policy.SpotChecks(0.5, "reviewers", Map.of("a", 0.0)).sampleFor(List.of("a")))
                .isEqualTo(new Policy.Sample(0.0, Optional.of("a")));
    }

    @Test
    void shouldGiveTheDefaultPolicyModestSpotChecks() {
        final Policy.SpotChecks spotChecks = DefaultPolicy.load().spotChecks().orElseThrow();
        assertThat(spotChecks.rate()).isEqualTo(0.02);
        assertThat(spotChecks.group()).isEqualTo("reviewers");
        assertThat(spotChecks.ruleRates()).containsEntry("internal.reversible-write", 0.05);
    }

    @Test
    void shouldReadARouteReminderAsOneFractionOrAList() throws Exception {
        // given: standard reminds halfway, senior at a quarter and at 90 %; MINIMAL's routes none
        final String one = withLine(20, "    deadline: PT30M\n    remindAt: 0.5");
        final String list = withLine(25, "    deadline: PT1H\n    remindAt: [0.25, 0.9]");

        // when
        final Policy halfway = PolicyParser.parse(one);
        final Policy twice = PolicyParser.parse(list);

        // then
        assertThat(halfway.route("standard").remindAt()).containsExactly(0.5);
        assertThat(halfway.route("senior").remindAt()).isEmpty();
        assertThat(twice.route("senior").remindAt()).containsExactly(0.25, 0.9);
        assertThat(PolicyParser.parse(MINIMAL).route("standard").remindAt())
                .as("absent: no reminder")
                .isEmpty();
    }

    @Test
    void shouldRemindHalfwayOnEveryDefaultRouteAndAt90PercentOnTheLastOfEachChain() {
        final Policy policy = DefaultPolicy.load();
        for (final Policy.Route route : policy.routes().values()) {
            assertThat(route.remindAt())
                    .as(route.name())
                    .isEqualTo(route.onTimeout() == OnTimeout.TIME_OUT ? List.of(0.5, 0.9) : List.of(0.5));
        }
    }

    static Stream<Arguments> badReminders() {
        return Stream.of(
                Arguments.of("remindAt: 1", "routes.standard.remindAt", "greater than 0 and less than 1"),
                Arguments.of("remindAt: 0", "routes.standard.remindAt", "greater than 0 and less than 1"),
                Arguments.of("remindAt: 1.5", "routes.standard.remindAt", "from 0.0 to 1.0"),
                Arguments.of("remindAt: halfway", "routes.standard.remindAt", "must be a number"),
                Arguments.of("remindAt: [0.5, 0.25]", "routes.standard.remindAt[1]", "ascending order"),
                Arguments.of("remindAt: [0.5, 0.5]", "routes.standard.remindAt[1]", "each once"),
                Arguments.of("remindAt: []", "routes.standard.remindAt", "at least one fraction"),
                Arguments.of(
                        "remindAt: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]", "routes.standard.remindAt", "at most 5 reminders"),
                Arguments.of("remindAt: {at: 0.5}", "routes.standard.remindAt", "expected a list"),
                Arguments.of("remindAfter: 0.5", "routes.standard.remindAfter", "did you mean 'remindAt'?"));
    }

    @ParameterizedTest
    @MethodSource("badReminders")
    void shouldRefuseBadRemindersWithTheirLineAndField(final String entry, final String field, final String message) {
        // given: the entry on line 21, after the standard route's deadline
        final String yaml = withLine(20, "    deadline: PT30M\n    " + entry);

        // when
        final PolicyException refused = catchThrowableOfType(() -> PolicyParser.parse(yaml), PolicyException.class);

        // then
        assertThat(refused).as("refused").isNotNull();
        assertThat(refused.problems()).anySatisfy(problem -> {
            assertThat(problem.line()).isEqualTo(21);
            assertThat(problem.field()).isEqualTo(field);
            assertThat(problem.message()).contains(message);
        });
    }

    static Stream<Arguments> badSpotChecks() {
        return Stream.of(
                Arguments.of("spotChecks: {}", "spotChecks.rate", "missing"),
                Arguments.of("spotChecks: {rate: 1.5}", "spotChecks.rate", "from 0.0 to 1.0"),
                Arguments.of("spotChecks: {rate: -0.1}", "spotChecks.rate", "from 0.0 to 1.0"),
                Arguments.of("spotChecks: {rate: often}", "spotChecks.rate", "number"),
                Arguments.of(
                        "spotChecks: {rate: 0.1, rules: {search: 2}}", "spotChecks.rules.search", "from 0.0 to 1.0"),
                Arguments.of(
                        "spotChecks: {rate: 0.1, rules: {serch: 0.2}}",
                        "spotChecks.rules.serch",
                        "not the id of a rule of this policy; did you mean 'search'"),
                Arguments.of("spotChecks: {rate: 0.1, rule: {search: 0.2}}", "spotChecks.rule", "did you mean 'rules'"),
                Arguments.of("spotChecks: 0.02", "spotChecks", "mapping"));
    }

    @ParameterizedTest
    @MethodSource("badSpotChecks")
    void shouldRefuseBadSpotChecksWithTheirLineAndField(
            final String section, final String field, final String message) {
        // given: the section on the line after MINIMAL's last
        final int line = (int) MINIMAL.lines().count() + 1;

        // when
        final PolicyException refused = org.assertj.core.api.Assertions.catchThrowableOfType(
                () -> PolicyParser.parse(MINIMAL + section + "\n"), PolicyException.class);

        // then
        assertThat(refused).as("refused").isNotNull();
        assertThat(refused.problems()).anySatisfy(problem -> {
            assertThat(problem.line()).isEqualTo(line);
            assertThat(problem.field()).isEqualTo(field);
            assertThat(problem.message()).contains(message);
        });
    }

    @Test
    void shouldRefuseADocumentThatIsNotAMappingWithOneProblemInsteadOfOnePerMissingSection() {
        // given
        final String yaml = "just a sentence";

        // when
        final PolicyException refused = refusal(yaml);

        // then
        assertThat(refused.problems()).hasSize(1);
        assertThat(refused.problems().get(0).message()).contains("mapping of sections");
    }

    @Test
    void shouldRefuseASectionOfTheWrongShapeWithoutAlsoReportingItsFieldsAsMissing() {
        // given
        final String yaml = withLine(6, "thresholds: 0.35")
                .replace("  autoApproveMaxScore: 0.35\n", "# gone\n")
                .replace("  lowTrustAutoApproveMaxScore: 0.2\n", "# gone\n");

        // when
        final PolicyException refused = refusal(yaml);

        // then
        assertThat(refused.problems()).singleElement().satisfies(problem -> {
            assertThat(problem.line()).isEqualTo(6);
            assertThat(problem.field()).isEqualTo("thresholds");
            assertThat(problem.message()).contains("expected a mapping");
        });
    }

    @Test
    void shouldAcceptADocumentJustUnderTheSizeLimit() throws Exception {
        // given
        final String padding = "# " + "x".repeat(PolicyParser.MAX_DOCUMENT_CHARS - MINIMAL.length() - 3) + "\n";
        final String yaml = MINIMAL + padding;

        // when
        final Policy policy = PolicyParser.parse(yaml);

        // then
        assertThat(yaml).hasSize(PolicyParser.MAX_DOCUMENT_CHARS);
        assertThat(policy.name()).isEqualTo("test");
    }

    @Test
    void shouldParseTheDefaultPolicy() throws Exception {
        // given
        final String yaml = DefaultPolicy.yaml();

        // when
        final Policy policy = PolicyParser.parse(yaml);

        // then
        assertThat(policy.name()).isEqualTo("default");
        assertThat(policy.version()).isEqualTo("2026-12-05.2");
        assertThat(policy.yaml()).isEqualTo(yaml);
        assertThat(policy.sha256()).hasSize(64).isEqualTo(PolicyParser.sha256(yaml));
        assertThat(policy.defaults()).isEqualTo(new Policy.Defaults(RiskClass.IRREVERSIBLE, "standard"));
        assertThat(policy.thresholds().autoApproveMaxScore()).isEqualTo(0.35);
        assertThat(policy.thresholds().lowTrustAutoApproveMaxScore()).isEqualTo(0.25);
        assertThat(policy.routes())
                .containsOnlyKeys("standard", "senior", "finance", "finance-senior", "data-owners", "release-managers");
        assertThat(policy.route("release-managers").mode()).isEqualTo(ApprovalMode.PARALLEL);
        assertThat(policy.route("standard").onTimeout()).isEqualTo(OnTimeout.ESCALATE);
        assertThat(policy.route("standard").escalateTo()).contains("senior");
        assertThat(policy.route("finance").deadline()).isEqualTo(Duration.ofHours(2));
        assertThat(policy.rules()).extracting(Policy.Rule::id).contains("sql.delete-without-where", "payment.any");
        assertThat(policy.rules())
                .filteredOn(rule -> rule.block().isPresent())
                .extracting(Policy.Rule::id)
                .containsExactly(
                        "sql.drop-or-truncate",
                        "sql.delete-without-where",
                        "sql.query-drop-or-truncate",
                        "sql.query-delete-without-where",
                        "payment.over-limit",
                        "files.delete-system-paths",
                        "shell.destroy-system",
                        "shell.destroy-system-cmd");
        assertThat(policy.triggers())
                .extracting(Policy.TriggerRule::kind)
                .containsExactlyInAnyOrder(Policy.TriggerKind.values());
        assertThat(policy.autonomy().window()).isEqualTo(20);
        assertThat(policy.autonomy().neverRiskClasses()).containsExactly(RiskClass.IRREVERSIBLE);
        assertThat(policy.autonomy().neverCostAbove()).contains(new BigDecimal("100"));
        assertThat(policy.scoring().exchangeRates()).containsEntry("USD", new BigDecimal("0.92"));
        assertThat(DefaultPolicy.load().sha256()).isEqualTo(policy.sha256());
    }

    @Test
    void shouldReadEveryArgumentOperatorAndMatchCondition() throws Exception {
        // given
        final String yaml = withLine(14, """
                    match:
                      actionType: ["db.*"]
                      tool: [postgres]
                      costAbove: 50
                      systemsAtLeast: 2
                      inputTrust: RETRIEVED
                      domain: [billing]
                      arguments:
                        - {field: sql, matches: '^select', notMatches: 'drop'}
                        - {field: /env/name, in: [prod]}
                        - {field: to, domainNotIn: [Example.COM]}
                        - {field: amount, greaterThan: 10, lessThan: 20.5}
                        - {field: dryRun, exists: false}\
                """);

        // when
        final Policy.Match match = PolicyParser.parse(yaml).rules().get(0).match();

        // then
        assertThat(match.actionTypes()).extracting(Glob::text).containsExactly("db.*");
        assertThat(match.tools()).extracting(Glob::text).containsExactly("postgres");
        assertThat(match.costAbove()).contains(new BigDecimal("50"));
        assertThat(match.systemsAtLeast()).contains(2);
        assertThat(match.inputTrust()).containsExactly(InputTrust.RETRIEVED);
        assertThat(match.domains()).containsExactly("billing");
        assertThat(match.arguments())
                .extracting(Policy.ArgumentPredicate::field)
                .containsExactly("/sql", "/sql", "/env/name", "/to", "/amount", "/amount", "/dryRun");
        assertThat(match.arguments().get(3))
                .isEqualTo(new Policy.ArgumentPredicate.DomainNotIn("/to", java.util.Set.of("example.com")));
        assertThat(match.arguments().get(6)).isEqualTo(new Policy.ArgumentPredicate.Exists("/dryRun", false));
    }

    @Test
    void shouldReadAStatementConditionWithItsTwoPatterns() throws Exception {
        // given
        final String yaml =
                withArgument("{field: sql, statement: {matches: '(?i)\\bdelete\\b', notFollowedBy: '(?i)\\bwhere\\b'}},"
                        + " {field: sql, statement: {matches: update}}");

        // when
        final List<Policy.ArgumentPredicate> arguments =
                PolicyParser.parse(yaml).rules().get(0).match().arguments();

        // then
        assertThat(arguments)
                .hasSize(2)
                .allSatisfy(predicate -> assertThat(predicate).isInstanceOf(Policy.ArgumentPredicate.Statement.class));
        final Policy.ArgumentPredicate.Statement first = (Policy.ArgumentPredicate.Statement) arguments.get(0);
        assertThat(first.field()).isEqualTo("/sql");
        assertThat(first.matches().pattern()).isEqualTo("(?i)\\bdelete\\b");
        assertThat(first.notFollowedBy()).map(com.google.re2j.Pattern::pattern).contains("(?i)\\bwhere\\b");
        assertThat(((Policy.ArgumentPredicate.Statement) arguments.get(1)).notFollowedBy())
                .isEmpty();
    }

    @Test
    void shouldFillOptionalFieldsWithTheirDocumentedDefaults() throws Exception {
        // given
        final String yaml = MINIMAL;

        // when
        final Policy policy = PolicyParser.parse(yaml);

        // then
        final Policy.Route senior = policy.route("senior");
        assertThat(senior.tier()).isEqualTo("senior");
        assertThat(senior.mode()).isEqualTo(ApprovalMode.SEQUENTIAL);
        assertThat(senior.onTimeout()).isEqualTo(OnTimeout.TIME_OUT);
        assertThat(senior.approvalValidFor()).isEqualTo(Duration.ofHours(1));
        assertThat(senior.stages()).containsExactly(new Policy.Stage("seniors", 1));
        assertThat(policy.thresholds().autoApproveRiskClasses()).containsExactly(RiskClass.READ_ONLY);
        assertThat(policy.scoring().currency()).isEqualTo("EUR");
        assertThat(policy.autonomy().promotableByDefault()).isFalse();
        assertThat(policy.autonomy().neverRiskClasses()).containsExactly(RiskClass.IRREVERSIBLE);
        assertThat(policy.rules().get(0).line()).isEqualTo(13);
    }

    @Test
    void shouldNameTheChangeInTheHashWhenOnlyAByteChanges() throws Exception {
        // given
        final Policy one = PolicyParser.parse(MINIMAL);

        // when
        final Policy other = PolicyParser.parse(MINIMAL.replace("version: \"1\"", "version: \"2\""));

        // then
        assertThat(other.sha256()).isNotEqualTo(one.sha256());
        assertThat(other.version()).isEqualTo("2");
    }

    /**
     * Known answers for the policy document hash (the PolicyDocument's sha256): hashes computed
     * outside Java ({@code printf '%s' 'name: x' | sha256sum}), of the text's UTF-8 bytes.
     */
    @Test
    void shouldHashThePolicyTextToKnownAnswers() {
        assertThat(PolicyParser.sha256("name: x"))
                .isEqualTo("cc624066a62194526885793b2b32066d82c6a1cbf9eb523f3e80614ebbdb0dcb");
        assertThat(PolicyParser.sha256("name: \"caf\u00e9\""))
                .isEqualTo("e054cb867bc40cb1c8ded68a5e5c90a417918a718296055dd6fc18955c06be8a");
    }
}
