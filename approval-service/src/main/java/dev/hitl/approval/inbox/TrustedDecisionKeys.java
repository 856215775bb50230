package dev.hitl.approval.inbox;

import dev.hitl.runtime.DevelopmentMode;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.integrity.DevelopmentKeys;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Factory;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.core.annotation.Order;
import io.micronaut.core.order.Ordered;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deciders' public keys the inbox checks decisions with ({@code HITL_DECISION_PUBLIC_KEYS_FILE},
 * a JWKS): a decision closes a request only when it verifies, so whoever can write {@code
 * hitl.decisions} without a decider's key cannot take an action away from its reviewers. Without
 * the file, the development key is trusted, in the local environment only.
 */
@Factory
public class TrustedDecisionKeys {

    private static final Logger LOG = LoggerFactory.getLogger(TrustedDecisionKeys.class);

    /**
     * @param file the JWKS file of the deciders' public keys, or empty
     * @param development whether the development key may be trusted
     * @return the verifier of decisions
     */
    @Context
    @Order(Ordered.HIGHEST_PRECEDENCE) // refused at start, before topics are provisioned or read
    @Singleton
    public DecisionVerifier decisionVerifier(
            @Nullable @Value("${hitl.approval.decision-public-keys-file:}") final String file,
            final DevelopmentMode development) {
        final DecisionKeys.PublicKeys keys;
        if (file == null || file.isBlank()) {
            development.require(
                    "no decision public keys (the inbox would trust the development key)",
                    "HITL_DECISION_PUBLIC_KEYS_FILE (hitl.approval.decision-public-keys-file) to the deciders'"
                            + " public keys (a JWKS, bin/hitl-keys public DIR)");
            LOG.warn("The inbox trusts decisions signed with the development key (local environment only)");
            keys = DevelopmentKeys.publicKeys();
        } else {
            keys = DecisionKeys.readPublicKeys(Path.of(file.strip()));
            if (DevelopmentKeys.isTrustedBy(keys)) {
                development.require(
                        "the development public key among the decision public keys",
                        "HITL_DECISION_PUBLIC_KEYS_FILE to the deciders' own keys only");
            }
        }
        LOG.info(
                "The inbox closes requests only on decisions signed by {}",
                keys.byId().keySet());
        return new DecisionVerifier(keys);
    }
}
