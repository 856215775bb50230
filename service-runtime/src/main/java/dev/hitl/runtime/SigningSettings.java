package dev.hitl.runtime;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.NotBlank;

/**
 * {@code hitl.signing.*}: the key that signs decisions (HMAC-SHA256). Every service that writes
 * decisions and every agent SDK that reads them must share it; set it from a secret store in
 * production ({@code HITL_SIGNING_KEY}). The local default is for development only.
 */
@ConfigurationProperties("hitl.signing")
public class SigningSettings {

    /** The development key: never use it in production. */
    public static final String DEVELOPMENT_KEY = "hitl-local-development-signing-key-not-secret";

    @NotBlank
    private String keyId = "local-dev";

    @NotBlank
    private String key = DEVELOPMENT_KEY;

    /** @return the key's id, recorded in each decision */
    public String getKeyId() {
        return keyId;
    }

    /** @param keyId the key's id */
    public void setKeyId(final String keyId) {
        this.keyId = keyId;
    }

    /** @return the secret, at least 32 characters */
    public String getKey() {
        return key;
    }

    /** @param key the secret, at least 32 characters */
    public void setKey(final String key) {
        this.key = key;
    }
}
