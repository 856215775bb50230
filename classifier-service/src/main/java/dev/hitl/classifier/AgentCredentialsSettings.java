package dev.hitl.classifier;

import dev.hitl.runtime.DevelopmentMode;
import io.micronaut.context.annotation.ConfigurationProperties;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code hitl.classifier.agent-credentials.*}: the operators' master secret, from which every
 * agent's key is derived (HKDF, {@code AgentCredentials}). Only the classifier (which checks
 * proposals and issues credentials through its operator API) and the operators' tooling hold it. The
 * secret is the UTF-8 bytes of the text, surrounding white space stripped, at least 32 bytes (e.g.
 * {@code openssl rand -base64 48}). Without one the service uses {@link
 * ClassifierSettings#DEVELOPMENT_AGENT_SECRET} and warns.
 */
@ConfigurationProperties("hitl.classifier.agent-credentials")
public class AgentCredentialsSettings {

    private static final Logger LOG = LoggerFactory.getLogger(AgentCredentialsSettings.class);

    private String secretFile;
    private String secret;

    /** @return a file holding the master secret ({@code HITL_AGENT_CREDENTIALS_SECRET_FILE}; first choice), or null */
    public String getSecretFile() {
        return secretFile;
    }

    /** @param secretFile a file holding the master secret */
    public void setSecretFile(final String secretFile) {
        this.secretFile = blankToNull(secretFile);
    }

    /** @return the master secret's text ({@code HITL_AGENT_CREDENTIALS_SECRET}), or null */
    public String getSecret() {
        return secret;
    }

    /** @param secret the master secret's text */
    public void setSecret(final String secret) {
        this.secret = blankToNull(secret);
    }

    /**
     * @return the master secret: the file's, else the setting's, else the development secret (with
     *     a warning)
     * @throws IllegalArgumentException when the configured secret is shorter than 32 bytes
     */
    public byte[] masterSecret(final DevelopmentMode development) {
        final String text;
        final String from;
        if (secretFile != null) {
            try {
                text = Files.readString(Path.of(secretFile), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the agent credentials' master secret " + secretFile, e);
            }
            from = "hitl.classifier.agent-credentials.secret-file (" + secretFile + ")";
        } else if (secret != null) {
            text = secret;
            from = "hitl.classifier.agent-credentials.secret";
        } else {
            development.require(
                    "no agent credentials' master secret (the development secret would derive every agent's key)",
                    "HITL_AGENT_CREDENTIALS_SECRET_FILE (hitl.classifier.agent-credentials.secret-file) to a secret"
                            + " of at least 32 bytes, e.g. openssl rand -base64 48");
            LOG.warn("Agent credentials are derived from the DEVELOPMENT master secret, which is public: anyone can"
                    + " authenticate as any registered agent. Set HITL_AGENT_CREDENTIALS_SECRET_FILE to a secret of"
                    + " at least 32 bytes in any shared installation");
            return ClassifierSettings.DEVELOPMENT_AGENT_SECRET.getBytes(StandardCharsets.UTF_8);
        }
        final byte[] bytes = text.strip().getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 32) {
            throw new IllegalArgumentException("the agent credentials' master secret from " + from + " has "
                    + bytes.length + " bytes; at least 32 are needed (e.g. openssl rand -base64 48)");
        }
        if (ClassifierSettings.DEVELOPMENT_AGENT_SECRET.equals(text.strip())) {
            development.require(
                    "the development agent credentials' master secret configured in " + from,
                    from + " to a secret of your own");
            LOG.warn("The configured agent credentials' master secret is the public development secret");
        }
        LOG.info("Agent credentials are derived from the master secret in {}", from);
        return bytes;
    }

    private static String blankToNull(final String value) {
        return value == null || value.isBlank() ? null : value;
    }

    @Override
    public String toString() {
        return "AgentCredentialsSettings[secretFile=" + secretFile + ", secret="
                + (secret == null ? "none" : "(set, not shown)") + "]";
    }
}
