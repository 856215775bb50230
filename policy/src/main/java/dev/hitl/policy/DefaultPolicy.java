package dev.hitl.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The policy hitl ships with ({@code default-policy.yaml} in this module). */
public final class DefaultPolicy {

    private DefaultPolicy() {}

    /** @return the default policy's YAML text */
    public static String yaml() {
        try (InputStream in = DefaultPolicy.class.getResourceAsStream("default-policy.yaml")) {
            if (in == null) {
                throw new IllegalStateException("default-policy.yaml is missing from the policy jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the default policy", e);
        }
    }

    /** @return the default policy, parsed */
    public static Policy load() {
        try {
            return PolicyParser.parse(yaml());
        } catch (PolicyException e) {
            throw new IllegalStateException("the shipped default policy is invalid: " + e.getMessage(), e);
        }
    }
}
