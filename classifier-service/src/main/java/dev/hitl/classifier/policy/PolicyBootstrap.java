package dev.hitl.classifier.policy;

import dev.hitl.classifier.ClassifierSettings;
import dev.hitl.classifier.topology.ClassifierMetrics;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyException;
import dev.hitl.policy.PolicyParser;
import dev.hitl.policy.PolicySource;
import dev.hitl.schemas.PolicyDocument;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the policy at start: the file named by {@code hitl.classifier.policy-file} (or the bundled
 * default policy), validated, and published to {@code hitl.policy} unless that exact version is
 * there already. A file that does not validate is refused with its problems; the service then runs
 * on the latest valid version already published, and refuses to start only when there is none.
 */
@Factory
public class PolicyBootstrap {

    private static final Logger LOG = LoggerFactory.getLogger(PolicyBootstrap.class);

    /**
     * @param settings where the policy file is
     * @param publisher publishes and reads {@code hitl.policy}
     * @param metrics the classifier's metrics
     * @return the policy in force, kept current from {@code hitl.policy} by the topology
     */
    @Singleton
    public PolicySource policySource(
            final ClassifierSettings settings, final PolicyPublisher publisher, final ClassifierMetrics metrics) {
        final String yaml =
                settings.getPolicyFile() == null || settings.getPolicyFile().isBlank()
                        ? DefaultPolicy.yaml()
                        : read(Path.of(settings.getPolicyFile()));
        try {
            final Policy policy = PolicyParser.parse(yaml);
            final Optional<PolicyDocument> published = publisher.latest(policy.name());
            if (published.map(p -> p.getSha256().equals(policy.sha256())).orElse(false)) {
                LOG.info("Policy '{}' version {} is already published", policy.name(), policy.version());
            } else {
                publisher.publish(policy, settings.getPublishedBy());
                LOG.info(
                        "Published policy '{}' version {} (was {})",
                        policy.name(),
                        policy.version(),
                        published.map(PolicyDocument::getVersion).orElse("none"));
            }
            return new PolicySource(policy, metrics.policyListener());
        } catch (PolicyException refused) {
            final String name = settings.getPolicyFile();
            LOG.error("Refused the policy file {}: {}", name, refused.getMessage());
            final Policy fallback = latestValid(publisher, yaml)
                    .orElseThrow(() -> new IllegalStateException(
                            "The policy file " + name + " is invalid and no valid policy is published. "
                                    + refused.getMessage(),
                            refused));
            LOG.warn("Running on the published policy '{}' version {}", fallback.name(), fallback.version());
            return new PolicySource(fallback, metrics.policyListener());
        }
    }

    private static Optional<Policy> latestValid(final PolicyPublisher publisher, final String refusedYaml) {
        final String name = guessName(refusedYaml).orElse(DefaultPolicy.load().name());
        return publisher.latest(name).flatMap(document -> {
            try {
                return Optional.of(PolicyParser.parse(document.getYaml()));
            } catch (PolicyException e) {
                return Optional.empty();
            }
        });
    }

    /** The {@code name:} line of a document too broken to parse, if it has one. */
    private static Optional<String> guessName(final String yaml) {
        return yaml.lines()
                .filter(line -> line.startsWith("name:"))
                .map(line -> line.substring("name:".length()).trim().replace("\"", ""))
                .filter(name -> !name.isEmpty())
                .findFirst();
    }

    private static String read(final Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the policy file " + file, e);
        }
    }
}
