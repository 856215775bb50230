package dev.hitl.classifier;

import dev.hitl.classifier.topology.AgentAuthenticator;
import dev.hitl.classifier.topology.ClassifierMetrics;
import dev.hitl.classifier.topology.ClassifierTopology;
import dev.hitl.classifier.topology.DecisionFactory;
import dev.hitl.classifier.topology.ProposalValidator;
import dev.hitl.classifier.topology.RiskModel;
import dev.hitl.classifier.topology.RiskModelGate;
import dev.hitl.policy.PolicySource;
import dev.hitl.runtime.DevelopmentMode;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.DecisionSigner;
import dev.hitl.schemas.integrity.DecisionVerifier;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.tracing.HopTracer;
import io.micronaut.configuration.kafka.streams.ConfiguredStreamBuilder;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.time.Clock;
import java.util.Optional;
import org.apache.kafka.streams.kstream.KStream;

/** Wires {@link ClassifierTopology} into Micronaut's Kafka Streams (settings under {@code kafka.streams.default}). */
@Factory
public class ClassifierStreamFactory {

    /**
     * @param settings the classifier's settings
     * @param metrics the classifier's metrics
     * @param model a model-based risk scorer bean, if the application defines one
     * @return the gate that asks the model with a time limit
     */
    @Singleton
    @Bean(preDestroy = "close")
    public RiskModelGate riskModelGate(
            final ClassifierSettings settings, final ClassifierMetrics metrics, final Optional<RiskModel> model) {
        return new RiskModelGate(model.orElse(RiskModel.NONE), settings.getRiskModelTimeout(), metrics);
    }

    /**
     * @param settings where the operators' master secret is
     * @param development whether the development secret may be used
     * @return authenticates proposals and withdrawals; derives the credentials the operator API issues
     */
    @Singleton
    public AgentAuthenticator agentAuthenticator(
            final AgentCredentialsSettings settings, final DevelopmentMode development) {
        return new AgentAuthenticator(settings.masterSecret(development));
    }

    /**
     * @param builder Micronaut's configured stream builder
     * @param topics the provisioned topics (so the stream starts only once they exist)
     * @param serdes their serdes
     * @param policy the policy in force
     * @param signer signs decisions
     * @param settings the classifier's settings
     * @param gate the risk model gate
     * @param metrics the classifier's metrics
     * @param agents authenticates proposals and withdrawals
     * @param deciders the deciders' public keys (this service's own and {@code
     *     HITL_DECISION_PUBLIC_KEYS_FILE}): only human decisions that verify with them make track records
     * @param tracer the service's hop tracer (no-op unless the OTEL_* settings switch traces on)
     * @return the proposals stream
     */
    @Singleton
    public KStream<byte[], byte[]> classifierStream(
            final ConfiguredStreamBuilder builder,
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final PolicySource policy,
            final DecisionSigner signer,
            final ClassifierSettings settings,
            final RiskModelGate gate,
            final ClassifierMetrics metrics,
            final AgentAuthenticator agents,
            final DecisionKeys.PublicKeys deciders,
            final HopTracer tracer) {
        return ClassifierTopology.build(
                builder,
                new ClassifierTopology.Dependencies(
                        topics.catalogue(),
                        serdes,
                        policy,
                        new DecisionFactory(signer),
                        new ProposalValidator(settings.getMaxProposalBytes()),
                        gate,
                        Clock.systemUTC(),
                        settings.getRememberIdsFor(),
                        metrics,
                        agents,
                        new DecisionVerifier(deciders),
                        tracer));
    }
}
