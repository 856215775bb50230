package dev.hitl.schemas.integrity;

import dev.hitl.schemas.ProposedAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Agent credentials: who an agent is comes from a key it alone holds (with the classifier and the
 * operators' tooling), never from a field it fills in.
 *
 * <ul>
 *   <li><b>Key</b>: {@code HKDF-SHA256(IKM = the operators' master secret, salt = "hitl agent
 *       credential v1", info = agentId + 0x00 + credentialId, L = 32)} (RFC 5869). The registry
 *       names credential ids only; the classifier derives each agent's key from the master secret,
 *       so no per-agent secret is stored or written to a topic.
 *   <li><b>Proposal authentication</b>: the record header {@value #HEADER} = {@code
 *       v1.<credentialId>.<base64url HMAC-SHA256(key, content)>}, content the UTF-8 RFC 8785 JSON
 *       {@code {"actionId":…,"agentId":…,"credentialId":…,"proposalHash":…,"proposedAt":<epoch
 *       ms>,"type":"proposal"}}. It covers the whole proposal (through its hash) and its send time,
 *       so an old proposal cannot be replayed after the classifier forgot its id.
 *   <li><b>Withdrawal authentication</b>: the same header on the tombstone, content {@code
 *       {"actionId":…,"agentId":…,"credentialId":…,"type":"withdrawal"}} ({@code agentId} is the
 *       agent named by {@code hitl.withdrawn.by}). Replaying it only withdraws the same action again.
 * </ul>
 *
 * An HMAC with a kept {@code Mac} costs about a microsecond: cheap enough for every proposal, where a
 * per-agent Ed25519 signature (about 90 µs to verify) is not. The schemas README has test vectors.
 */
public final class AgentCredentials {

    /** The record header carrying a proposal's or withdrawal's authentication. */
    public static final String HEADER = "hitl.auth";

    /** The version prefix of the header's value. */
    public static final String VERSION = "v1";

    private static final byte[] SALT = "hitl agent credential v1".getBytes(StandardCharsets.UTF_8);
    private static final String HMAC = "HmacSHA256";

    private AgentCredentials() {}

    /**
     * An agent's credential: its id and the derived key. {@link #toString()} never shows the key.
     *
     * @param agentId the agent
     * @param credentialId the credential id (listed in the registry)
     * @param key the 32-byte derived key
     */
    public record Credential(String agentId, String credentialId, byte[] key) {

        public Credential {
            Objects.requireNonNull(agentId, "agentId");
            requireCredentialId(credentialId);
            if (key == null || key.length != 32) {
                throw new IllegalArgumentException("an agent key is 32 bytes");
            }
            key = key.clone();
        }

        /** @return the key as base64url without padding (what an agent is given) */
        public String encodedKey() {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(key);
        }

        /**
         * @param agentId the agent
         * @param credentialId its credential id
         * @param encodedKey the key as {@link #encodedKey()} writes it
         * @return the credential
         */
        public static Credential of(final String agentId, final String credentialId, final String encodedKey) {
            final byte[] key;
            try {
                key = Base64.getUrlDecoder().decode(encodedKey.strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("an agent key is base64url (as hitl-agents prints it)");
            }
            return new Credential(agentId, credentialId, key);
        }

        @Override
        public String toString() {
            return "Credential[agentId=" + agentId + ", credentialId=" + credentialId + ", key not shown]";
        }

        @Override
        public boolean equals(final Object other) {
            return other instanceof Credential c
                    && agentId.equals(c.agentId)
                    && credentialId.equals(c.credentialId)
                    && MessageDigest.isEqual(key, c.key);
        }

        @Override
        public int hashCode() {
            return Objects.hash(agentId, credentialId);
        }
    }

    /**
     * @param masterSecret the operators' master secret (at least 32 bytes)
     * @param agentId the agent
     * @param credentialId the credential id
     * @return the agent's credential
     */
    public static Credential derive(final byte[] masterSecret, final String agentId, final String credentialId) {
        if (masterSecret == null || masterSecret.length < 32) {
            throw new IllegalArgumentException("the agent credentials' master secret needs at least 32 bytes");
        }
        requireCredentialId(credentialId);
        final byte[] info = (agentId + "\u0000" + credentialId).getBytes(StandardCharsets.UTF_8);
        return new Credential(agentId, credentialId, hkdf(SALT, masterSecret, info, 32));
    }

    /**
     * HKDF-SHA256 (RFC 5869): extract, then expand.
     *
     * @param salt the salt
     * @param ikm the input keying material
     * @param info the context
     * @param length bytes wanted (at most 255 × 32)
     * @return the output keying material
     */
    static byte[] hkdf(final byte[] salt, final byte[] ikm, final byte[] info, final int length) {
        final byte[] prk = hmac(salt.length == 0 ? new byte[32] : salt, ikm);
        final byte[] okm = new byte[length];
        byte[] block = new byte[0];
        int done = 0;
        for (int i = 1; done < length; i++) {
            final byte[] input = new byte[block.length + info.length + 1];
            System.arraycopy(block, 0, input, 0, block.length);
            System.arraycopy(info, 0, input, block.length, info.length);
            input[input.length - 1] = (byte) i;
            block = hmac(prk, input);
            final int n = Math.min(block.length, length - done);
            System.arraycopy(block, 0, okm, done, n);
            done += n;
        }
        return okm;
    }

    /**
     * @param action the proposal
     * @param proposalHash its {@link ProposalHash}
     * @param credentialId the credential the agent authenticates with
     * @return the content a proposal's authentication covers
     */
    public static String proposalContent(
            final ProposedAction action, final String proposalHash, final String credentialId) {
        final StringBuilder out = new StringBuilder(256);
        out.append("{\"actionId\":");
        CanonicalJson.string(action.getActionId(), out);
        out.append(",\"agentId\":");
        CanonicalJson.string(action.getAgentId(), out);
        out.append(",\"credentialId\":");
        CanonicalJson.string(credentialId, out);
        out.append(",\"proposalHash\":");
        CanonicalJson.string(proposalHash, out);
        out.append(",\"proposedAt\":")
                .append(CanonicalJson.integer(action.getProposedAt().toEpochMilli()));
        return out.append(",\"type\":\"proposal\"}").toString();
    }

    /**
     * @param actionId the action withdrawn
     * @param agentId the agent that withdraws it
     * @param credentialId the credential it authenticates with
     * @return the content a withdrawal's authentication covers
     */
    public static String withdrawalContent(final String actionId, final String agentId, final String credentialId) {
        final StringBuilder out = new StringBuilder(128);
        out.append("{\"actionId\":");
        CanonicalJson.string(actionId, out);
        out.append(",\"agentId\":");
        CanonicalJson.string(agentId, out);
        out.append(",\"credentialId\":");
        CanonicalJson.string(credentialId, out);
        return out.append(",\"type\":\"withdrawal\"}").toString();
    }

    /**
     * @param credential the agent's credential
     * @param content {@link #proposalContent} or {@link #withdrawalContent}
     * @return the header value: {@code v1.<credentialId>.<base64url MAC>}
     */
    public static String header(final Credential credential, final String content) {
        return VERSION + "." + credential.credentialId() + "."
                + Base64.getUrlEncoder()
                        .withoutPadding()
                        .encodeToString(hmac(credential.key(), content.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * A header value as read, not yet checked.
     *
     * @param credentialId the credential id it names
     * @param mac the MAC it carries
     */
    public record Presented(String credentialId, byte[] mac) {

        /**
         * @param credential the credential the registry lists under {@link #credentialId()}
         * @param content the content it must cover
         * @return whether the MAC is the credential's over exactly that content
         */
        public boolean verifies(final Credential credential, final String content) {
            return credential.credentialId().equals(credentialId)
                    && MessageDigest.isEqual(mac, hmac(credential.key(), content.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /**
     * @param headers a record's headers
     * @return the authentication presented, or empty when the header is missing or malformed
     */
    public static Optional<Presented> presented(final Headers headers) {
        final Header header = headers == null ? null : headers.lastHeader(HEADER);
        if (header == null || header.value() == null) {
            return Optional.empty();
        }
        final String value = new String(header.value(), StandardCharsets.UTF_8);
        final int first = value.indexOf('.');
        final int last = value.lastIndexOf('.');
        if (first < 0 || last <= first || !VERSION.equals(value.substring(0, first))) {
            return Optional.empty();
        }
        try {
            final byte[] mac = Base64.getUrlDecoder().decode(value.substring(last + 1));
            return mac.length == 32
                    ? Optional.of(new Presented(value.substring(first + 1, last), mac))
                    : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static void requireCredentialId(final String credentialId) {
        if (credentialId == null || !credentialId.matches("[A-Za-z0-9_-]{1,64}")) {
            throw new IllegalArgumentException("a credential id is 1-64 letters, digits, '_' or '-'");
        }
    }

    private static final ThreadLocal<java.util.Map<KeyRef, Mac>> MACS =
            ThreadLocal.withInitial(() -> new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(final java.util.Map.Entry<KeyRef, Mac> eldest) {
                    return size() > 1024;
                }
            });

    /** A key by content, so a Mac is kept per key (per thread): keying a Mac costs more than the MAC. */
    private record KeyRef(byte[] key) {
        @Override
        public boolean equals(final Object other) {
            return other instanceof KeyRef k && java.util.Arrays.equals(key, k.key);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(key);
        }
    }

    static byte[] hmac(final byte[] key, final byte[] message) {
        final java.util.Map<KeyRef, Mac> macs = MACS.get();
        Mac mac = macs.get(new KeyRef(key)); // looked up by content; a copy of the key is kept only when new
        if (mac == null) {
            try {
                final KeyRef kept = new KeyRef(key.clone());
                mac = Mac.getInstance(HMAC);
                mac.init(new SecretKeySpec(kept.key(), HMAC));
                macs.put(kept, mac);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
            }
        }
        return mac.doFinal(message);
    }
}
