package dev.hitl.audit.advise;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.policy.PolicyParser;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The YAML of suggested rules: agents write action types, tools and arguments, and no value can
 * break out of its scalar (end it, start a key, a list item, a comment, an anchor, an alias, a tag,
 * a line): each reads back through the policy loader as exactly the text it was, and the rule says
 * no more than it was built to.
 */
class RuleYamlTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<String> hostile() {
        return Stream.of(
                "x\"\n    block: pwned",
                "x\"\nrules: []",
                "x\" # comment",
                "x\\\" ]\n  - id: evil",
                "'; single 'quotes'",
                "*alias",
                "&anchor x",
                "!!python/object/apply:os.system [\"id\"]",
                "{a: b}",
                "- item",
                "? key",
                "|\n  literal",
                "${HOME} %TAG ! tag:evil",
                "line\u2028separator\u2029paragraph\u0085next",
                "nul\u0000bell\u0007esc\u001bdel\u007f",
                "\ufeffbom",
                "tab\there\r\nwindows",
                "\ud83d\ude00 emoji and \u00e9",
                "lone \ud800 surrogate",
                "back\\slash\\",
                "   leading and trailing   ",
                "a".repeat(5000));
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void shouldReadBackEveryHostileTextExactly(final String text) throws Exception {
        final RuleYaml rule = new RuleYaml(
                "advisor.approve.x",
                text,
                "acme.x" + text.replace("*", "").replace("?", ""),
                text.replace("*", "").replace("?", ""),
                List.of(new ArgumentShape.Condition(text, List.of(text, "other"), null, null)),
                "REVERSIBLE_WRITE",
                null,
                text);

        final Policy parsed = PolicyParser.parse(PolicyAdvisorTest.paste(DefaultPolicy.yaml(), rule.render()));

        assertThat(parsed.rules()).hasSize(DefaultPolicy.load().rules().size() + 1);
        final Policy.Rule r = parsed.rules().get(parsed.rules().size() - 1);
        assertThat(r.id()).isEqualTo("advisor.approve.x");
        assertThat(r.block()).as("no block slipped in").isEmpty();
        assertThat(r.route()).isEmpty();
        assertThat(r.reason()).isEqualTo(text);
        assertThat(r.match().actionTypes()).extracting(g -> g.text()).containsExactly(rule.actionType());
        assertThat(r.match().tools()).extracting(g -> g.text()).containsExactly(rule.tool());
        assertThat(r.match().arguments()).hasSize(1);
        final Policy.ArgumentPredicate.In in =
                (Policy.ArgumentPredicate.In) r.match().arguments().get(0);
        assertThat(in.field()).isEqualTo(rule.conditions().get(0).pointer());
        assertThat(in.values()).containsExactlyInAnyOrder(text, "other");
        // the field points at the argument of exactly that name, whatever it holds (/, ~)
        final String arguments = JSON.createObjectNode().put(text, text).toString();
        assertThat(new PolicyEvaluator(parsed)
                        .evaluate(action(rule.actionType(), rule.tool(), arguments), Optional.empty())
                        .matchedRules())
                .contains("advisor.approve.x");
        assertThat(CandidatePolicy.append(DefaultPolicy.yaml(), rule.render()))
                .satisfies(candidate -> assertThat(PolicyParser.parse(candidate)
                                .rules()
                                .get(parsed.rules().size() - 1))
                        .extracting(Policy.Rule::reason)
                        .isEqualTo(text));
    }

    @Test
    void shouldQuoteEveryScalarAndEscapeWhatCouldEndOrFoldIt() {
        assertThat(RuleYaml.quote("plain")).isEqualTo("\"plain\"");
        assertThat(RuleYaml.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
        assertThat(RuleYaml.quote("a\nb\u2028c\u0085d\ufeffe\u0000"))
                .isEqualTo("\"a\\u000Ab\\u2028c\\u0085d\\uFEFFe\\u0000\"");
        assertThat(RuleYaml.quote("\ud83d\ude00é")).isEqualTo("\"\ud83d\ude00é\"");
        assertThat(RuleYaml.quote("\ud800")).isEqualTo("\"\\uD800\"");
    }

    @Test
    void shouldWriteNumbersInPlainDecimal() throws Exception {
        final ArgumentShape approved = new ArgumentShape(5);
        approved.add(JSON.readTree("{\"n\":480,\"x\":12.5,\"big\":1E+3,\"neg\":-7}"));
        approved.add(JSON.readTree("{\"n\":3,\"x\":0.25,\"big\":10,\"neg\":-9}"));

        final List<ArgumentShape.Condition> conditions = approved.conditions(ArgumentShape.Numbers.AT_MOST_SEEN);

        assertThat(conditions)
                .extracting(c -> c.key() + "<" + c.lessThan().toPlainString())
                .containsExactly("big<1001", "n<481", "x<12.6");
        final String yaml = new RuleYaml("r", "d", "acme.n", null, conditions, "READ_ONLY", null, null).render();
        assertThat(yaml).contains("lessThan: 1001\n", "lessThan: 481\n", "lessThan: 12.6\n");
        assertThat(PolicyParser.parse(PolicyAdvisorTest.paste(DefaultPolicy.yaml(), yaml))
                        .rules())
                .extracting(Policy.Rule::id)
                .contains("r");
    }

    @Test
    void shouldLeaveUnconstrainedWhatVariesTooMuchOrIsMissingSometimes() throws Exception {
        final ArgumentShape shape = new ArgumentShape(2);
        shape.add(JSON.readTree("{\"a\":\"x\",\"b\":\"1\",\"c\":true,\"d\":{\"k\":1},\"e\":\"same\",\"f\":\" \"}"));
        shape.add(JSON.readTree("{\"a\":\"y\",\"b\":\"2\",\"c\":true,\"d\":{\"k\":1},\"e\":\"same\",\"f\":\" \"}"));
        shape.add(JSON.readTree("{\"a\":\"z\",\"c\":true,\"d\":{\"k\":1},\"e\":\"same\",\"f\":\" \"}"));

        final List<ArgumentShape.Condition> conditions = shape.conditions(ArgumentShape.Numbers.AT_MOST_SEEN);

        // a: three values, more than 2; b: missing once; d: an object; f: blank (the loader refuses it)
        assertThat(conditions).extracting(ArgumentShape.Condition::key).containsExactly("c", "e");
        assertThat(ArgumentShape.fits(conditions, JSON.readTree("{\"c\":true,\"e\":\"same\"}")))
                .isTrue();
        assertThat(ArgumentShape.fits(conditions, JSON.readTree("{\"c\":\"true\",\"e\":\"same\"}")))
                .isTrue();
        assertThat(ArgumentShape.fits(conditions, JSON.readTree("{\"c\":false,\"e\":\"same\"}")))
                .isFalse();
        assertThat(ArgumentShape.fits(conditions, JSON.readTree("{\"e\":\"same\"}")))
                .isFalse();
    }

    @Test
    void shouldKeepThePolicyInForceWhenAppendingARule() throws Exception {
        final String rule = new RuleYaml(
                        "advisor.approve.acme.n",
                        "d",
                        "acme.n",
                        "acme",
                        List.of(new ArgumentShape.Condition("n", List.of(), new BigDecimal("5"), null)),
                        "REVERSIBLE_WRITE",
                        null,
                        null)
                .render();

        final Policy candidate = PolicyParser.parse(CandidatePolicy.append(DefaultPolicy.yaml(), rule));
        final Policy current = DefaultPolicy.load();

        assertThat(candidate.rules())
                .extracting(Policy.Rule::id)
                .containsExactlyElementsOf(Stream.concat(
                                current.rules().stream().map(Policy.Rule::id), Stream.of("advisor.approve.acme.n"))
                        .toList());
        assertThat(candidate.routes()).isEqualTo(current.routes());
        assertThat(candidate.thresholds()).isEqualTo(current.thresholds());
        assertThat(candidate.scoring()).isEqualTo(current.scoring());
        assertThat(candidate.autonomy()).isEqualTo(current.autonomy());
        assertThat(candidate.triggers()).isEqualTo(current.triggers());
        assertThat(candidate.version()).isEqualTo(current.version());
        // every rule of the policy in force decides as before (its patterns, anchors and aliases kept)
        final PolicyEvaluator before = new PolicyEvaluator(current);
        final PolicyEvaluator after = new PolicyEvaluator(candidate);
        for (final String[] a : List.of(
                new String[] {"db.execute", "postgres", "{\"sql\":\"DELETE FROM users\"}"},
                new String[] {"db.execute", "postgres", "{\"sql\":\"DELETE FROM users WHERE id = 1\"}"},
                new String[] {"shell.exec", "bash", "{\"command\":\"rm -rf /\"}"},
                new String[] {"github.get_file_contents", "github", "{\"path\":\"README.md\"}"},
                new String[] {"email.send", "gmail", "{\"to\":\"bob@example.com\"}"})) {
            final Evaluation x = before.evaluate(action(a[0], a[1], a[2]), Optional.empty());
            final Evaluation y = after.evaluate(action(a[0], a[1], a[2]), Optional.empty());
            assertThat(y.disposition()).as(a[0]).isEqualTo(x.disposition());
            assertThat(y.matchedRules()).as(a[0]).isEqualTo(x.matchedRules());
            assertThat(y.score()).as(a[0]).isEqualTo(x.score());
        }
    }

    private static ProposedAction action(final String type, final String tool, final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId("x-1")
                .setAgentId("agent-1")
                .setOnBehalfOf("alice@example.com")
                .setActionType(type)
                .setTool(tool)
                .setTarget("t")
                .setArguments(arguments)
                .setConfidence(0.9)
                .setSystemsAffected(List.of("s"))
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder().setUserRequest("do").build())
                .setProposedAt(Instant.parse("2026-03-05T09:00:00Z"))
                .build();
    }
}
