package dev.hitl.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.StrictJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the deciders' <em>public</em> decision keys an agent trusts: a JWKS ({@code {"keys":[...]}},
 * several keys at once while keys rotate) or a single JWK, Ed25519 ({@code "kty":"OKP",
 * "crv":"Ed25519"}) with a {@code kid}, as the classifier and the escalation service serve them at
 * {@value DecisionKeys#JWKS_PATH}.
 *
 * <p>An agent must never hold a key that can make a decision: a JWK carrying a private or secret
 * member ({@code d}, or a symmetric {@code k}) is refused, not silently stripped, so that a
 * misconfiguration that copied a decider's private key to an agent is noticed (treat that key as
 * leaked and rotate it). Shared HMAC secrets are not accepted at all.
 */
public final class TrustedDecisionKeys {

    /** Members that only a private or symmetric JWK has (RFC 7518 section 6). */
    private static final Set<String> SECRET_MEMBERS = Set.of("d", "k", "p", "q", "dp", "dq", "qi", "oth");

    private TrustedDecisionKeys() {}

    /**
     * @param jwksOrJwk a JWKS or one public JWK, as JSON text
     * @return the public keys
     * @throws IllegalArgumentException when the text is not a JWKS/JWK of Ed25519 public keys, holds a
     *     private or secret member, or names one key id twice
     */
    public static DecisionKeys.PublicKeys parse(final String jwksOrJwk) {
        if (jwksOrJwk == null || jwksOrJwk.isBlank()) {
            throw new IllegalArgumentException("no decision public keys given (a JWKS or a JWK is expected)");
        }
        final JsonNode root;
        try {
            root = StrictJson.parse(jwksOrJwk);
        } catch (IllegalArgumentException e) {
            // Never echo the text: a misplaced secret may be in it.
            throw new IllegalArgumentException(
                    "the decision public keys are not strict JSON (a JWKS or a JWK is" + " expected)");
        }
        final List<JsonNode> jwks = new ArrayList<>();
        if (root.has("keys") && root.get("keys").isArray()) {
            root.get("keys").forEach(jwks::add);
        } else {
            jwks.add(root);
        }
        for (final JsonNode jwk : jwks) {
            if (!jwk.isObject()) {
                continue; // DecisionKeys refuses it with its own message
            }
            for (final String member : SECRET_MEMBERS) {
                if (jwk.has(member)) {
                    throw new IllegalArgumentException("the decision key " + text(jwk.get("kid"))
                            + " holds the private or secret member \"" + member + "\": an agent must hold only the"
                            + " deciders' public keys (kty OKP, crv Ed25519, kid, x). Remove it, and treat that key"
                            + " as leaked: rotate it");
                }
            }
        }
        return DecisionKeys.parsePublicKeys(jwksOrJwk);
    }

    /**
     * @param file a file holding a JWKS or one public JWK
     * @return the public keys
     * @throws IllegalArgumentException when the file cannot be read or does not hold public keys
     */
    public static DecisionKeys.PublicKeys read(final Path file) {
        final String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException(
                    "cannot read the decision public keys from " + file + ": " + e.getMessage(), e);
        }
        try {
            return parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param first a key set
     * @param second another
     * @return every key of both; a key id in both must name the same key
     * @throws IllegalArgumentException when one key id names two different keys
     */
    public static DecisionKeys.PublicKeys merge(
            final DecisionKeys.PublicKeys first, final DecisionKeys.PublicKeys second) {
        final Map<String, DecisionKeys.PublicKey> all = new LinkedHashMap<>(first.byId());
        for (final DecisionKeys.PublicKey key : second.byId().values()) {
            final DecisionKeys.PublicKey earlier = all.putIfAbsent(key.keyId(), key);
            if (earlier != null
                    && !Arrays.equals(earlier.key().getEncoded(), key.key().getEncoded())) {
                throw new IllegalArgumentException(
                        "the decision key id " + key.keyId() + " is given twice, with two different keys");
            }
        }
        return DecisionKeys.PublicKeys.of(all.values().toArray(DecisionKeys.PublicKey[]::new));
    }

    private static String text(final JsonNode node) {
        return node == null || !node.isTextual() ? "(no kid)" : node.textValue();
    }
}
