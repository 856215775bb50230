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
}
