package dev.hitl.approval.inbox;

import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.integrity.SpotCheckAnswerVerifier;
import dev.hitl.schemas.integrity.VoteVerifier;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The spot checks of auto-approved actions waiting for an answer ({@code hitl.spotchecks}), as
 * {@link InboxMaterializer} reads them, and the answers given to them ({@code
 * hitl.spotchecks.answers}). A spot check never blocks or decides anything: it is a separate list
 * from the approval inbox.
 *
 * <p>A spot check leaves the list once it has an answer that counts for it: signed by a voter the
 * voter registry holds ({@link SpotCheckAnswerVerifier}) and naming the spot check's review group (a
 * forged answer on the topic hides nothing). Memory is bounded: at most {@value #MAX_OPEN} open
 * spot checks (when more arrive, the ones sampled longest ago are forgotten first), none older than
 * {@link #REMEMBER} (by {@code sampledAt}), and the answers of at most {@value #MAX_ANSWERED}
 * actions, each for {@link #REMEMBER}, at most {@value #MAX_ANSWERS_PER_ACTION} per action.
 * Thread-safe: one writer (the materializer's thread, and a reviewer's own answer as it is
 * published), any number of readers.
 */
public final class SpotChecks {

    /** How long a spot check waits for an answer, and how long answers are remembered. */
    public static final Duration REMEMBER = Duration.ofDays(14);

    /** At most this many spot checks wait at once. */
    public static final int MAX_OPEN = 10_000;

    /** The answers of at most this many actions are remembered. */
    public static final int MAX_ANSWERED = 100_000;

    /** At most this many answers are remembered per action (any more are ignored). */
    public static final int MAX_ANSWERS_PER_ACTION = 20;

    private final Map<String, SpotCheck> open = new ConcurrentHashMap<>();
    private final ConcurrentSkipListSet<Sampled> bySampledAt = new ConcurrentSkipListSet<>();
    private final Map<String, Answers> answers = new ConcurrentHashMap<>();
    private final ConcurrentSkipListSet<Sampled> answersByTime = new ConcurrentSkipListSet<>();
    private final Map<String, VoterRegistration> voters = new ConcurrentHashMap<>();

    /** When a spot check (or an action's first answer) arrived, so the oldest is forgotten first. */
    private record Sampled(Instant at, String actionId) implements Comparable<Sampled> {

        private static final Comparator<Sampled> ORDER =
                Comparator.comparing(Sampled::at).thenComparing(Sampled::actionId);

        @Override
        public int compareTo(final Sampled other) {
            return ORDER.compare(this, other);
        }
    }

    /** The answers of one action, in arrival order, and whether one of them counts. */
    private static final class Answers {

        private final Instant first;
        private final List<SpotCheckAnswer> list = new CopyOnWriteArrayList<>();
        private volatile boolean counted;

        Answers(final Instant first) {
            this.first = first;
        }
    }

    /**
     * Opens a spot check, unless an answer that counts for it is known already.
     *
     * @param check a spot check as read
     * @param now the time now
     */
    void spotCheck(final SpotCheck check, final Instant now) {
        final String id = check.getActionId();
        if (check.getSampledAt().isBefore(now.minus(REMEMBER)) || answered(id, check)) {
            return;
        }
        final SpotCheck before = open.put(id, check);
        if (before != null) {
            bySampledAt.remove(new Sampled(before.getSampledAt(), id));
        }
        bySampledAt.add(new Sampled(check.getSampledAt(), id));
        while (open.size() > MAX_OPEN) {
            final Sampled oldest = bySampledAt.pollFirst();
            if (oldest == null) {
                break;
            }
            open.remove(oldest.actionId());
        }
    }

    /**
     * Remembers an answer; an answer that counts closes the action's spot check.
     *
     * @param answer an answer as read from the topic (or as this service published it)
     */
    public void answer(final SpotCheckAnswer answer) {
        final String id = answer.getActionId();
        final Answers known = answers.computeIfAbsent(id, key -> {
            answersByTime.add(new Sampled(answer.getAnsweredAt(), key));
            return new Answers(answer.getAnsweredAt());
        });
        if (known.list.size() < MAX_ANSWERS_PER_ACTION
                && known.list.stream().noneMatch(a -> a.getAnswerId().equals(answer.getAnswerId()))) {
            known.list.add(answer);
        }
        while (answers.size() > MAX_ANSWERED) {
            final Sampled oldest = answersByTime.pollFirst();
            if (oldest == null) {
                break;
            }
            answers.remove(oldest.actionId());
        }
        final SpotCheck check = open.get(id);
        if (check != null && answered(id, check)) {
            close(id, check);
        }
    }

    /**
     * Keeps a voter's latest registration (answers are checked against it).
     *
     * @param voterId the voter
     * @param registration its registration, or null when it was removed
     */
    void voter(final String voterId, final VoterRegistration registration) {
        if (registration == null) {
            voters.remove(voterId);
            return;
        }
        voters.put(voterId, registration);
        // Answers read before their voter's registration count now.
        for (final SpotCheck check : List.copyOf(open.values())) {
            if (answered(check.getActionId(), check)) {
                close(check.getActionId(), check);
            }
        }
    }

    private void close(final String id, final SpotCheck check) {
        if (open.remove(id, check)) {
            bySampledAt.remove(new Sampled(check.getSampledAt(), id));
        }
    }

    /** Whether an answer that counts for the spot check is known: signed by a registered voter, in its group. */
    private boolean answered(final String id, final SpotCheck check) {
        final Answers known = answers.get(id);
        if (known == null) {
            return false;
        }
        if (known.counted) {
            return true;
        }
        for (final SpotCheckAnswer answer : known.list) {
            if (answer.getGroups().contains(check.getReviewGroup()) && signed(answer)) {
                known.counted = true;
                return true;
            }
        }
        return false;
    }

    private boolean signed(final SpotCheckAnswer answer) {
        return answer.getVoterId() != null
                && SpotCheckAnswerVerifier.verify(answer, voters.get(answer.getVoterId())) == VoteVerifier.Result.VALID;
    }

    /**
     * Forgets spot checks sampled, and answers given, longer than {@link #REMEMBER} ago.
     *
     * @param now the time now
     */
    void forgetOld(final Instant now) {
        final Instant cutoff = now.minus(REMEMBER);
        for (Sampled first = firstOrNull(bySampledAt);
                first != null && first.at().isBefore(cutoff);
                first = firstOrNull(bySampledAt)) {
            bySampledAt.remove(first);
            open.remove(first.actionId());
        }
        for (Sampled first = firstOrNull(answersByTime);
                first != null && first.at().isBefore(cutoff);
                first = firstOrNull(answersByTime)) {
            answersByTime.remove(first);
            answers.remove(first.actionId());
        }
    }

    private static Sampled firstOrNull(final ConcurrentSkipListSet<Sampled> set) {
        return set.isEmpty() ? null : set.first();
    }

    /**
     * @param groups a reviewer's groups
     * @return the open spot checks of those groups, sampled longest ago first
     */
    public List<SpotCheck> openFor(final List<String> groups) {
        return bySampledAt.stream()
                .map(s -> open.get(s.actionId()))
                .filter(c -> c != null && groups.contains(c.getReviewGroup()))
                .toList();
    }

    /**
     * @param actionId an action
     * @return its open spot check, if it waits for an answer
     */
    public Optional<SpotCheck> open(final String actionId) {
        return Optional.ofNullable(open.get(actionId));
    }

    /**
     * @param actionId an action
     * @param reviewer a reviewer
     * @return the reviewer's answer to the action's spot check, if one is remembered
     */
    public Optional<SpotCheckAnswer> answerOf(final String actionId, final String reviewer) {
        final Answers known = answers.get(actionId);
        // Only an answer a registered voter signed: a forged one on the topic does not stand for the reviewer's.
        return known == null
                ? Optional.empty()
                : known.list.stream()
                        .filter(a -> a.getReviewer().equalsIgnoreCase(reviewer) && signed(a))
                        .findFirst();
    }

    /**
     * @param actionId an action
     * @return whether its spot check has an answer that counts (it left the list)
     */
    public boolean isAnswered(final String actionId) {
        final Answers known = answers.get(actionId);
        return known != null && known.counted;
    }

    /** @return how many spot checks wait for an answer */
    public int openCount() {
        return open.size();
    }
}
