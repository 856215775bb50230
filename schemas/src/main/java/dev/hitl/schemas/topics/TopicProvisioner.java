package dev.hitl.schemas.topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the catalogue's topics that are missing and checks the ones that exist, at service
 * start. Idempotent, and safe when several instances start at once (a topic created by another
 * instance in between is checked, not recreated).
 *
 * <p>An existing topic must have the catalogue's partition count and every enforced config (such
 * as the audit log's infinite retention); otherwise {@link #ensure} fails with {@link
 * TopicConfigurationException} listing every difference, rather than letting a service run on a
 * topic that would, say, compact or delete the audit log.
 */
public final class TopicProvisioner {

    private static final Logger LOG = LoggerFactory.getLogger(TopicProvisioner.class);

    private final Admin admin;
    private final Optional<Short> replicationFactor;
    private final Duration timeout;

    /**
     * @param admin the admin client to use (not closed here)
     * @param replicationFactor replicas of new topics; empty for the broker's default
     * @param timeout how long each admin call may take
     */
    public TopicProvisioner(final Admin admin, final Optional<Short> replicationFactor, final Duration timeout) {
        this.admin = admin;
        this.replicationFactor = replicationFactor;
        this.timeout = timeout;
    }

    /**
     * Creates the missing topics and checks all.
     *
     * @param topics the topics to ensure
     * @return the names of the topics this call created
     * @throws TopicConfigurationException when an existing topic differs from the catalogue
     * @throws KafkaException when the cluster cannot be asked in time
     */
    public List<String> ensure(final Collection<Topic<?, ?>> topics) {
        final Set<String> existing = call(admin.listTopics().names(), "list topics");
        final List<NewTopic> missing = topics.stream()
                .filter(t -> !existing.contains(t.name()))
                .map(t -> new NewTopic(t.name(), Optional.of(t.partitions()), replicationFactor).configs(t.config()))
                .toList();
        final List<String> created = new ArrayList<>();
        if (!missing.isEmpty()) {
            admin.createTopics(missing).values().forEach((name, future) -> {
                try {
                    future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                    created.add(name);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new KafkaException(
                                "cannot create topic " + name + ": "
                                        + e.getCause().getMessage(),
                                e.getCause());
                    }
                    // created by another instance meanwhile: checked below like any existing topic
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new KafkaException("interrupted while creating topic " + name, e);
                } catch (TimeoutException e) {
                    throw new KafkaException("creating topic " + name + " took longer than " + timeout, e);
                }
            });
            LOG.info("Created topics {}", created);
        }
        verify(topics);
        return List.copyOf(created);
    }

    /**
     * Checks the topics without creating any: for installations whose topics an operator manages.
     *
     * @param topics the topics to check
     * @return an empty list (nothing created)
     * @throws TopicConfigurationException when a topic is missing or differs from the catalogue
     */
    public List<String> check(final Collection<Topic<?, ?>> topics) {
        final Set<String> existing = call(admin.listTopics().names(), "list topics");
        final List<String> missing = topics.stream()
                .map(Topic::name)
                .filter(name -> !existing.contains(name))
                .toList();
        if (!missing.isEmpty()) {
            throw new TopicConfigurationException(
                    missing.stream().map(name -> name + " does not exist").toList());
        }
        return verify(topics);
    }

    private List<String> verify(final Collection<Topic<?, ?>> topics) {
        final List<String> names = topics.stream().map(Topic::name).toList();
        final Map<String, TopicDescription> descriptions = describe(names);
        final List<ConfigResource> resources = names.stream()
                .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n))
                .toList();
        final Map<ConfigResource, Config> configs =
                call(admin.describeConfigs(resources).all(), "describe topic configs");
        final List<String> problems = new ArrayList<>();
        for (final Topic<?, ?> topic : topics) {
            final int partitions = descriptions.get(topic.name()).partitions().size();
            if (partitions != topic.partitions()) {
                problems.add(
                        topic.name() + " has " + partitions + " partitions, the catalogue says " + topic.partitions());
            }
            final Config config = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, topic.name()));
            for (final String key : topic.enforced()) {
                final ConfigEntry entry = config.get(key);
                final String actual = entry == null ? null : entry.value();
                final String expected = topic.config().get(key);
                if (!expected.equals(actual)) {
                    problems.add(topic.name() + " has " + key + "=" + actual + ", the catalogue requires " + expected);
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new TopicConfigurationException(problems);
        }
        return List.of();
    }

    /** Describes topics, waiting while new ones are still propagating to the broker's metadata. */
    private Map<String, TopicDescription> describe(final List<String> names) {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return admin.describeTopics(names).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException) || System.nanoTime() > deadline) {
                    throw new KafkaException(
                            "cannot describe topics: " + e.getCause().getMessage(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaException("interrupted while describing topics", e);
            } catch (TimeoutException e) {
                throw new KafkaException("could not describe topics within " + timeout, e);
            }
            try {
                Thread.sleep(100); // new topics reach the metadata cache within milliseconds
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KafkaException("interrupted while waiting for new topics", e);
            }
        }
    }

    private <T> T call(final org.apache.kafka.common.KafkaFuture<T> future, final String what) {
        try {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new KafkaException("cannot " + what + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while trying to " + what, e);
        } catch (TimeoutException e) {
            throw new KafkaException("could not " + what + " within " + timeout + ": is the cluster reachable?", e);
        }
    }

    /** Existing topics differ from the catalogue in ways that would break hitl's guarantees. */
    public static final class TopicConfigurationException extends KafkaException {
        private static final long serialVersionUID = 1L;

        private final List<String> problems;

        /** @param problems each difference, in words */
        public TopicConfigurationException(final List<String> problems) {
            super("Existing topics differ from the hitl topic catalogue; fix them or point hitl at another namespace: "
                    + problems.stream().collect(Collectors.joining("; ")));
            this.problems = List.copyOf(problems);
        }

        /** @return each difference, in words */
        public List<String> problems() {
            return problems;
        }
    }
}
