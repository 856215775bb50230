package dev.hitl.classifier.topology;

import dev.hitl.runtime.logging.HitlLogEncoder;
import dev.hitl.schemas.AgentRegistration;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.SpotCheckVerdict;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.integrity.SpotCheckAnswerVerifier;
import dev.hitl.schemas.integrity.VoteVerifier;
import dev.hitl.schemas.topics.TopicCatalogue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Reads reviewers' answers to spot checks ({@code hitl.spotchecks.answers}). An answer counts only
 * when a registered voter attests it ({@link SpotCheckAnswerVerifier}: signed, within the voter's
 * allowance), for a spot check this classifier opened, from a reviewer of the spot check's group
 * who is neither the person the agent acts for nor an owner of the agent. The first counted
 * SHOULD_HAVE_ASKED for an action is forwarded as a rejection for the agent's track record (keyed
 * by {@link TopicCatalogue#trustKey}); a RIGHTLY_AUTO_APPROVED changes nothing. Anything else is
 * counted and logged, never a failure.
 */
final class SpotCheckAnswerProcessor implements Processor<byte[], byte[], String, Decision> {

    private static final Logger LOG = LoggerFactory.getLogger(SpotCheckAnswerProcessor.class);

    private final ClassifierTopology.Dependencies deps;
    private final Deserializer<SpotCheckAnswer> reader;
    private ProcessorContext<String, Decision> context;
    private KeyValueStore<String, String> spotChecks;
    private TimestampedKeyValueStore<String, VoterRegistration> voters;
    private TimestampedKeyValueStore<String, AgentRegistration> registry;

    SpotCheckAnswerProcessor(final ClassifierTopology.Dependencies deps) {
        this.deps = deps;
        this.reader = deps.serdes().valueSerde(deps.topics().spotCheckAnswers()).deserializer();
    }

    @Override
    public void init(final ProcessorContext<String, Decision> context) {
        this.context = context;
        this.spotChecks = context.getStateStore(ClassifierTopology.SPOT_CHECKS_STORE);
        this.voters = context.getStateStore(ClassifierTopology.VOTERS_STORE);
        this.registry = context.getStateStore(ClassifierTopology.REGISTRY_STORE);
        context.schedule(Duration.ofHours(1), PunctuationType.WALL_CLOCK_TIME, now -> forgetOld());
    }

    @Override
    public void process(final Record<byte[], byte[]> record) {
        final String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        if (key != null) {
            MDC.put(HitlLogEncoder.ACTION_ID, key);
        }
        try {
            answer(key, record);
        } finally {
            MDC.remove(HitlLogEncoder.ACTION_ID);
        }
    }

    private void answer(final String key, final Record<byte[], byte[]> record) {
        final SpotCheckAnswer answer;
        try {
            answer = record.value() == null
                    ? null
                    : reader.deserialize(deps.topics().spotCheckAnswers().name(), record.headers(), record.value());
        } catch (RuntimeException e) {
            ignore("unreadable", key, null, "its bytes are not a SpotCheckAnswer: " + e.getMessage());
            return;
        }
        if (answer == null) {
            ignore("unreadable", key, null, "it has no value");
            return;
        }
        if (key == null || !key.equals(answer.getActionId())) {
            ignore("wrong_key", key, answer, "its record key is not its actionId " + answer.getActionId());
            return;
        }
        // Who answered comes from the voter that attests it, checked before anything the answer says.
        final VoteVerifier.Result authenticity = SpotCheckAnswerVerifier.verify(answer, voter(answer.getVoterId()));
        if (authenticity != VoteVerifier.Result.VALID) {
            ignore("unauthenticated", key, answer, authenticity.describe() + " (voter " + answer.getVoterId() + ")");
            return;
        }
        final String stored = spotChecks.get(key);
        if (stored == null) {
            ignore("unknown_action", key, answer, "this classifier opened no spot check for the action");
            return;
        }
        final SpotChecks.State state = SpotChecks.State.fromJson(stored);
        if (!answer.getGroups().contains(state.group())) {
            ignore(
                    "wrong_group",
                    key,
                    answer,
                    "the reviewer's groups " + answer.getGroups() + " do not include the spot check's group "
                            + state.group());
            return;
        }
        if (answer.getReviewer().equalsIgnoreCase(state.onBehalfOf())) {
            ignore("self_review", key, answer, answer.getReviewer() + " is the person the agent acted for");
            return;
        }
        if (owns(answer.getReviewer(), state.agentId())) {
            ignore("owner", key, answer, answer.getReviewer() + " owns agent " + state.agentId());
            return;
        }
        if (answer.getVerdict() != SpotCheckVerdict.SHOULD_HAVE_ASKED) {
            deps.metrics().spotCheckAnswer("rightly");
            LOG.info("Spot check of action {} answered by {}: rightly auto-approved", key, answer.getReviewer());
            return;
        }
        if (state.demotedBy() != null) {
            deps.metrics().spotCheckAnswer("already_demoted");
            LOG.info(
                    "Spot check of action {}: {} says it should have been asked; agent {} was demoted for it"
                            + " already (answer {})",
                    key,
                    answer.getReviewer(),
                    state.agentId(),
                    state.demotedBy());
            return;
        }
        spotChecks.put(key, state.demotedBy(answer.getAnswerId()).toJson());
        deps.metrics().spotCheckAnswer("should_have_asked");
        LOG.info(
                "Spot check of action {}: {} says it should have been asked; agent {} is rated as rejected for {}",
                key,
                answer.getReviewer(),
                state.agentId(),
                state.actionType());
        context.forward(new Record<>(
                TopicCatalogue.trustKey(state.agentId(), state.actionType()),
                SpotChecks.rejection(
                        key, state, answer.getReviewer(), deps.clock().instant()),
                record.timestamp()));
    }

    private void ignore(final String result, final String key, final SpotCheckAnswer answer, final String why) {
        deps.metrics().spotCheckAnswer(result);
        LOG.warn(
                "Ignored an answer to the spot check of action {} by {} (voter {}): {}",
                key,
                answer == null ? null : answer.getReviewer(),
                answer == null ? null : answer.getVoterId(),
                why);
    }

    /** Forgets spot checks older than {@link ClassifierTopology#SPOT_CHECKS_ANSWERABLE_FOR}. */
    private void forgetOld() {
        final long cutoff = deps.clock()
                .instant()
                .minus(ClassifierTopology.SPOT_CHECKS_ANSWERABLE_FOR)
                .toEpochMilli();
        final List<String> old = new ArrayList<>();
        try (KeyValueIterator<String, String> all = spotChecks.all()) {
            while (all.hasNext()) {
                final KeyValue<String, String> entry = all.next();
                if (SpotChecks.State.fromJson(entry.value).sampledAt() < cutoff) {
                    old.add(entry.key);
                }
            }
        }
        old.forEach(spotChecks::delete);
    }

    private VoterRegistration voter(final String voterId) {
        final ValueAndTimestamp<VoterRegistration> registered = voterId == null ? null : voters.get(voterId);
        return registered == null ? null : registered.value();
    }

    private boolean owns(final String person, final String agentId) {
        final ValueAndTimestamp<AgentRegistration> registered = agentId == null ? null : registry.get(agentId);
        return registered != null
                && registered.value() != null
                && registered.value().getOwners().stream().anyMatch(person::equalsIgnoreCase);
    }
}
