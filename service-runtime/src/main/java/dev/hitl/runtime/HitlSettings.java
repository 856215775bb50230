package dev.hitl.runtime;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.time.Duration;

/** The {@code hitl.*} settings every service shares (see each service's {@code application.yml}). */
@ConfigurationProperties("hitl")
public class HitlSettings {

    private final Topics topics = new Topics();
    private final Registry registry = new Registry();

    /** @return topic settings */
    public Topics getTopics() {
        return topics;
    }

    /** @return schema registry settings */
    public Registry getRegistry() {
        return registry;
    }

    /** {@code hitl.topics.*}: where the catalogue's topics live and how they are created. */
    @ConfigurationProperties("topics")
    public static class Topics {
        @NotBlank
        private String namespace = "hitl";

        @Min(1)
        private int partitions = 6;

        private short replicationFactor = -1;
        private boolean provision = true;
        private Duration adminTimeout = Duration.ofSeconds(30);

        /** @return the prefix of every topic name */
        public String getNamespace() {
            return namespace;
        }

        /** @param namespace the prefix of every topic name */
        public void setNamespace(final String namespace) {
            this.namespace = namespace;
        }

        /** @return partitions of the keyed topics */
        public int getPartitions() {
            return partitions;
        }

        /** @param partitions partitions of the keyed topics */
        public void setPartitions(final int partitions) {
            this.partitions = partitions;
        }

        /** @return replicas of new topics; -1 for the broker's default */
        public short getReplicationFactor() {
            return replicationFactor;
        }

        /** @param replicationFactor replicas of new topics; -1 for the broker's default */
        public void setReplicationFactor(final short replicationFactor) {
            this.replicationFactor = replicationFactor;
        }

        /** @return whether to create missing topics and check existing ones at start */
        public boolean isProvision() {
            return provision;
        }

        /** @param provision whether to create missing topics and check existing ones at start */
        public void setProvision(final boolean provision) {
            this.provision = provision;
        }

        /** @return how long each admin call may take at start */
        public Duration getAdminTimeout() {
            return adminTimeout;
        }

        /** @param adminTimeout how long each admin call may take at start */
        public void setAdminTimeout(final Duration adminTimeout) {
            this.adminTimeout = adminTimeout;
        }
    }

    /** {@code hitl.registry.*}: the Confluent-API schema registry. */
    @ConfigurationProperties("registry")
    public static class Registry {
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
}
