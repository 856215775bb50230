package dev.hitl.approval.notify;

import dev.hitl.approval.inbox.Inbox;
import dev.hitl.approval.inbox.InboxMaterializer;
import dev.hitl.approval.slack.SlackSettings;
import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.runtime.metrics.ClientMetricsBinder;
import dev.hitl.schemas.ApprovalRequest;
import dev.hitl.schemas.Reminder;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import io.micrometer.core.instrument.MeterRegistry;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Value;
import io.micronaut.core.annotation.Nullable;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells reviewer groups of opened, escalated and re-opened (modified) requests, and reminds them of
 * requests still open as the deadline nears: a Slack-compatible webhook and plain-text e-mail, as
 * configured per group. Sent once per request id (one request per stage, escalation level and
 * version of the action), and once per reminder id ({@code requestId:reminder:N}, written once by the
 * escalation service on {@code hitl.approvals.reminders} when the route's {@code remindAt} fraction
 * of the deadline passed):
 *
 * <ul>
 *   <li>Only one instance notifies a request or a reminder: the one that owns its partition in the
 *       consumer group {@code <namespace>-approval-notifier} on {@code hitl.approvals.requests} and
 *       {@code hitl.approvals.reminders}.
 *   <li>Offsets are committed only after every notification of a poll was delivered or given up, so
 *       a restart resumes after the last notified request, not at the start of the topic.
 *   <li>Each process remembers the request and reminder ids it notified (bounded), so a record read
 *       twice (a replay, a duplicate) is not notified twice.
 *   <li>A crash between delivery and commit repeats those notifications once; receivers get the
 *       request id (a reminder: its reminder id) as the idempotency key ({@code Idempotency-Key}
 *       header and {@code requestId} (or {@code reminderId}) field of the webhook, {@code Message-ID}
 *       / {@code X-Hitl-Request-Id} of the mail) to drop repeats.
 * </ul>
 *
 * Requests (and reminders of requests) already decided, superseded by a later escalation level or
 * version, or past their deadline are not notified. Each channel is retried with exponential backoff (bounded), and every outcome counts in
 * {@code hitl.approval.notifications{channel,result}} (result: sent, retry, failed, skipped). All of
 * it runs on the notifier's own threads: it never blocks the inbox or the API.
 */
@Context
public class Notifier {

    /** The webhook channel. */
    public static final String WEBHOOK = "webhook";

    /** The e-mail channel. */
    public static final String EMAIL = "email";

    /** The metric. */
    public static final String METRIC = "hitl.approval.notifications";

    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);

    private final NotificationSettings settings;
    private final Map<String, GroupNotificationSettings> groups = new HashMap<>();
    private final SmtpSettings smtp;
    private final boolean slackButtons;
    private final String publicUrl;
    private final InboxMaterializer materializer;
    private final MeterRegistry meters;
    private final Clock clock = Clock.systemUTC();
    private final Map<String, Boolean> notified;
    private final WebhookSender webhook;
    private final MailSender mail;
    private final ExecutorService executor;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Deserializer<?> reader;
    private final Deserializer<?> reminderReader;
    private final String topic;
    private final String remindersTopic;
    private final Thread thread;
    private volatile boolean running = true;
    private final AutoCloseable consumerMeters;

    /**
     * @param settings retries, timeouts
     * @param groups where each group hears of requests
     * @param smtp the mail server
     * @param publicUrl where reviewers reach this service (for the card links)
     * @param provisioned the topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param materializer the inbox (to skip decided and superseded requests)
     * @param meters the metrics
     * @param clientMetrics exports the consumer's metrics ({@code client.role=notifier}), when metrics are on
     * @param slack Slack approvals: when configured, webhooks carry the Approve and Reject buttons
     */
    public Notifier(
            final NotificationSettings settings,
            final List<GroupNotificationSettings> groups,
            final SmtpSettings smtp,
            @Value("${hitl.approval.public-url:`http://127.0.0.1:8093`}") final String publicUrl,
            final ProvisionedTopics provisioned,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final InboxMaterializer materializer,
            final MeterRegistry meters,
            @Nullable final ClientMetricsBinder clientMetrics,
            final SlackSettings slack) {
        this.settings = settings;
        this.slackButtons = slack.enabled();
        groups.forEach(g -> this.groups.put(g.getGroup(), g));
        this.smtp = smtp;
        this.publicUrl = publicUrl;
        this.materializer = materializer;
        this.meters = meters;
        final int remember = settings.getRememberRequests();
        this.notified = new LinkedHashMap<>(256, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(final Map.Entry<String, Boolean> eldest) {
                return size() > remember;
            }
        };
        this.webhook = new WebhookSender(settings.getTimeout());
        this.mail = new MailSender(smtp, settings.getTimeout());
        final AtomicInteger n = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(settings.getThreads(), r -> {
            final Thread t = new Thread(r, "approval-notify-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        final Topic<String, ApprovalRequest> requests = provisioned.catalogue().approvalsRequests();
        this.topic = requests.name();
        this.reader = serdes.valueSerde(requests).deserializer();
        final Topic<String, Reminder> reminders = provisioned.catalogue().approvalsReminders();
        this.remindersTopic = reminders.name();
        this.reminderReader = serdes.valueSerde(reminders).deserializer();
        final Map<String, Object> config = KafkaClientSettings.consumer(kafka);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, provisioned.catalogue().namespace() + "-approval-notifier");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 50);
        // A poll's notifications are awaited before the next poll: retries are bounded well below this.
        config.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 600_000);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "approval-notifier");
        thread.setDaemon(true);
        this.consumerMeters = clientMetrics == null || !settings.isEnabled()
                ? () -> {}
                : clientMetrics.bind("notifier", consumer::metrics);
        if (settings.isEnabled()) {
            thread.start();
        } else {
            consumer.close();
        }
    }

    private void run() {
        try {
            // Decided and superseded requests are skipped, so first let the inbox read what is there.
            while (running && !materializer.awaitCaughtUp(Duration.ofMillis(500))) {
                LOG.debug("Notifier waiting for the inbox to catch up");
            }
            consumer.subscribe(List.of(topic, remindersTopic));
            while (running) {
                final ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(300));
                if (records.isEmpty()) {
                    continue;
                }
                final List<CompletableFuture<Void>> pending = new ArrayList<>();
                for (final ConsumerRecord<byte[], byte[]> record : records) {
                    read(record).ifPresent(notice -> {
                        if (notified.put(notice.key(), Boolean.TRUE) == null) {
                            for (final Runnable delivery : deliveries(notice)) {
                                pending.add(CompletableFuture.runAsync(delivery, executor));
                            }
                        }
                    });
                }
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                        .join();
                try {
                    consumer.commitSync();
                } catch (CommitFailedException e) {
                    LOG.warn("Notifier could not commit (the group rebalanced); a few notifications may repeat", e);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            LOG.error("The notifier stopped", e);
        } finally {
            try {
                consumerMeters.close();
            } catch (Exception e) {
                LOG.warn("Could not remove the notifier consumer's meters", e);
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * What one record asks to tell a group: a request, or a reminder of one.
     *
     * @param request the request (a reminder's: as it stood when the reminder was due)
     * @param reminder the reminder, or null for the request itself
     */
    private record Notice(ApprovalRequest request, Reminder reminder) {

        /** @return the idempotency key: the request id, or the reminder id */
        String key() {
            return reminder == null ? request.getRequestId() : reminder.getReminderId();
        }
    }

    private Optional<Notice> read(final ConsumerRecord<byte[], byte[]> record) {
        try {
            if (remindersTopic.equals(record.topic())) {
                final Object value = reminderReader.deserialize(record.topic(), record.headers(), record.value());
                return value instanceof Reminder reminder && reminder.getRequest() != null
                        ? Optional.of(new Notice(reminder.getRequest(), reminder))
                        : Optional.empty();
            }
            final Object value = reader.deserialize(record.topic(), record.headers(), record.value());
            return value instanceof ApprovalRequest request ? Optional.of(new Notice(request, null)) : Optional.empty();
        } catch (RuntimeException e) {
            LOG.warn(
                    "Notifier skipped an unreadable record at {}-{}@{}",
                    record.topic(),
                    record.partition(),
                    record.offset());
            return Optional.empty();
        }
    }

    /** The notifications a request or reminder needs, one per configured channel of its group (none when stale). */
    private List<Runnable> deliveries(final Notice notice) {
        final ApprovalRequest request = notice.request();
        final Reminder reminder = notice.reminder();
        final GroupNotificationSettings target;
        try {
            target = groups.get(NotificationMessages.group(request));
        } catch (RuntimeException e) {
            LOG.warn("Request {} names no valid stage; not notified", request.getRequestId());
            return List.of();
        }
        if (target == null) {
            return List.of();
        }
        final boolean hook =
                target.getWebhookUrl() != null && !target.getWebhookUrl().isBlank();
        final boolean email = !target.getEmailTo().isEmpty() && smtp.configured();
        if (!hook && !email) {
            return List.of();
        }
        if (!stillWaiting(request)) {
            if (hook) {
                count(WEBHOOK, "skipped");
            }
            if (email) {
                count(EMAIL, "skipped");
            }
            return List.of();
        }
        final String card =
                NotificationMessages.cardUrl(publicUrl, request.getAction().getActionId());
        final List<Runnable> deliveries = new ArrayList<>();
        final String key = notice.key();
        if (hook) {
            final boolean buttons = slackButtons && target.isSlackButtons();
            final String json = reminder == null
                    ? NotificationMessages.webhookJson(request, card, buttons)
                    : NotificationMessages.reminderWebhookJson(reminder, card, buttons);
            deliveries.add(() -> deliver(WEBHOOK, key, () -> webhook.send(target.getWebhookUrl(), key, json)));
        }
        if (email) {
            final String subject = reminder == null
                    ? NotificationMessages.mailSubject(request)
                    : NotificationMessages.reminderMailSubject(reminder);
            final String text = reminder == null
                    ? NotificationMessages.mailText(request, card)
                    : NotificationMessages.reminderMailText(reminder, card);
            deliveries.add(() -> deliver(EMAIL, key, () -> mail.send(target.getEmailTo(), key, subject, text)));
        }
        return deliveries;
    }

    /**
     * Decided, superseded by a later level or version of the action, or past its deadline: nobody
     * needs to hear of it now.
     */
    private boolean stillWaiting(final ApprovalRequest request) {
        final Inbox inbox = materializer.inbox();
        final String actionId = request.getAction().getActionId();
        if (inbox.isClosed(actionId) || request.getDeadline().isBefore(clock.instant())) {
            return false;
        }
        return inbox.item(actionId)
                .map(item -> !Inbox.superseded(item, request))
                .orElse(true);
    }

    @FunctionalInterface
    private interface Attempt {
        void run() throws DeliveryException, InterruptedException;
    }

    private void deliver(final String channel, final String key, final Attempt attempt) {
        for (int failures = 0; ; ) {
            try {
                attempt.run();
                count(channel, "sent");
                return;
            } catch (DeliveryException e) {
                failures++;
                if (!e.retryable() || failures >= settings.getMaxAttempts() || !running) {
                    count(channel, "failed");
                    LOG.warn(
                            "Gave up notifying {} of request {} after {} attempt(s): {}",
                            channel,
                            key,
                            failures,
                            e.getMessage());
                    return;
                }
                count(channel, "retry");
                LOG.info("Notifying {} of request {} failed ({}); retrying", channel, key, e.getMessage());
                try {
                    Thread.sleep(settings.backoff(failures).toMillis());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    count(channel, "failed");
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                count(channel, "failed");
                return;
            } catch (RuntimeException e) {
                count(channel, "failed");
                LOG.warn("Notifying {} of request {} failed", channel, key, e);
                return;
            }
        }
    }

    private void count(final String channel, final String result) {
        meters.counter(METRIC, "channel", channel, "result", result).increment();
    }

    /** Stops after the current poll's notifications, commits, and leaves the group. */
    @PreDestroy
    public void close() {
        running = false;
        try {
            thread.join(15_000);
            if (thread.isAlive()) {
                consumer.wakeup();
                thread.join(5_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }
}
