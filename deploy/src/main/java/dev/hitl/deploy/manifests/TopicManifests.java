package dev.hitl.deploy.manifests;

import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Writes the deployment files that list hitl's topics from the topic catalogue, so they cannot
 * drift from it: Strimzi {@code KafkaTopic} resources ({@code deploy/k8s/20-topics.yaml}) and the
 * topic creation script of the compose file ({@code deploy/compose/create-topics.sh}). A test checks
 * the committed files equal what this writes; run {@code main} with the deploy directory after a
 * catalogue change.
 */
public final class TopicManifests {

    /** Replicas of every topic in a production cluster. */
    public static final int REPLICAS = 3;

    /** In-sync replicas an acknowledged write needs. */
    public static final int MIN_INSYNC = 2;

    private TopicManifests() {}

    /** @return the Strimzi KafkaTopic resources for the standard catalogue */
    public static String strimziTopics() {
        final StringBuilder out = new StringBuilder(
                "# Generated from the topic catalogue by dev.hitl.deploy.manifests.TopicManifests: do not edit.\n");
        for (final Topic<?, ?> topic : TopicCatalogue.standard().all()) {
            out.append("---\n")
                    .append("apiVersion: kafka.strimzi.io/v1beta2\n")
                    .append("kind: KafkaTopic\n")
                    .append("metadata:\n")
                    .append("  name: ")
                    .append(topic.name().replace('.', '-'))
                    .append('\n')
                    .append("  namespace: hitl\n")
                    .append("  labels:\n")
                    .append("    strimzi.io/cluster: hitl\n")
                    .append("spec:\n")
                    .append("  topicName: ")
                    .append(topic.name())
                    .append('\n')
                    .append("  partitions: ")
                    .append(topic.partitions())
                    .append('\n')
                    .append("  replicas: ")
                    .append(REPLICAS)
                    .append('\n')
                    .append("  config:\n");
            config(topic)
                    .forEach((key, value) -> out.append("    ")
                            .append(key)
                            .append(": \"")
                            .append(value)
                            .append("\"\n"));
        }
        return out.toString();
    }

    /** @return the shell script that creates every topic with kafka-topics.sh */
    public static String createTopicsScript() {
        final StringBuilder out = new StringBuilder("#!/bin/sh\n"
                + "# Generated from the topic catalogue by dev.hitl.deploy.manifests.TopicManifests: do not edit.\n"
                + "# Creates hitl's topics (idempotent) on the compose cluster; run by the topics service.\n"
                + "set -e\n"
                + "BOOTSTRAP=\"${BOOTSTRAP:-kafka-1:9092}\"\n");
        for (final Topic<?, ?> topic : TopicCatalogue.standard().all()) {
            out.append("/opt/kafka/bin/kafka-topics.sh --bootstrap-server \"$BOOTSTRAP\" --create --if-not-exists")
                    .append(" --topic ")
                    .append(topic.name())
                    .append(" --partitions ")
                    .append(topic.partitions())
                    .append(" --replication-factor ")
                    .append(REPLICAS);
            config(topic)
                    .forEach((key, value) ->
                            out.append(" --config ").append(key).append('=').append(value));
            out.append('\n');
        }
        return out.toString();
    }

    private static Map<String, String> config(final Topic<?, ?> topic) {
        final Map<String, String> config = new TreeMap<>(topic.config());
        config.put("min.insync.replicas", String.valueOf(MIN_INSYNC));
        return config.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a, TreeMap::new));
    }

    /**
     * @param args the deploy directory (default {@code deploy})
     * @throws IOException when a file cannot be written
     */
    public static void main(final String[] args) throws IOException {
        final Path deploy = Path.of(args.length > 0 ? args[0] : "deploy");
        Files.writeString(deploy.resolve("k8s/20-topics.yaml"), strimziTopics());
        Files.writeString(deploy.resolve("compose/create-topics.sh"), createTopicsScript());
    }
}
