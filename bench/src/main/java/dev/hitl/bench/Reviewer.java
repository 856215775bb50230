package dev.hitl.bench;

import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A reviewer app on the topics, as the design allows one: reads {@code hitl.approvals.requests}
 * (read_committed) and approves every request the moment it sees it, writing a {@code Vote} for
 * the request's stage and escalation level to {@code hitl.approvals.votes}, signed as the registered
 * voter {@link BenchStack#REVIEWER_VOTER} (Ed25519, on this thread, as a reviewer app signs). Records
 * when each vote was sent, so the drivers can time vote to decision.
 */
final class Reviewer implements AutoCloseable {

    /** When each action's vote was handed to the producer (System.nanoTime()). */
    final Map<String, Long> votedAt = new ConcurrentHashMap<>();

    final AtomicLong requests = new AtomicLong();
    private final KafkaConsumer<String, ApprovalRequest> consumer;
    private final KafkaProducer<String, Vote> producer;
    private final BenchStack stack;
    private final Thread thread;
    private volatile boolean running = true;
    private final int maxThinkMillis;
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();

    Reviewer(final BenchStack stack) {
        this(stack, 0);
    }

    /**
     * @param stack the stack
     * @param maxThinkMillis each vote is sent after a random think time from 0 to this (0: at once).
     *     Voting at once phase-locks the vote to the escalation service's commit (the request becomes
     *     visible at a commit, so the vote always arrives just after one and waits a whole commit
     *     interval); people vote at random moments.
     */
    Reviewer(final BenchStack stack, final int maxThinkMillis) {
        this.stack = stack;
        this.maxThinkMillis = maxThinkMillis;
        final Map<String, Object> consumerConfig = stack.readCommittedConsumerConfig();
        consumerConfig.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2000);
        this.consumer = new KafkaConsumer<>(
                consumerConfig,
                new StringDeserializer(),
                stack.serdes.valueSerde(stack.topics.approvalsRequests()).deserializer());
        final Map<String, Object> config = stack.producerConfig();
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        this.producer = new KafkaProducer<>(
                config,
                new StringSerializer(),
                stack.serdes.valueSerde(stack.topics.approvalsVotes()).serializer());
        final String topic = stack.topics.approvalsRequests().name();
        final List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        this.thread = new Thread(this::run, "bench-reviewer");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (final ConsumerRecord<String, ApprovalRequest> record : consumer.poll(Duration.ofMillis(100))) {
                    final ApprovalRequest request = record.value();
                    if (request == null) {
                        continue;
                    }
                    requests.incrementAndGet();
                    final String actionId = request.getAction().getActionId();
                    final Vote vote = stack.reviewerVoter.sign(Vote.newBuilder()
                            .setVoteId(UUID.randomUUID().toString())
                            .setActionId(actionId)
                            .setApprover(BenchStack.REVIEWER)
                            .setGroups(List.of(request.getRoute()
                                    .getStages()
                                    .get(request.getStageIndex())
                                    .getGroup()))
                            .setVerdict(Verdict.APPROVE)
                            .setVotedAt(Instant.now())
                            .setRequestId(request.getRequestId())
                            .setStageIndex(request.getStageIndex())
                            .setRequestVersion(request.getEscalationLevel())
                            .setActionVersion(request.getActionVersion())
                            .setArgumentsHash(request.getArgumentsHash())
                            .build());
                    if (maxThinkMillis == 0) {
                        send(actionId, vote);
                    } else {
                        later.schedule(
                                () -> send(actionId, vote),
                                ThreadLocalRandom.current().nextInt(maxThinkMillis + 1),
                                TimeUnit.MILLISECONDS);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            consumer.close();
        }
    }

    private void send(final String actionId, final Vote vote) {
        votedAt.putIfAbsent(actionId, System.nanoTime());
        producer.send(new ProducerRecord<>(stack.topics.approvalsVotes().name(), actionId, vote));
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(10_000);
        later.shutdown();
        later.awaitTermination(10, TimeUnit.SECONDS);
        producer.close(Duration.ofSeconds(5));
    }
}
