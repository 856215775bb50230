package dev.hitl.classifier.topology;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.integrity.CanonicalJson;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The classifier hashes the arguments tree its validator parsed (parsed once); the hash must be the
 * one {@link CanonicalJson#sha256} gives for the text, which is what agents, the escalation service
 * and the audit compute.
 */
class ArgumentsHashTest {

    private final ProposalValidator validator = new ProposalValidator(64 * 1024);

    @Test
    void theParsedTreeHashesAsTheText() {
        for (final String json : List.of(
                "{}",
                "{\"q\":\"kafka streams\"}",
                "{ \"b\" : 1, \"a\" : [1.0, 2.50, -0, 1e21, 1E-7, 9007199254740992], \"c\": {\"z\": null, \"y\": true}}",
                "{\"\\u00e9\\u0000\\n\\\"\": \"\\ud83d\\ude00 \\u2028 caf\u00e9\", \"\u20ac\": \"\\/\"}",
                "{\"deep\": [[[[{\"x\": [{}, [], \"\"]}]]]], \"n\": 123456789012345.6}")) {
            assertThat(hashOfParsed(json)).as(json).isEqualTo(CanonicalJson.sha256(json));
        }
    }

    @Test
    void randomArgumentsHashAsTheText() {
        final Random random = new Random(20261204);
        for (int i = 0; i < 5_000; i++) {
            final StringBuilder json = new StringBuilder();
            object(random, json, 0);
            final String text = json.toString();
            assertThat(hashOfParsed(text)).as(text).isEqualTo(CanonicalJson.sha256(text));
        }
    }

    @Test
    void argumentsThatAreNotStrictJsonGiveNoTree() {
        for (final String json : List.of("{\"a\": 1, \"a\": 2}", "[1]", "{\"id\": 9007199254740993}", "{")) {
            final ProposalValidator.Checked checked = validator.check(proposal(json), "a-1", 200);
            assertThat(checked.problems()).as(json).isNotEmpty();
            assertThat(checked.arguments()).as(json).isNull();
        }
    }

    private String hashOfParsed(final String json) {
        final ProposalValidator.Checked checked = validator.check(proposal(json), "a-1", 200);
        assertThat(checked.problems()).as(json).isEmpty();
        return DecisionFactory.argumentsHash(checked.arguments());
    }

    private static ProposedAction proposal(final String arguments) {
        return ProposedAction.newBuilder()
                .setActionId("a-1")
                .setAgentId("agent-1")
                .setOnBehalfOf("user-1")
                .setActionType("web.search")
                .setTool("search")
                .setArguments(arguments)
                .setInputTrust(dev.hitl.schemas.InputTrust.USER)
                .setContext(dev.hitl.schemas.ActionContext.newBuilder().build())
                .setProposedAt(Instant.parse("2026-12-04T00:00:00Z"))
                .build();
    }

    private static void object(final Random random, final StringBuilder out, final int depth) {
        out.append(random.nextBoolean() ? "{" : "{ ");
        final int members = random.nextInt(depth > 3 ? 2 : 5);
        final java.util.Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < members; i++) {
            String name = text(random);
            while (!names.add(name)) {
                name = name + "x";
            }
            if (i > 0) {
                out.append(random.nextBoolean() ? "," : " , ");
            }
            quoted(name, out);
            out.append(':');
            value(random, out, depth + 1);
        }
        out.append('}');
    }

    private static void value(final Random random, final StringBuilder out, final int depth) {
        switch (random.nextInt(depth > 4 ? 5 : 7)) {
            case 0 -> quoted(text(random), out);
            case 1 -> out.append(random.nextInt(2_000_000) - 1_000_000);
            case 2 -> out.append(number(random));
            case 3 -> out.append(random.nextBoolean());
            case 4 -> out.append("null");
            case 5 -> {
                out.append('[');
                final int items = random.nextInt(4);
                for (int i = 0; i < items; i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    value(random, out, depth + 1);
                }
                out.append(']');
            }
            default -> object(random, out, depth);
        }
    }

    /** Decimals of at most 15 significant digits: a double holds them (strict JSON). */
    private static String number(final Random random) {
        return switch (random.nextInt(4)) {
            case 0 -> random.nextInt(1_000_000) + "." + random.nextInt(1000);
            case 1 -> (random.nextInt(1000) - 500) + "." + random.nextInt(1000) + "e" + (random.nextInt(40) - 20);
            case 2 -> random.nextInt(100) + ".500";
            default -> "-0.0";
        };
    }

    private static String text(final Random random) {
        final String alphabet = "abcXYZ \u00e9\u20ac\ud83d\ude00\"\\/\n\t\u0001\u007f\u2028";
        final StringBuilder text = new StringBuilder();
        final int length = random.nextInt(6);
        for (int i = 0; i < length; i++) {
            final int at = random.nextInt(alphabet.length());
            final char c = alphabet.charAt(at);
            if (Character.isHighSurrogate(c)) {
                text.append(c).append(alphabet.charAt(at + 1));
            } else if (!Character.isLowSurrogate(c)) {
                text.append(c);
            }
        }
        return text.toString();
    }

    private static void quoted(final String text, final StringBuilder out) {
        out.append('"');
        for (final char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
