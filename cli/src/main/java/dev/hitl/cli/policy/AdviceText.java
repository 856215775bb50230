package dev.hitl.cli.policy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/**
 * The policy advisor's answer for people: each suggestion's evidence and simulation as YAML
 * comments, then its rule as it is to be pasted; then what was not suggested, and why. The whole
 * text is itself YAML (comments and rules), so it can be pasted as it is.
 */
final class AdviceText {

    private AdviceText() {}

    /**
     * @param report the advisor's JSON answer
     * @return the text, ending with a line break
     */
    static String render(final JsonNode report) {
        final StringBuilder t = new StringBuilder();
        t.append("# Policy advisor: policy '")
                .append(line(report.path("policyName").asText()))
                .append("' version ")
                .append(line(report.path("policyVersion").asText()))
                .append(" (")
                .append(line(report.path("policySource").asText()))
                .append("), proposals from ")
                .append(report.path("from").asText("the start"))
                .append(" to ")
                .append(report.path("to").asText("now"))
                .append(": ")
                .append(report.path("humanDecisions").asLong())
                .append(" decided by people, ")
                .append(report.path("shapes").asLong())
                .append(" action types and tools.\n");
        final JsonNode suggestions = report.path("suggestions");
        if (suggestions.isEmpty()) {
            t.append("# No suggestion.\n");
        }
        int n = 0;
        for (final JsonNode s : suggestions) {
            t.append("\n# ")
                    .append(++n)
                    .append(". ")
                    .append(s.path("kind").asText())
                    .append(' ')
                    .append(line(s.path("actionType").asText()))
                    .append(" (tool ")
                    .append(line(s.path("tool").asText()))
                    .append(")\n");
            t.append("#    evidence: ").append(evidence(s.path("evidence"))).append('\n');
            t.append("#    simulation: ")
                    .append(simulation(s.path("kind").asText(), s.path("simulation")))
                    .append('\n');
            t.append(s.path("yaml").asText());
        }
        final JsonNode dropped = report.path("dropped");
        if (!dropped.isEmpty()) {
            t.append("\n# Not suggested:\n");
            for (final JsonNode d : dropped) {
                t.append("#  - ")
                        .append(d.path("kind").asText())
                        .append(' ')
                        .append(line(d.path("actionType").asText()))
                        .append(" (tool ")
                        .append(line(d.path("tool").asText()))
                        .append("): ")
                        .append(line(d.path("why").asText()))
                        .append("; ")
                        .append(evidence(d.path("evidence")))
                        .append('\n');
                for (final JsonNode o : d.path("simulation").path("autoApprovedButRejectedByHumans")) {
                    t.append("#      would auto-approve ")
                            .append(line(o.path("actionId").asText()))
                            .append(", ")
                            .append(o.path("outcome").asText())
                            .append(" by ")
                            .append(line(o.path("decidedBy").asText()))
                            .append(
                                    o.path("reason").isTextual()
                                            ? ": " + line(o.path("reason").asText())
                                            : "")
                            .append('\n');
                }
                for (final JsonNode o : d.path("simulation").path("blockedButApprovedByHumans")) {
                    t.append("#      would block ")
                            .append(line(o.path("actionId").asText()))
                            .append(", ")
                            .append(o.path("humanOutcome").asText())
                            .append(" by people\n");
                }
            }
        }
        return t.toString();
    }

    private static String evidence(final JsonNode e) {
        final StringBuilder t = new StringBuilder();
        t.append(e.path("decisions").asLong())
                .append(" decisions: ")
                .append(e.path("approved").asLong())
                .append(" approved, ")
                .append(e.path("modified").asLong())
                .append(" modified, ")
                .append(e.path("rejected").asLong())
                .append(" rejected (")
                .append(percent(e.path("approveRate").asDouble()))
                .append(" approved); ")
                .append(e.path("votes").asLong())
                .append(" votes");
        if (e.path("medianTimeOnCardMillis").isNumber()) {
            t.append(", median ")
                    .append(seconds(e.path("medianTimeOnCardMillis").asLong()))
                    .append(" from request to vote, ")
                    .append(seconds(e.path("reviewerTimeMillis").asLong()))
                    .append(" of reviewers' time");
        }
        return t.append("; ")
                .append(e.path("agents").asLong())
                .append(" agents, ")
                .append(e.path("targets").asLong())
                .append(" targets")
                .toString();
    }

    private static String simulation(final String kind, final JsonNode s) {
        if ("BLOCK".equals(kind)) {
            return s.path("newlyBlocked").asLong() + " more actions blocked; blocked but approved by people: "
                    + (s.path("blockedButApprovedByHumans").isEmpty()
                            ? "none"
                            : s.path("blockedButApprovedByHumans").size());
        }
        return s.path("newlyAutoApproved").asLong() + " more actions auto-approved; auto-approved but rejected by"
                + " people: "
                + (s.path("autoApprovedButRejectedByHumans").isEmpty()
                        ? "none"
                        : s.path("autoApprovedButRejectedByHumans").size());
    }

    private static String percent(final double rate) {
        return String.format(Locale.ROOT, "%.1f %%", rate * 100);
    }

    private static String seconds(final long millis) {
        return millis >= 3_600_000
                ? String.format(Locale.ROOT, "%.1f h", millis / 3_600_000.0)
                : millis >= 60_000
                        ? String.format(Locale.ROOT, "%.1f min", millis / 60_000.0)
                        : String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    /** A value an agent wrote, kept on its comment line: control characters and line breaks shown as escapes. */
    static String line(final String text) {
        final StringBuilder t = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029 || cp == 0xFEFF) {
                t.append(String.format(Locale.ROOT, "\\u%04X", cp));
            } else {
                t.appendCodePoint(cp);
            }
        });
        return t.toString();
    }
}
