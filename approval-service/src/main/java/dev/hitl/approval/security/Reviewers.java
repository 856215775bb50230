package dev.hitl.approval.security;

import io.micronaut.security.authentication.Authentication;
import java.util.List;

/** What the signed-in reviewer's token says about them, the same for the JSON API and the web UI. */
public final class Reviewers {

    private Reviewers() {}

    /**
     * @param user a signed-in reviewer
     * @return the reviewer's groups, from the token
     */
    public static List<String> groups(final Authentication user) {
        final Object groups = user.getAttributes().get("groups");
        if (groups instanceof List<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        return List.copyOf(user.getRoles());
    }

    /**
     * @param user a signed-in reviewer
     * @return the name to show: the token's {@code name}, else the user name
     */
    public static String displayName(final Authentication user) {
        final Object display = user.getAttributes().get("name");
        return display instanceof String s && !s.isBlank() ? s : user.getName();
    }
}
