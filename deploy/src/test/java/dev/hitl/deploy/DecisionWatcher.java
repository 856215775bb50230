package dev.hitl.deploy;

import dev.hitl.schemas.Decision;
import dev.hitl.schemas.serde.AvroDeserializer;
import dev.hitl.schemas.serde.HttpSchemaRegistryClient;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Follows {@code hitl.decisions} (read_committed, every partition, from the beginning) while the
 * test runs: how far the run is, and the first decision of each action as it appears (the reviewer
 * tries to approve an action once it has timed out). The final verdict is {@link
 * DecisionVerifier}'s, which reads the topic again.
 */
final class DecisionWatcher implements AutoCloseable {

    private final KafkaConsumer<String, Decision> consumer;
    private final Map<String, Decision> first = new ConcurrentHashMap<>();
    private final AtomicLong records = new AtomicLong();
    private final Consumer<Decision> onFirst;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    DecisionWatcher(final String bootstrapServers, final String registryUrl, final Consumer<Decision> onFirst) {
        this.onFirst = onFirst;
        this.consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        "read_committed",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                AvroDeserializer.specific(HttpSchemaRegistryClient.forUrl(registryUrl), Decision.class));
        final String topic = TopicCatalogue.standard().decisions().name();
        final List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.thread = new Thread(this::run, "decision-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (final ConsumerRecord<String, Decision> record : consumer.poll(Duration.ofMillis(200))) {
                    records.incrementAndGet();
                    final Decision decision = record.value();
                    if (decision != null && first.putIfAbsent(decision.getActionId(), decision) == null) {
                        onFirst.accept(decision);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    /** @return whether the action has a decision */
    boolean isDecided(final String actionId) {
        return first.containsKey(actionId);
    }

    /** @return the first decision of the action, if one was read */
    java.util.Optional<Decision> decision(final String actionId) {
        checkAlive();
        return java.util.Optional.ofNullable(first.get(actionId));
    }

    /** @return how many actions have a decision */
    int decided() {
        checkAlive();
        return first.size();
    }

    /** @return how many decision records were read (more than {@link #decided} means duplicates) */
    long records() {
        return records.get();
    }

    private void checkAlive() {
        if (failure != null) {
            throw new IllegalStateException("the decision watcher failed", failure);
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
    }
}
