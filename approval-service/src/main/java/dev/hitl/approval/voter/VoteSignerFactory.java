package dev.hitl.approval.voter;

import dev.hitl.runtime.DevelopmentMode;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import dev.hitl.schemas.integrity.VoteSigner;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.exceptions.ConfigurationException;
import io.micronaut.core.annotation.Order;
import io.micronaut.core.order.Ordered;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the {@link VoteSigner} every published vote is signed with, from {@link VoterSettings}. Built
 * at start ({@link Context}), before the other beans built at start, so a missing or malformed key
 * stops the service before it reads a topic or takes a vote, with a message that names the setting
 * and never the key's text. The development voter key (public) signs only in the local environment
 * ({@link DevelopmentMode}): anywhere else no key, or the development key configured as the key,
 * stops the service, naming {@code HITL_VOTER_KEY_FILE}.
 */
@Factory
public class VoteSignerFactory {

    private static final Logger LOG = LoggerFactory.getLogger(VoteSignerFactory.class);

    /**
     * @param settings the voter id and key
     * @param development whether the development voter key may sign
     * @return the signer of this service's votes
     * @throws ConfigurationException when both keys are set, the key cannot be read, or the
     *     development voter key would sign outside the local environment
     */
    @Context
    @Order(Ordered.HIGHEST_PRECEDENCE)
    public VoteSigner voteSigner(final VoterSettings settings, final DevelopmentMode development) {
        final VoteSigner signer = create(settings, development);
        LOG.info(
                "Votes are signed as voter {} with Ed25519 key {}",
                signer.voterId(),
                signer.publicKey().keyId());
        return signer;
    }

    /**
     * @param settings the voter id and key
     * @param development whether the development voter key may sign
     * @return the signer: the configured key, else (in the local environment only) the development
     *     voter key, with a warning
     * @throws ConfigurationException when both keys are set, the key cannot be read, or the
     *     development voter key would sign outside the local environment
     */
    static VoteSigner create(final VoterSettings settings, final DevelopmentMode development) {
        if (settings.getKeyFile() != null && settings.getKey() != null) {
            throw new ConfigurationException("Set only one of hitl.voter.key-file (HITL_VOTER_KEY_FILE) and"
                    + " hitl.voter.key (HITL_VOTER_KEY): both are set, and it is not clear which key signs votes");
        }
        final DecisionKeys.PrivateKey key;
        if (settings.getKeyFile() != null) {
            key = read(
                    "hitl.voter.key-file (HITL_VOTER_KEY_FILE) " + settings.getKeyFile(),
                    () -> DecisionKeys.readPrivateJwk(Path.of(settings.getKeyFile())));
        } else if (settings.getKey() != null) {
            key = read("hitl.voter.key (HITL_VOTER_KEY)", () -> DecisionKeys.parsePrivateJwk(settings.getKey()));
        } else {
            development.require(
                    "the development voter key (no voter key is set)",
                    "HITL_VOTER_KEY_FILE (hitl.voter.key-file) to this service's private voter key, made with"
                            + " bin/hitl-keys generate KID DIR and registered on the escalation service (POST /voters)");
            LOG.warn(
                    "Votes are signed with the development voter key {} (public, proves nothing): they count only"
                            + " where an operator registered that key for voter {}, never in production. Set"
                            + " HITL_VOTER_KEY_FILE to this service's private voter key (bin/hitl-keys generate) and"
                            + " register its public key on the escalation service (POST /voters)",
                    DevelopmentKeys.VOTER_KEY_ID,
                    settings.getId());
            key = DevelopmentKeys.voterKey();
        }
        if (Arrays.equals(
                key.publicKey().key().getEncoded(),
                DevelopmentKeys.voterKey().publicKey().key().getEncoded())) {
            // Whatever its key id: its private half is public.
            development.require(
                    "the development voter key configured as this service's voter key",
                    "HITL_VOTER_KEY_FILE (hitl.voter.key-file) to a voter key of your own (bin/hitl-keys generate"
                            + " KID DIR)");
        }
        try {
            return new VoteSigner(settings.getId(), key);
        } catch (IllegalArgumentException e) {
            throw new ConfigurationException("hitl.voter.id (HITL_VOTER_ID): " + e.getMessage());
        }
    }

    private static DecisionKeys.PrivateKey read(final String where, final KeyReader reader) {
        try {
            return reader.read();
        } catch (IllegalArgumentException e) {
            // DecisionKeys' messages name what is wrong, never the key's text.
            throw new ConfigurationException(
                    where + " is not a private Ed25519 JWK as bin/hitl-keys generate writes: " + e.getMessage());
        } catch (UncheckedIOException e) {
            throw new ConfigurationException(where + " cannot be read: " + e.getCause());
        }
    }

    @FunctionalInterface
    private interface KeyReader {
        DecisionKeys.PrivateKey read();
    }
}
