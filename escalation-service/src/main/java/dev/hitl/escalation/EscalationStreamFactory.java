package dev.hitl.escalation;

import dev.hitl.escalation.topology.EscalationMetrics;
import dev.hitl.escalation.topology.EscalationTopology;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.PolicySource;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.tracing.HopTracer;
import io.micronaut.configuration.kafka.streams.ConfiguredStreamBuilder;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.time.Clock;
import org.apache.kafka.streams.kstream.KStream;

/**
 * Wires {@link EscalationTopology} into Micronaut's Kafka Streams (settings under {@code
 * kafka.streams.default}). The policy in force is the latest valid version on {@code hitl.policy}
 * (published by the classifier); the bundled default applies only until one is published.
 */
@Factory
public class EscalationStreamFactory {

    /**
     * @param metrics the service's metrics
     * @return the policy in force
     */
    @Singleton
    public PolicySource policySource(final MicrometerEscalationMetrics metrics) {
        return new PolicySource(DefaultPolicy.load(), metrics.policyListener());
    }

    /**
     * @param builder Micronaut's configured stream builder
     * @param topics the provisioned topics (so the stream starts only once they exist)
     * @param serdes their serdes
     * @param policy the policy in force
     * @param signer signs decisions
     * @param settings the service's settings
     * @param metrics the service's metrics
     * @param tracer the service's hop tracer (no-op unless the OTEL_* settings switch traces on)
     * @return the merged stream of pending actions and votes
     */
    @Singleton
    public KStream<String, ?> escalationStream(
            final ConfiguredStreamBuilder builder,
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final PolicySource policy,
            final DecisionSigner signer,
            final EscalationSettings settings,
            final EscalationMetrics metrics,
            final HopTracer tracer) {
        return EscalationTopology.build(
                builder,
                new EscalationTopology.Dependencies(
                        topics.catalogue(),
                        serdes,
                        policy,
                        signer,
                        Clock.systemUTC(),
                        settings.getDeadlineCheckEvery(),
                        metrics,
                        tracer));
    }
}
