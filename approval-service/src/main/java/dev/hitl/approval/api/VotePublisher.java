package dev.hitl.approval.api;

import dev.hitl.runtime.KafkaClientSettings;
import dev.hitl.runtime.ProvisionedTopics;
import dev.hitl.runtime.metrics.ClientMetricsBinder;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.VoteSigner;
import dev.hitl.schemas.topics.Topic;
import dev.hitl.schemas.topics.TopicSerdes;
import dev.hitl.tracing.HitlAttributes;
import dev.hitl.tracing.HopSpans;
import dev.hitl.tracing.HopTracer;
import dev.hitl.tracing.TraceHeaders;
import io.micronaut.configuration.kafka.config.KafkaDefaultConfiguration;
import io.micronaut.core.annotation.Nullable;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;
import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Writes reviewers' votes to {@code hitl.approvals.votes} (idempotent producer, all replicas), each
 * signed as this service's registered voter ({@link VoteSigner}, {@code hitl.voter.*}). Every vote
 * the service publishes (the API, the web UI and batches, all through {@link VoteService}) passes
 * here, and is signed here as the last step before sending, so the signature covers exactly what is
 * sent.
 *
 * <p>Each vote is the {@code hitl vote} hop of the approval path (tracing README): a PRODUCER span in
 * a new trace, linked to the trace context of the request record the reviewer answered (a human's
 * wait lies between them), whose context the vote record carries in its {@code traceparent} header.
 * With tracing off no span is made and the record carries no trace context.
 */
@Singleton
public class VotePublisher {

    private final Topic<String, Vote> topic;
    private final KafkaProducer<String, Vote> producer;
    private final VoteSigner signer;
    private final AutoCloseable producerMeters;
    private final HopTracer tracer;

    /**
     * @param topics the provisioned topics
     * @param serdes their serdes
     * @param kafka the {@code kafka.*} settings
     * @param signer signs each vote as this service's voter
     * @param clientMetrics exports the producer's metrics ({@code client.role=votes}), when metrics are on
     * @param tracer traces the vote hop (no-op unless the {@code OTEL_*} settings switch traces on)
     */
    public VotePublisher(
            final ProvisionedTopics topics,
            final TopicSerdes serdes,
            final KafkaDefaultConfiguration kafka,
            final VoteSigner signer,
            @Nullable final ClientMetricsBinder clientMetrics,
            final HopTracer tracer) {
        this.signer = signer;
        this.tracer = tracer;
        this.topic = topics.catalogue().approvalsVotes();
        final Map<String, Object> config = KafkaClientSettings.producer(kafka);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(
                config,
                serdes.keySerde(topic).serializer(),
                serdes.valueSerde(topic).serializer());
        this.producerMeters = clientMetrics == null ? () -> {} : clientMetrics.bind("votes", producer::metrics);
    }

    /**
     * Signs a vote as this service's voter, sends it and waits until Kafka has it; its span links to
     * nothing.
     *
     * @param vote the vote with every field set (not changed: the signed copy is sent)
     * @return the vote as sent: signed, with voterId, signatureKeyId and signatureAlgorithm
     */
    public Vote publish(final Vote vote) {
        return publish(vote, SpanContext.getInvalid(), null);
    }

    /**
     * Signs a vote as this service's voter, sends it and waits until Kafka has it.
     *
     * @param vote the vote with every field set (not changed: the signed copy is sent)
     * @param request the trace context of the request record the vote answers (the vote's span links
     *     to it), invalid when it carried none
     * @param tool the action's tool, for the GenAI tool-call attribute, or null
     * @return the vote as sent: signed, with voterId, signatureKeyId and signatureAlgorithm
     */
    public Vote publish(final Vote vote, final SpanContext request, @Nullable final String tool) {
        final Vote signed = signer.sign(vote);
        final SpanBuilder hop = tracer.hop(HopSpans.VOTE, SpanKind.PRODUCER, Context.root(), request)
                .setAttribute(HitlAttributes.ACTION_ID, signed.getActionId());
        if (tool != null) {
            hop.setAttribute(HitlAttributes.GEN_AI_TOOL_NAME, tool);
        }
        final Span span = hop.startSpan();
        try {
            final RecordHeaders headers = new RecordHeaders();
            TraceHeaders.inject(span, headers);
            producer.send(new ProducerRecord<>(topic.name(), null, signed.getActionId(), signed, headers))
                    .get(30, TimeUnit.SECONDS);
            return signed;
        } catch (ExecutionException e) {
            span.setStatus(StatusCode.ERROR);
            throw new KafkaException(
                    "the vote could not be recorded: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            span.setStatus(StatusCode.ERROR);
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while recording the vote", e);
        } catch (TimeoutException e) {
            span.setStatus(StatusCode.ERROR);
            throw new KafkaException("recording the vote took longer than 30 s", e);
        } finally {
            span.end();
        }
    }

    /** Closes the producer. */
    @PreDestroy
    public void close() {
        try {
            producerMeters.close();
        } catch (Exception e) {
            // the binder's own close removes them
        }
        producer.close(Duration.ofSeconds(5));
    }
}
