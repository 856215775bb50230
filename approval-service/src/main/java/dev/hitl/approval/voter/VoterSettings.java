package dev.hitl.approval.voter;

import io.micronaut.context.annotation.ConfigurationProperties;

/**
 * {@code hitl.voter.*}: who this approval service is as a voter, and the private key it signs every
 * vote with. The escalation service counts a vote only when it verifies with a public key an
 * operator registered for the vote's voter ({@code POST /voters} on the escalation service), and
 * only for the groups and reviewers that registration allows.
 *
 * <ul>
 *   <li>{@code hitl.voter.id} ({@code HITL_VOTER_ID}, default {@value #DEFAULT_ID}): the registered
 *       voter id every vote carries.
 *   <li>{@code hitl.voter.key-file} ({@code HITL_VOTER_KEY_FILE}): a file holding the voter's private
 *       Ed25519 key as a JWK, as {@code bin/hitl-keys generate KID DIR} writes it.
 *   <li>{@code hitl.voter.key} ({@code HITL_VOTER_KEY}): the same JWK's JSON text, for platforms that
 *       hand secrets over in the environment.
 * </ul>
 *
 * <p>Set at most one of the two keys. With neither, the service signs with the development voter key
 * ({@code DevelopmentKeys.voterKey()}, not secret) and warns at start: its votes count only where an
 * operator registered that key, which no production installation does.
 */
@ConfigurationProperties("hitl.voter")
public class VoterSettings {

    /** The voter id when none is configured. */
    public static final String DEFAULT_ID = "approval-service";

    private String id = DEFAULT_ID;
    private String keyFile;
    private String key;

    /** @return the registered voter id every vote carries ({@code HITL_VOTER_ID}) */
    public String getId() {
        return id;
    }

    /** @param id the registered voter id every vote carries */
    public void setId(final String id) {
        this.id = id == null || id.isBlank() ? DEFAULT_ID : id.strip();
    }

    /** @return a file holding the private voter key as a JWK ({@code HITL_VOTER_KEY_FILE}), or null */
    public String getKeyFile() {
        return keyFile;
    }

    /** @param keyFile a file holding the private voter key as a JWK */
    public void setKeyFile(final String keyFile) {
        this.keyFile = blankToNull(keyFile);
    }

    /** @return the private voter key as JWK text ({@code HITL_VOTER_KEY}), or null */
    public String getKey() {
        return key;
    }

    /** @param key the private voter key as JWK text */
    public void setKey(final String key) {
        this.key = blankToNull(key);
    }

    private static String blankToNull(final String value) {
        return value == null || value.isBlank() ? null : value;
    }

    @Override
    public String toString() {
        return "VoterSettings[id=" + id + ", keyFile=" + keyFile + ", key="
                + (key == null ? "none" : "(set, not shown)") + "]";
    }
}
