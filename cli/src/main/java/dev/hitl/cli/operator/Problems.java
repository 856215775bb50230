package dev.hitl.cli.operator;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * Renders an operator API's refusal for a person: an RFC 9457 problem detail ({@code title}, {@code
 * detail}, each field at fault), the policy API's {@code {title, problems: [{line, column, field,
 * message}]}} or the halt API's {@code {message}}; anything else as an excerpt of the text.
 */
public final class Problems {

    private static final int MAX_EXCERPT = 500;

    private Problems() {}

    /**
     * @param body the answer's body
     * @return what it says, one fact per line (no trailing line break)
     */
    public static String render(final String body) {
        if (body == null || body.isBlank()) {
            return "(no details)";
        }
        final JsonNode node;
        try {
            node = OperatorApi.JSON.readTree(body);
        } catch (IOException e) {
            return excerpt(body);
        }
        if (node == null || !node.isObject()) {
            return excerpt(body);
        }
        final StringBuilder text = new StringBuilder();
        final String title = text(node, "title");
        final String detail = text(node, "detail");
        final String message = text(node, "message");
        if (title != null) {
            text.append(title);
        }
        if (detail != null) {
            text.append(text.length() > 0 ? ": " : "").append(detail);
        }
        if (message != null) {
            text.append(text.length() > 0 ? ": " : "").append(message);
        }
        for (final JsonNode error : node.path("errors")) {
            final String field = text(error, "field");
            text.append(System.lineSeparator())
                    .append("  ")
                    .append(field == null || field.isEmpty() ? "(body)" : field)
                    .append(": ")
                    .append(text(error, "message"));
        }
        for (final JsonNode problem : node.path("problems")) {
            final String field = text(problem, "field");
            text.append(System.lineSeparator()).append("  ");
            if (problem.path("line").asInt() > 0) {
                text.append("line ").append(problem.path("line").asInt());
                if (problem.path("column").asInt() > 0) {
                    text.append(", column ").append(problem.path("column").asInt());
                }
                text.append(", ");
            }
            text.append(field == null || field.isEmpty() ? "(document)" : field)
                    .append(": ")
                    .append(text(problem, "message"));
        }
        return text.length() == 0 ? excerpt(body) : text.toString();
    }

    /**
     * @param body any text
     * @return its start, at most a few hundred characters, on one line
     */
    static String excerpt(final String body) {
        final String line = body.strip().replaceAll("\\s+", " ");
        return line.length() <= MAX_EXCERPT ? line : line.substring(0, MAX_EXCERPT) + "...";
    }

    private static String text(final JsonNode node, final String field) {
        final JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }
}
