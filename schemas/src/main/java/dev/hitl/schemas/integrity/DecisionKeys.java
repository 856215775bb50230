package dev.hitl.schemas.integrity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;

/**
 * Ed25519 decision keys as JSON Web Keys (RFC 7517, RFC 8037: {@code "kty":"OKP"},
 * {@code "crv":"Ed25519"}, {@code x} the public key and {@code d} the private seed, base64url
 * without padding). A deciding service holds one private key (a JWK with {@code d}); everyone who
 * verifies holds a {@link PublicKeys} set (a JWKS: several keys at once, for rotation), which the
 * deciders also serve at {@value #JWKS_PATH}.
 */
public final class DecisionKeys {

    /** Where the deciding services serve their public keys. */
    public static final String JWKS_PATH = "/.well-known/jwks.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();

    private DecisionKeys() {}

    /**
     * A private decision key with its id. {@link #toString()} never shows the secret.
     *
     * @param keyId the key id, recorded in every decision it signs
     * @param key the private key
     */
    public record PrivateKey(String keyId, Ed25519PrivateKeyParameters key) {

        public PrivateKey {
            requireKeyId(keyId);
            Objects.requireNonNull(key, "key");
        }

        /** @return the matching public key, with the same id */
        public PublicKey publicKey() {
            return new PublicKey(keyId, key.generatePublicKey());
        }

        /** @return this key as a private JWK (holds the secret: write it only where secrets live) */
        public String toJwk() {
            final ObjectNode jwk = publicKey().toJwkNode();
            jwk.put("d", B64URL.encodeToString(key.getEncoded()));
            return jwk.toString();
        }

        @Override
        public String toString() {
            return "PrivateKey[keyId=" + keyId + ", Ed25519, secret not shown]";
        }
    }

    /**
     * A public decision key with its id.
     *
     * @param keyId the key id decisions name
     * @param key the public key
     */
    public record PublicKey(String keyId, Ed25519PublicKeyParameters key) {

        public PublicKey {
            requireKeyId(keyId);
            Objects.requireNonNull(key, "key");
        }

        ObjectNode toJwkNode() {
            final ObjectNode jwk = JSON.createObjectNode();
            jwk.put("kty", "OKP");
            jwk.put("crv", "Ed25519");
            jwk.put("kid", keyId);
            jwk.put("use", "sig");
            jwk.put("alg", "EdDSA");
            jwk.put("x", B64URL.encodeToString(key.getEncoded()));
            return jwk;
        }
    }

    /** The public keys a verifier trusts, by key id: the current one and those still valid after rotation. */
    public static final class PublicKeys {

        private final Map<String, PublicKey> byId;

        private PublicKeys(final Map<String, PublicKey> byId) {
            this.byId = Collections.unmodifiableMap(new LinkedHashMap<>(byId));
        }

        /** @return a set of the given keys (ids must differ) */
        public static PublicKeys of(final PublicKey... keys) {
            final Map<String, PublicKey> byId = new LinkedHashMap<>();
            for (final PublicKey key : keys) {
                if (byId.put(key.keyId(), key) != null) {
                    throw new IllegalArgumentException("two public keys have the id " + key.keyId());
                }
            }
            return new PublicKeys(byId);
        }

        /** @return the key with this id, or null */
        public PublicKey get(final String keyId) {
            return keyId == null ? null : byId.get(keyId);
        }

        /** @return the keys by id */
        public Map<String, PublicKey> byId() {
            return byId;
        }

        /** @return whether the set holds no key */
        public boolean isEmpty() {
            return byId.isEmpty();
        }

        /** @return this set as a JWKS document (RFC 7517 section 5) */
        public String toJwks() {
            final ObjectNode jwks = JSON.createObjectNode();
            final ArrayNode keys = jwks.putArray("keys");
            byId.values().forEach(key -> keys.add(key.toJwkNode()));
            return jwks.toString();
        }

        @Override
        public String toString() {
            return "PublicKeys" + byId.keySet();
        }
    }

    /** @return a new random key pair with this id */
    public static PrivateKey generate(final String keyId) {
        return new PrivateKey(keyId, new Ed25519PrivateKeyParameters(new SecureRandom()));
    }

    /**
     * @param keyId the key's id
     * @param seed the 32-byte private seed (RFC 8032)
     * @return the key
     */
    public static PrivateKey fromSeed(final String keyId, final byte[] seed) {
        if (seed == null || seed.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("an Ed25519 private key is 32 bytes");
        }
        return new PrivateKey(keyId, new Ed25519PrivateKeyParameters(seed, 0));
    }

    /**
     * Reads a private key: a JWK (OKP, Ed25519, with {@code d} and {@code kid}).
     *
     * @param jwk the JWK's JSON text
     * @return the key
     * @throws IllegalArgumentException naming what is wrong (never the secret)
     */
    public static PrivateKey parsePrivateJwk(final String jwk) {
        final JsonNode node = readJson(jwk, "private decision key");
        final PublicKey publicKey = publicKey(node);
        final JsonNode d = node.get("d");
        if (d == null || !d.isTextual()) {
            throw new IllegalArgumentException("the private decision key has no \"d\" member: it is a public key");
        }
        final PrivateKey key = fromSeed(publicKey.keyId(), decode(d.textValue(), "d"));
        if (!java.util.Arrays.equals(
                key.publicKey().key().getEncoded(), publicKey.key().getEncoded())) {
            throw new IllegalArgumentException(
                    "the private decision key " + publicKey.keyId() + " does not match its own \"x\" member");
        }
        return key;
    }

    /**
     * Reads a JWKS document ({@code {"keys":[...]}}) or a single public JWK.
     *
     * @param json the JSON text
     * @return the public keys (a member {@code d}, if present, is ignored: verifiers need none)
     * @throws IllegalArgumentException naming what is wrong
     */
    public static PublicKeys parsePublicKeys(final String json) {
        final JsonNode node = readJson(json, "decision public keys");
        final JsonNode keys = node.get("keys");
        if (keys == null) {
            return PublicKeys.of(publicKey(node));
        }
        if (!keys.isArray() || keys.isEmpty()) {
            throw new IllegalArgumentException("the JWKS's \"keys\" must be a non-empty array");
        }
        final PublicKey[] all = new PublicKey[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            all[i] = publicKey(keys.get(i));
        }
        return PublicKeys.of(all);
    }

    /**
     * Reads a private key from a file holding its JWK.
     *
     * @param file the file
     * @return the key
     */
    public static PrivateKey readPrivateJwk(final Path file) {
        return parsePrivateJwk(read(file));
    }

    /**
     * Reads public keys from a file holding a JWKS or one JWK.
     *
     * @param file the file
     * @return the keys
     */
    public static PublicKeys readPublicKeys(final Path file) {
        return parsePublicKeys(read(file));
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read decision keys from " + file, e);
        }
    }

    private static PublicKey publicKey(final JsonNode jwk) {
        if (!jwk.isObject()) {
            throw new IllegalArgumentException("a JWK must be a JSON object");
        }
        if (!"OKP".equals(text(jwk, "kty")) || !"Ed25519".equals(text(jwk, "crv"))) {
            throw new IllegalArgumentException("decision keys are Ed25519 JWKs (\"kty\":\"OKP\",\"crv\":\"Ed25519\"),"
                    + " found kty " + text(jwk, "kty") + " crv " + text(jwk, "crv"));
        }
        final String kid = text(jwk, "kid");
        final String x = text(jwk, "x");
        if (x == null) {
            throw new IllegalArgumentException("the JWK " + kid + " has no \"x\" member");
        }
        final byte[] raw = decode(x, "x");
        if (raw.length != Ed25519PublicKeyParameters.KEY_SIZE) {
            throw new IllegalArgumentException("the JWK " + kid + "'s \"x\" is not 32 bytes");
        }
        return new PublicKey(kid, new Ed25519PublicKeyParameters(raw, 0));
    }

    private static JsonNode readJson(final String json, final String what) {
        if (json == null || json.isBlank()) {
            throw new IllegalArgumentException("no " + what + " given");
        }
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            // Never echo the text: it may hold a secret.
            throw new IllegalArgumentException("the " + what + " are not JSON (a JWK or JWKS is expected)");
        }
    }

    private static String text(final JsonNode node, final String name) {
        final JsonNode value = node.get(name);
        return value == null || !value.isTextual() ? null : value.textValue();
    }

    private static byte[] decode(final String base64url, final String member) {
        try {
            return B64URL_DECODER.decode(base64url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the JWK's \"" + member + "\" is not base64url");
        }
    }

    private static void requireKeyId(final String keyId) {
        if (keyId == null || keyId.isBlank()) {
            throw new IllegalArgumentException("a decision key needs a key id (\"kid\")");
        }
    }
}
