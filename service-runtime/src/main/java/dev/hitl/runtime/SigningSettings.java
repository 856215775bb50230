package dev.hitl.runtime;

import io.micronaut.context.annotation.ConfigurationProperties;

/**
 * {@code hitl.signing.*}: the deciding service's private Ed25519 decision key, and the public keys
 * it serves at {@code /.well-known/jwks.json}. Only the classifier and the escalation service hold
 * a private key; agents, executors and the MCP gateway hold the public keys. Without a key the
 * service signs with the development key ({@code DevelopmentKeys}, not secret) and warns.
 */
@ConfigurationProperties("hitl.signing")
public class SigningSettings {

    private boolean enabled;
    private String keyFile;
    private String key;
    private String publicKeysFile;

    /** @return whether this service signs decisions (the classifier and the escalation service) */
    public boolean isEnabled() {
        return enabled;
    }

    /** @param enabled whether this service signs decisions */
    public void setEnabled(final boolean enabled) {
        this.enabled = enabled;
    }

    /** @return a file holding the private key as a JWK ({@code HITL_SIGNING_KEY_FILE}), or null */
    public String getKeyFile() {
        return keyFile;
    }

    /** @param keyFile a file holding the private key as a JWK */
    public void setKeyFile(final String keyFile) {
        this.keyFile = blankToNull(keyFile);
    }

    /** @return the private key as JWK text ({@code HITL_SIGNING_KEY}), or null */
    public String getKey() {
        return key;
    }

    /** @param key the private key as JWK text */
    public void setKey(final String key) {
        this.key = blankToNull(key);
    }

    /**
     * @return a file holding more public keys to serve next to this service's own (a JWKS: the other
     *     decider's key, keys still valid after a rotation), or null
     */
    public String getPublicKeysFile() {
        return publicKeysFile;
    }

    /** @param publicKeysFile a JWKS file of more public keys to serve */
    public void setPublicKeysFile(final String publicKeysFile) {
        this.publicKeysFile = blankToNull(publicKeysFile);
    }

    private static String blankToNull(final String value) {
        return value == null || value.isBlank() ? null : value;
    }

    @Override
    public String toString() {
        return "SigningSettings[enabled=" + enabled + ", keyFile=" + keyFile + ", key="
                + (key == null ? "none" : "(set, not shown)") + ", publicKeysFile=" + publicKeysFile + "]";
    }
}
