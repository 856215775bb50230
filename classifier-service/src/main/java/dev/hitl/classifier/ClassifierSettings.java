package dev.hitl.classifier;

import io.micronaut.context.annotation.ConfigurationProperties;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.time.Duration;

/** {@code hitl.classifier.*}: see {@code application.yml}. */
@ConfigurationProperties("hitl.classifier")
public class ClassifierSettings {

    /**
     * The development master secret of agent credentials (UTF-8 bytes of this text): public, so it
     * proves nothing. The service falls back to it, with a warning, when neither {@code
     * hitl.classifier.agent-credentials.secret-file} nor {@code ...secret} is set; the local stack
     * derives its demo agents' keys from it ({@code AgentCredentials.derive}).
     */
    public static final String DEVELOPMENT_AGENT_SECRET = "hitl-development-agent-credentials-secret-not-secret";

    private String policyFile;

    @NotBlank
    private String publishedBy = "classifier-service";

    @Min(1024)
    private int maxProposalBytes = 256 * 1024;

    private Duration rememberIdsFor = Duration.ofDays(7);
    private Duration riskModelTimeout = Duration.ofMillis(500);

    /** @return the policy YAML file to publish at start; empty for the bundled default policy */
    public String getPolicyFile() {
        return policyFile;
    }

    /** @param policyFile the policy YAML file to publish at start */
    public void setPolicyFile(final String policyFile) {
        this.policyFile = policyFile;
    }

    /** @return the identity recorded as publisher of the policy loaded at start */
    public String getPublishedBy() {
        return publishedBy;
    }

    /** @param publishedBy the identity recorded as publisher */
    public void setPublishedBy(final String publishedBy) {
        this.publishedBy = publishedBy;
    }

    /** @return the largest proposal accepted, in bytes */
    public int getMaxProposalBytes() {
        return maxProposalBytes;
    }

    /** @param maxProposalBytes the largest proposal accepted, in bytes */
    public void setMaxProposalBytes(final int maxProposalBytes) {
        this.maxProposalBytes = maxProposalBytes;
    }

    /** @return how long action ids are remembered to drop resends */
    public Duration getRememberIdsFor() {
        return rememberIdsFor;
    }

    /** @param rememberIdsFor how long action ids are remembered */
    public void setRememberIdsFor(final Duration rememberIdsFor) {
        this.rememberIdsFor = rememberIdsFor;
    }

    /** @return how long a stream thread waits for the risk model */
    public Duration getRiskModelTimeout() {
        return riskModelTimeout;
    }

    /** @param riskModelTimeout how long a stream thread waits for the risk model */
    public void setRiskModelTimeout(final Duration riskModelTimeout) {
        this.riskModelTimeout = riskModelTimeout;
    }
}
