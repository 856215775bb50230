package dev.hitl.deploy;

import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.sdk.Proposals;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The actions of the fault-tolerance test and what must become of each. The kind of an action is
 * written into its actionId ({@code ft-000042-modify}), so the reviewer's rule and the verifier both
 * derive the expected outcome from the action alone, under the default policy:
 *
 * <ul>
 *   <li>{@code auto}: {@code search.web}, read-only: AUTO_APPROVED by the classifier;
 *   <li>{@code block}: {@code db.query} with a DROP TABLE: BLOCKED by a guardrail;
 *   <li>{@code approve}, {@code modify}, {@code reject}: {@code email.send} to a colleague: sent to
 *       the reviewers, who approve it, change its body, or reject it (and then try to approve it);
 *   <li>{@code timeout}: the same email with the agent's own short {@code replyBy}: nobody votes
 *       until it has TIMED_OUT (then the reviewer tries to approve it);
 *   <li>{@code withdraw}: the same email, withdrawn by its agent right after proposing it; the
 *       reviewer leaves it alone: WITHDRAWN;
 *   <li>{@code stages}: a payment of 2,500 EUR ({@code payment.create}): the finance route raised
 *       one tier by the cost, two stages in sequence (finance, then the CFO's office): {@code
 *       reviewer} approves the first, {@code senior} the second: APPROVED by both;
 *   <li>{@code quorum}, {@code quorum_reject}: an email touching four systems: a group review by
 *       {@code reviewers} with a quorum of two. {@code reviewer} approves, then votes again (a vote
 *       of its own, which must not count twice); then {@code reviewer2} approves (APPROVED by both)
 *       or rejects with a reason (REJECTED by {@code reviewer2}, with that reason, after an approval).
 * </ul>
 */
final class Workload {

    /** What the reviewer does and what the decision must be. */
    enum Kind {
        AUTO(Outcome.AUTO_APPROVED, 30),
        BLOCK(Outcome.BLOCKED, 5),
        APPROVE(Outcome.APPROVED, 20),
        MODIFY(Outcome.MODIFIED, 13),
        REJECT(Outcome.REJECTED, 12),
        TIMEOUT(Outcome.TIMED_OUT, 10),
        WITHDRAW(Outcome.WITHDRAWN, 5),
        STAGES(Outcome.APPROVED, 5),
        QUORUM(Outcome.APPROVED, 4),
        QUORUM_REJECT(Outcome.REJECTED, 4);

        private final Outcome expected;
        private final int weight;

        Kind(final Outcome expected, final int weight) {
            this.expected = expected;
            this.weight = weight;
        }

        Outcome expected() {
            return expected;
        }

        /** @return whether the action goes to people */
        boolean human() {
            return this != AUTO && this != BLOCK;
        }

        /** @return how many requests people are sent for it (one per stage) */
        int requests() {
            return this == STAGES ? 2 : human() ? 1 : 0;
        }

        /** @return the approvers its decision must name, in any order (null: not checked) */
        List<String> approvers() {
            return switch (this) {
                case APPROVE, MODIFY, REJECT -> List.of(Reviewer.FIRST);
                case STAGES -> List.of(Reviewer.FIRST, Reviewer.SECOND_STAGE);
                case QUORUM, QUORUM_REJECT -> List.of(Reviewer.FIRST, Reviewer.SECOND_IN_QUORUM);
                case TIMEOUT, WITHDRAW -> List.of();
                default -> null;
            };
        }

        /** @return who decided a rejection, and the reason the agent gets (null: not a rejection) */
        String[] rejection() {
            return switch (this) {
                case REJECT -> new String[] {Reviewer.FIRST, Reviewer.REJECT_REASON};
                case QUORUM_REJECT -> new String[] {Reviewer.SECOND_IN_QUORUM, Reviewer.QUORUM_REJECT_REASON};
                default -> null;
            };
        }

        String suffix() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** An action proposed, with what must become of it. */
    record Planned(String actionId, String agentId, Kind kind, ProposedAction action, String modifiedArguments) {}

    static final String ON_BEHALF_OF = "alice@example.com";

    private final Random random;
    private final Duration replyWithin;
    private final Map<String, Planned> planned = new ConcurrentHashMap<>();
    private int next;

    /**
     * @param random the seeded source of the mix
     * @param replyWithin the agent's own deadline for the {@code timeout} kind
     */
    Workload(final Random random, final Duration replyWithin) {
        this.random = random;
        this.replyWithin = replyWithin;
    }

    /**
     * @param agentId the agent that proposes it
     * @return the next action of the mix (recorded as planned)
     */
    synchronized Planned next(final String agentId) {
        final int n = next++;
        final Kind kind = pick();
        final String id = String.format(Locale.ROOT, "ft-%06d-%s", n, kind.suffix());
        final Proposals proposal = switch (kind) {
            case AUTO -> Proposals.action("search.web", "web", "{\"q\":\"refund policy " + n + "\"}");
            case BLOCK -> Proposals.action("db.query", "postgres", "{\"sql\":\"DROP TABLE invoices_" + n + "\"}");
            case STAGES ->
                Proposals.action(
                                "payment.create",
                                "stripe",
                                "{\"amount\":\"2500.00\",\"currency\":\"EUR\",\"payee\":\"supplier-" + n + "\"}")
                        .estimatedCost(new java.math.BigDecimal("2500.00"), "EUR");
            case QUORUM, QUORUM_REJECT ->
                Proposals.action("email.send", "gmail", email(n, "Your ticket " + n + " is solved in every system."))
                        .systemsAffected("gmail", "crm", "helpdesk", "billing");
            default -> Proposals.action("email.send", "gmail", email(n, "Your ticket " + n + " is solved."));
        };
        proposal.actionId(id)
                .agentId(agentId)
                .onBehalfOf(ON_BEHALF_OF)
                .confidence(0.9)
                .inputTrust(InputTrust.USER)
                .domain("support")
                .userRequest("Handle ticket " + n);
        if (kind == Kind.TIMEOUT) {
            proposal.replyBy(Instant.now().plus(replyWithin));
        }
        final ProposedAction action = proposal.build();
        final Planned plan = new Planned(id, agentId, kind, action, kind == Kind.MODIFY ? modified(n) : null);
        planned.put(id, plan);
        return plan;
    }

    private Kind pick() {
        int total = 0;
        for (final Kind kind : Kind.values()) {
            total += kind.weight;
        }
        int roll = random.nextInt(total);
        for (final Kind kind : Kind.values()) {
            roll -= kind.weight;
            if (roll < 0) {
                return kind;
            }
        }
        throw new IllegalStateException();
    }

    private static String email(final int n, final String body) {
        return "{\"to\":\"colleague" + n + "@example.com\",\"subject\":\"Ticket " + n + "\",\"body\":\"" + body + "\"}";
    }

    /** The arguments the reviewer approves instead, for a {@code modify} action. */
    private static String modified(final int n) {
        return email(n, "Your ticket " + n + " is solved. Kind regards, the support team (edited by a reviewer)");
    }

    /**
     * @param actionId an action of this workload
     * @return its kind, from its id
     */
    static Optional<Kind> kindOf(final String actionId) {
        final int dash = actionId.lastIndexOf('-');
        if (!actionId.startsWith("ft-") || dash < 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(Kind.valueOf(actionId.substring(dash + 1).toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * @param actionId a {@code modify} action
     * @return the arguments the reviewer sets
     */
    static String modifiedArguments(final String actionId) {
        final String number = actionId.substring(3, actionId.lastIndexOf('-'));
        return modified(Integer.parseInt(number));
    }

    Optional<Planned> planned(final String actionId) {
        return Optional.ofNullable(planned.get(actionId));
    }

    Collection<Planned> all() {
        return planned.values();
    }

    int size() {
        return planned.size();
    }
}
