package dev.hitl.approval.security;

import io.micronaut.context.annotation.EachProperty;
import io.micronaut.context.annotation.Parameter;
import java.util.List;

/**
 * A local reviewer account ({@code hitl.approval.users.<name>.*}), for the local stack and small
 * installations; production signs reviewers in through OIDC / JWT instead. The password is kept
 * only as a bcrypt hash.
 */
@EachProperty("hitl.approval.users")
public class ReviewerSettings {

    private final String name;
    private String passwordHash;
    private List<String> groups = List.of();
    private String displayName;

    /** @param name the user name (the key under {@code hitl.approval.users}) */
    public ReviewerSettings(@Parameter final String name) {
        this.name = name;
    }

    /** @return the user name */
    public String getName() {
        return name;
    }

    /** @return the bcrypt hash of the password ({@code $2a$...} / {@code $2b$...}) */
    public String getPasswordHash() {
        return passwordHash;
    }

    /** @param passwordHash the bcrypt hash of the password */
    public void setPasswordHash(final String passwordHash) {
        this.passwordHash = passwordHash;
    }

    /** @return the reviewer groups (and so the requests the user may see and answer) */
    public List<String> getGroups() {
        return groups;
    }

    /** @param groups the reviewer groups */
    public void setGroups(final List<String> groups) {
        this.groups = List.copyOf(groups);
    }

    /** @return the name shown in the UI */
    public String getDisplayName() {
        return displayName == null ? name : displayName;
    }

    /** @param displayName the name shown in the UI */
    public void setDisplayName(final String displayName) {
        this.displayName = displayName;
    }
}
