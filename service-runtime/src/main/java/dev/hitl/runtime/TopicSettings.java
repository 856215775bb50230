package dev.hitl.runtime;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.time.Duration;

/** {@code hitl.topics.*}: where the catalogue's topics live and how they are created. */
@ConfigurationProperties("hitl.topics")
public class TopicSettings {
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
