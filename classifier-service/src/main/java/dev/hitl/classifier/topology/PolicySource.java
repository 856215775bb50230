package dev.hitl.classifier.topology;

import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyEvaluator;
import dev.hitl.policy.PolicyException;
import dev.hitl.policy.PolicyParser;
import dev.hitl.schemas.PolicyDocument;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy in force: the latest valid version of the named policy on {@code hitl.policy}, or
 * the one loaded at start until the topic has one. A new version takes effect with the next
 * proposal, without a restart; a version that does not validate is refused (logged once, with its
 * problems) and the running policy stays. Shared by the stream threads; thread-safe.
 */
public final class PolicySource {

    private static final Logger LOG = LoggerFactory.getLogger(PolicySource.class);

    private final String name;
    private final ClassifierMetrics metrics;
    private final Set<String> refused = new HashSet<>();
    private volatile PolicyEvaluator current;

    /**
     * @param initial the policy loaded at start
     * @param metrics where refusals are counted
     */
    public PolicySource(final Policy initial, final ClassifierMetrics metrics) {
        this.name = initial.name();
        this.current = new PolicyEvaluator(initial);
        this.metrics = metrics;
        metrics.policyInForce(initial.version());
    }

    /** @return the policy's name: its key on {@code hitl.policy} */
    public String name() {
        return name;
    }

    /** @return the evaluator of the policy in force */
    public PolicyEvaluator current() {
        return current;
    }

    /**
     * Moves to the published version when it differs from the one in force and validates.
     *
     * @param published the latest record for this policy on {@code hitl.policy}, or null
     * @return the evaluator in force afterwards
     */
    public PolicyEvaluator update(final PolicyDocument published) {
        final PolicyEvaluator inForce = current;
        if (published == null || published.getSha256().equals(inForce.policy().sha256())) {
            return inForce;
        }
        synchronized (this) {
            if (published.getSha256().equals(current.policy().sha256()) || refused.contains(published.getSha256())) {
                return current;
            }
            try {
                final Policy policy = PolicyParser.parse(published.getYaml());
                current = new PolicyEvaluator(policy);
                metrics.policyInForce(policy.version());
                LOG.info(
                        "Policy '{}' version {} is now in force (was {})",
                        name,
                        policy.version(),
                        inForce.policy().version());
            } catch (PolicyException e) {
                refused.add(published.getSha256());
                metrics.policyRefused();
                LOG.error(
                        "Refused policy '{}' version {} published by {}; version {} stays in force. {}",
                        name,
                        published.getVersion(),
                        published.getPublishedBy(),
                        current.policy().version(),
                        e.getMessage());
            }
            return current;
        }
    }
}
