package dev.hitl.policy;

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
    private final Listener listener;
    private final Set<String> refused = new HashSet<>();
    private volatile PolicyEvaluator current;

    /**
     * @param initial the policy loaded at start
     * @param listener told of each version taken into force and each refused
     */
    public PolicySource(final Policy initial, final Listener listener) {
        this.name = initial.name();
        this.current = new PolicyEvaluator(initial);
        this.listener = listener;
        listener.inForce(initial.version());
    }

    /** Told when the policy in force changes or a published version is refused (for metrics). */
    public interface Listener {
        /** Listens to nothing. */
        Listener NONE = new Listener() {};

        /** @param version the version now in force */
        default void inForce(String version) {}

        /** @param version a published version that did not validate */
        default void refused(String version) {}
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
                listener.inForce(policy.version());
                LOG.info(
                        "Policy '{}' version {} is now in force (was {})",
                        name,
                        policy.version(),
                        inForce.policy().version());
            } catch (PolicyException e) {
                refused.add(published.getSha256());
                listener.refused(published.getVersion());
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
