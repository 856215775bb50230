package dev.hitl.runtime;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.NotBlank;

/** {@code hitl.registry.*}: the Confluent-API schema registry. */
@ConfigurationProperties("hitl.registry")
public class RegistrySettings {
    @NotBlank
    private String url = "http://127.0.0.1:8081/apis/ccompat/v7";

    private boolean autoRegister = true;
    private String basicAuthUserInfo;
    private String bearerToken;
    private boolean publishContract = true;

    /** @return the registry's Confluent API root */
    public String getUrl() {
        return url;
    }

    /** @param url the registry's Confluent API root (comma-separated for several) */
    public void setUrl(final String url) {
        this.url = url;
    }

    /** @return whether serializers register schemas, or only look them up */
    public boolean isAutoRegister() {
        return autoRegister;
    }

    /** @param autoRegister whether serializers register schemas, or only look them up */
    public void setAutoRegister(final boolean autoRegister) {
        this.autoRegister = autoRegister;
    }

    /** @return {@code user:password} for the registry, or null */
    public String getBasicAuthUserInfo() {
        return basicAuthUserInfo;
    }

    /** @param basicAuthUserInfo {@code user:password} for the registry */
    public void setBasicAuthUserInfo(final String basicAuthUserInfo) {
        this.basicAuthUserInfo = basicAuthUserInfo;
    }

    /** @return a bearer token for the registry, or null (wins over basic auth) */
    public String getBearerToken() {
        return bearerToken;
    }

    /** @param bearerToken a bearer token for the registry ({@code HITL_REGISTRY_BEARER_TOKEN}) */
    public void setBearerToken(final String bearerToken) {
        this.bearerToken = bearerToken;
    }

    /**
     * @return whether the service publishes the contract at start: every topic's value schema under
     *     its subject, with BACKWARD compatibility set on the registry ({@code SchemaContract})
     */
    public boolean isPublishContract() {
        return publishContract;
    }

    /** @param publishContract whether the service publishes the contract at start */
    public void setPublishContract(final boolean publishContract) {
        this.publishContract = publishContract;
    }

    /** Never shows the credentials. */
    @Override
    public String toString() {
        return "RegistrySettings[url=" + url + ", autoRegister=" + autoRegister + ", basicAuth="
                + (basicAuthUserInfo != null) + ", bearer=" + (bearerToken != null) + "]";
    }
}
