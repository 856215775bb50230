package dev.hitl.audit.advise;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hitl.audit.chain.AvroJson;
import dev.hitl.audit.query.RecordJson;
import dev.hitl.audit.simulate.SimulationReport;
import dev.hitl.audit.simulate.StoreSimulation;
import dev.hitl.audit.store.AuditQueries;
import dev.hitl.audit.store.RecordRow;
import dev.hitl.policy.Evaluation;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyException;
import dev.hitl.policy.PolicyParser;
import dev.hitl.schemas.RiskClass;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * Suggests policy changes from the audit history: action types and argument shapes that people
 * approved consistently (as a rule that lets them run alone) and ones they rejected consistently
 * (as a guardrail that blocks them), each with its evidence, and each checked by the policy
 * simulation before it is shown. It only suggests: nothing is published.
 *
 * <p>How, over the actions proposed in {@code [from, to)} that people were asked about (a REQUESTED
 * record) and that were decided:
 *
 * <ol>
 *   <li>They are grouped by action type and tool. The arguments of a group's approved actions give
 *       the approval shape, those of its rejected actions the rejection shape ({@link
 *       ArgumentShape}); the group's decisions are streamed once for that.
 *   <li>They are streamed a second time to count, per shape, the decisions of the actions that have
 *       it (whatever their outcome: a rejected action of the approved shape counts against it), the
 *       votes on them and the time from each request to its vote.
 *   <li>A shape with at least {@code minCount} decisions (approved, modified, rejected) and an
 *       approve rate of at least {@code minApproveRate} becomes an approval rule: the action type
 *       and tool, the shape's argument conditions, and the least strict class the policy lets
 *       auto-approve on score that is a write (REVERSIBLE_WRITE, else READ_ONLY). One with a reject
 *       rate of at least {@code minRejectRate} becomes a block.
 *   <li>Each rule is appended to the policy in force, and the candidate is simulated over the same
 *       history ({@link StoreSimulation}) next to the policy in force alone. An approval is dropped
 *       when the candidate would auto-approve an action people rejected or modified that the policy
 *       in force would not, or when it auto-approves nothing more (a stricter rule of the policy
 *       wins, or the score stays above the threshold); a block is dropped when it would block an
 *       action people approved, or blocks nothing more.
 * </ol>
 */
public final class PolicyAdvisor {

    /** How many agents, targets and actions the evidence names. */
    static final int LISTED = 10;

    /** How many distinct targets and agents are counted. */
    static final int TARGETS_COUNTED = 1000;

    private static final String AUTO = Evaluation.Disposition.AUTO_APPROVE.name();
    private static final String BLOCK = Evaluation.Disposition.BLOCK.name();
    private static final Set<String> HUMAN = Set.of("APPROVED", "MODIFIED", "REJECTED");

    /**
     * The advisor's thresholds.
     *
     * @param minCount the fewest decisions (approved, modified, rejected) of a shape to suggest
     *     anything about it
     * @param minApproveRate the lowest approve rate of a shape to suggest auto-approving it (above 0.5)
     * @param minRejectRate the lowest reject rate of a shape to suggest blocking it (above 0.5)
     * @param maxValues the most distinct values of a text argument the rule lists; one with more
     *     constrains nothing
     */
    public record Parameters(int minCount, double minApproveRate, double minRejectRate, int maxValues) {

        /** The defaults: 10 decisions, 95 % approved, 95 % rejected, 5 values. */
        public static final Parameters DEFAULTS = new Parameters(10, 0.95, 0.95, 5);

        /** @throws IllegalArgumentException when a threshold is out of its range */
        public Parameters {
            if (minCount < 1 || minCount > 1_000_000) {
                throw new IllegalArgumentException("minCount must be 1 to 1000000, found " + minCount);
            }
            if (!(minApproveRate > 0.5 && minApproveRate <= 1)) {
                throw new IllegalArgumentException("minApproveRate must be above 0.5 and at most 1");
            }
            if (!(minRejectRate > 0.5 && minRejectRate <= 1)) {
                throw new IllegalArgumentException("minRejectRate must be above 0.5 and at most 1");
            }
            if (maxValues < 1 || maxValues > 100) {
                throw new IllegalArgumentException("maxValues must be 1 to 100, found " + maxValues);
            }
        }
    }

    /**
     * A policy published on {@code hitl.policy}, as the log records it.
     *
     * @param policy the policy
     * @param publishedBy who published it
     * @param publishedAt when
     */
    public record Published(Policy policy, String publishedBy, String publishedAt) {}

    private final DataSource dataSource;

    /** @param dataSource the audit store's database */
    public PolicyAdvisor(final DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * @return the policy in force as the log records it: the latest published version that
     *     validates (the classifier applies the latest valid version), or empty when none does
     * @throws SQLException when the database fails
     */
    public Optional<Published> policyInForce() throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement q = c.prepareStatement("select payload from audit_record"
                        + " where event_type = 'POLICY_PUBLISHED'"
                        + " order by occurred_at desc, log_partition desc, log_offset desc limit 50")) {
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    final JsonNode document = RecordJson.payloadTree(rs.getString(1));
                    try {
                        return Optional.of(new Published(
                                PolicyParser.parse(document.path("yaml").asText("")),
                                document.path("publishedBy").asText(null),
                                document.path("publishedAt").asText(null)));
                    } catch (PolicyException e) {
                        // refused by the classifier too: the one before stays in force
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * @param current the policy in force (or the one to advise on)
     * @param source where it came from, for the report
     * @param from the start of the history (proposals, inclusive)
     * @param to its end (exclusive)
     * @param parameters the thresholds
     * @return the suggestions
     * @throws SQLException when the database fails
     */
    public AdvisorReport advise(
            final Policy current,
            final String source,
            final Instant from,
            final Instant to,
            final Parameters parameters)
            throws SQLException {
        // 1. the shapes
        final Map<String, Group> groups = new TreeMap<>();
        final long[] decided = {0};
        forEachDecided(from, to, a -> {
            decided[0]++;
            final Group g = groups.computeIfAbsent(
                    a.actionType() + '\u0000' + a.tool(),
                    k -> new Group(a.actionType(), a.tool(), parameters.maxValues()));
            g.decisions++;
            if ("APPROVED".equals(a.outcome())) {
                g.approvedShape.add(a.arguments());
            } else if ("REJECTED".equals(a.outcome())) {
                g.rejectedShape.add(a.arguments());
            }
        });
        final Map<String, List<Candidate>> candidates = new LinkedHashMap<>();
        groups.forEach((key, g) -> {
            if (g.decisions < parameters.minCount()) {
                return;
            }
            final List<Candidate> list = new ArrayList<>();
            if (g.approvedShape.actions() > 0) {
                list.add(new Candidate(
                        AdvisorReport.Kind.AUTO_APPROVE,
                        g,
                        g.approvedShape.conditions(ArgumentShape.Numbers.AT_MOST_SEEN)));
            }
            if (g.rejectedShape.actions() > 0) {
                list.add(new Candidate(
                        AdvisorReport.Kind.BLOCK, g, g.rejectedShape.conditions(ArgumentShape.Numbers.AT_LEAST_SEEN)));
            }
            candidates.put(key, list);
        });
        // 2. the evidence of each shape
        if (!candidates.isEmpty()) {
            forEachDecided(from, to, a -> {
                final List<Candidate> list = candidates.get(a.actionType() + '\u0000' + a.tool());
                if (list != null) {
                    for (final Candidate c : list) {
                        if (ArgumentShape.fits(c.conditions, a.arguments())) {
                            c.count(a);
                        }
                    }
                }
            });
        }
        // 3. the thresholds, 4. the simulation
        final List<Candidate> qualified = new ArrayList<>();
        candidates
                .values()
                .forEach(list ->
                        list.stream().filter(c -> c.qualifies(parameters)).forEach(qualified::add));
        qualified.sort(Comparator.comparing((Candidate c) -> c.kind)
                .thenComparing(Comparator.comparingLong(Candidate::reviewerTime).reversed())
                .thenComparing(c -> c.group.actionType)
                .thenComparing(c -> c.group.tool));
        final List<AdvisorReport.Suggestion> suggestions = new ArrayList<>();
        final List<AdvisorReport.Dropped> dropped = new ArrayList<>();
        final Set<String> ids =
                current.rules().stream().map(Policy.Rule::id).collect(Collectors.toCollection(HashSet::new));
        SimulationReport baseline = null;
        for (final Candidate c : qualified) {
            final AdvisorReport.Evidence evidence = c.evidence();
            final Optional<String> unfit = c.unfit(current);
            if (unfit.isPresent()) {
                dropped.add(new AdvisorReport.Dropped(
                        c.kind, c.group.actionType, c.group.tool, unfit.get(), evidence, null));
                continue;
            }
            final RuleYaml rule = c.rule(current, uniqueId(ids, c), from, to);
            final Policy candidate;
            try {
                candidate = PolicyParser.parse(CandidatePolicy.append(current.yaml(), rule.render()));
            } catch (PolicyException | IllegalArgumentException e) {
                dropped.add(new AdvisorReport.Dropped(
                        c.kind,
                        c.group.actionType,
                        c.group.tool,
                        "the candidate does not validate: " + e.getMessage(),
                        evidence,
                        null));
                continue;
            }
            if (baseline == null) {
                baseline = new StoreSimulation(dataSource).simulate(current, from, to);
            }
            final AdvisorReport.Check check =
                    check(baseline, new StoreSimulation(dataSource).simulate(candidate, from, to));
            final Optional<String> refused = c.refusal(check);
            if (refused.isPresent()) {
                dropped.add(new AdvisorReport.Dropped(
                        c.kind, c.group.actionType, c.group.tool, refused.get(), evidence, check));
            } else {
                ids.add(rule.id());
                suggestions.add(new AdvisorReport.Suggestion(
                        c.kind, rule.id(), c.group.actionType, c.group.tool, rule.render(), evidence, check));
            }
        }
        return new AdvisorReport(
                current.name(),
                current.version(),
                source,
                from == null ? null : AvroJson.timestamp(from),
                to == null ? null : AvroJson.timestamp(to),
                parameters,
                decided[0],
                groups.size(),
                List.copyOf(suggestions),
                List.copyOf(dropped));
    }

    private static AdvisorReport.Check check(final SimulationReport baseline, final SimulationReport candidate) {
        final Set<String> overruledBefore = baseline.autoApprovedButRejectedByHumans().stream()
                .map(SimulationReport.Overruled::actionId)
                .collect(Collectors.toSet());
        final Set<String> blockedBefore = baseline.changedActions().stream()
                .filter(x -> BLOCK.equals(x.candidate()))
                .map(SimulationReport.Change::actionId)
                .collect(Collectors.toSet());
        return new AdvisorReport.Check(
                candidate.policyVersion(),
                candidate.candidate().getOrDefault(AUTO, 0L)
                        - baseline.candidate().getOrDefault(AUTO, 0L),
                candidate.candidate().getOrDefault(BLOCK, 0L)
                        - baseline.candidate().getOrDefault(BLOCK, 0L),
                candidate.toAutoApproval(),
                candidate.toHumanReview(),
                candidate.toBlocked(),
                candidate.changes(),
                candidate.autoApprovedButRejectedByHumans().stream()
                        .filter(o -> !overruledBefore.contains(o.actionId()))
                        .toList(),
                candidate.changedActions().stream()
                        .filter(x -> BLOCK.equals(x.candidate())
                                && ("APPROVED".equals(x.humanOutcome()) || "MODIFIED".equals(x.humanOutcome()))
                                && !blockedBefore.contains(x.actionId()))
                        .toList());
    }

    private static String uniqueId(final Set<String> ids, final Candidate c) {
        final String base = "advisor."
                + (c.kind == AdvisorReport.Kind.AUTO_APPROVE ? "approve." : "block.")
                + slug(c.group.actionType)
                + (c.group.tool.isBlank() ? "" : "." + slug(c.group.tool));
        String id = base;
        for (int n = 2; ids.contains(id); n++) {
            id = base + "-" + n;
        }
        return id;
    }

    /** Lower-case letters, digits and dots; anything else a hyphen; at most 60 characters. */
    static String slug(final String text) {
        final String s =
                text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]+", "-").replaceAll("^[-.]+|[-.]+$", "");
        final String cut = s.length() > 60 ? s.substring(0, 60) : s;
        return cut.isEmpty() ? "action" : cut;
    }

    /** One decided action, as the advisor needs it. */
    private record Decided(
            String actionId,
            String agentId,
            String actionType,
            String tool,
            String target,
            JsonNode arguments,
            String outcome,
            String proposedAt,
            long[] waits) {}

    /**
     * Streams, with a cursor, each action in the range people were asked about and that has a final
     * decision: its first proposal, its last decision's outcome, and for each vote on it the time
     * from the action's latest request before the vote to the vote.
     */
    private void forEachDecided(final Instant from, final Instant to, final Consumer<Decided> each)
            throws SQLException {
        final String sql = "select r.action_id, r.payload, d.outcome,"
                + " (select array_agg((extract(epoch from (v.occurred_at - w.t)) * 1000)::bigint"
                + " order by v.log_partition, v.log_offset)"
                + " from audit_record v cross join lateral (select max(x.occurred_at) t from audit_record x"
                + " where x.action_id = v.action_id and x.event_type = 'REQUESTED' and isfinite(x.occurred_at)"
                + " and x.occurred_at <= v.occurred_at) w"
                + " where v.action_id = r.action_id and v.event_type = 'VOTED' and isfinite(v.occurred_at)"
                + " and w.t is not null)"
                + " from audit_record r"
                + " join lateral (select y.outcome from audit_record y"
                + " where y.action_id = r.action_id and y.event_type = 'DECIDED'"
                + " order by y.log_partition desc, y.log_offset desc limit 1) d on true"
                + " where r.event_type = 'PROPOSED' and r.action_id is not null" + range("r", from, to)
                + " and d.outcome in ('APPROVED', 'MODIFIED', 'REJECTED', 'TIMED_OUT')"
                + " and exists (select 1 from audit_record q where q.action_id = r.action_id"
                + " and q.event_type = 'REQUESTED')"
                + " and not exists (select 1 from audit_record p where p.action_id = r.action_id"
                + " and p.event_type = 'PROPOSED'" + range("p", from, to)
                + " and (p.log_partition, p.log_offset) < (r.log_partition, r.log_offset))"
                + " order by r.log_partition, r.log_offset";
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false); // a cursor
            c.setReadOnly(true);
            try (PreparedStatement q =
                    c.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
                q.setFetchSize(AuditQueries.FETCH_SIZE);
                int i = 1;
                for (int twice = 0; twice < 2; twice++) {
                    if (from != null) {
                        q.setString(i++, RecordRow.bound(from));
                    }
                    if (to != null) {
                        q.setString(i++, RecordRow.bound(to));
                    }
                }
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        decided(rs).ifPresent(each);
                    }
                }
            }
            c.commit();
        }
    }

    private static Optional<Decided> decided(final ResultSet rs) throws SQLException {
        final JsonNode proposal = RecordJson.payloadTree(rs.getString(2));
        final JsonNode arguments;
        try {
            arguments = RecordJson.JSON.readTree(proposal.path("arguments").asText(""));
        } catch (java.io.IOException e) {
            return Optional.empty(); // the classifier refuses such a proposal; none is asked about
        }
        if (arguments == null
                || !arguments.isObject()
                || !proposal.path("actionType").isTextual()) {
            return Optional.empty();
        }
        final Array array = rs.getArray(4);
        final long[] waits = array == null
                ? new long[0]
                : Arrays.stream((Object[]) array.getArray())
                        .filter(java.util.Objects::nonNull)
                        .mapToLong(o -> ((Number) o).longValue())
                        .toArray();
        return Optional.of(new Decided(
                rs.getString(1),
                proposal.path("agentId").asText(""),
                proposal.path("actionType").asText(),
                proposal.path("tool").asText(""),
                proposal.path("target").isTextual() ? proposal.path("target").asText() : null,
                arguments,
                rs.getString(3),
                proposal.path("proposedAt").asText(null),
                waits));
    }

    private static String range(final String alias, final Instant from, final Instant to) {
        return (from == null ? "" : " and " + alias + ".occurred_at >= ?::timestamptz")
                + (to == null ? "" : " and " + alias + ".occurred_at < ?::timestamptz");
    }

    /** The decisions of one action type and tool, and its two shapes. */
    private static final class Group {
        final String actionType;
        final String tool;
        final ArgumentShape approvedShape;
        final ArgumentShape rejectedShape;
        long decisions;

        Group(final String actionType, final String tool, final int maxValues) {
            this.actionType = actionType;
            this.tool = tool;
            this.approvedShape = new ArgumentShape(maxValues);
            this.rejectedShape = new ArgumentShape(maxValues);
        }
    }

    /** A rule that may be suggested, and the evidence for it. */
    private static final class Candidate {
        final AdvisorReport.Kind kind;
        final Group group;
        final List<ArgumentShape.Condition> conditions;
        long approved;
        long modified;
        long rejected;
        long timedOut;
        final List<Long> waits = new ArrayList<>();
        final Set<String> agents = new LinkedHashSet<>();
        final Set<String> targets = new LinkedHashSet<>();
        final List<String> actions = new ArrayList<>();
        String first;
        String last;

        Candidate(final AdvisorReport.Kind kind, final Group group, final List<ArgumentShape.Condition> conditions) {
            this.kind = kind;
            this.group = group;
            this.conditions = conditions;
        }

        void count(final Decided a) {
            switch (a.outcome()) {
                case "APPROVED" -> approved++;
                case "MODIFIED" -> modified++;
                case "REJECTED" -> rejected++;
                default -> timedOut++;
            }
            if (!HUMAN.contains(a.outcome())) {
                return;
            }
            for (final long w : a.waits()) {
                waits.add(w);
            }
            if (agents.size() < TARGETS_COUNTED) {
                agents.add(a.agentId());
            }
            if (a.target() != null && targets.size() < TARGETS_COUNTED) {
                targets.add(a.target());
            }
            if (actions.size() < LISTED) {
                actions.add(a.actionId());
            }
            if (a.proposedAt() != null) {
                first = first == null || a.proposedAt().compareTo(first) < 0 ? a.proposedAt() : first;
                last = last == null || a.proposedAt().compareTo(last) > 0 ? a.proposedAt() : last;
            }
        }

        long decisions() {
            return approved + modified + rejected;
        }

        boolean qualifies(final Parameters p) {
            final long n = decisions();
            if (n < p.minCount()) {
                return false;
            }
            return kind == AdvisorReport.Kind.AUTO_APPROVE
                    ? approved >= p.minApproveRate() * n
                    : rejected >= p.minRejectRate() * n;
        }

        Long median() {
            if (waits.isEmpty()) {
                return null;
            }
            final List<Long> sorted = waits.stream().sorted().toList();
            return sorted.get((sorted.size() + 1) / 2 - 1); // nearest rank: the lower middle
        }

        long reviewerTime() {
            final Long median = median();
            return median == null ? 0 : median * waits.size();
        }

        AdvisorReport.Evidence evidence() {
            final long n = decisions();
            final Long median = median();
            return new AdvisorReport.Evidence(
                    n,
                    approved,
                    modified,
                    rejected,
                    timedOut,
                    n == 0 ? 0 : (double) approved / n,
                    n == 0 ? 0 : (double) rejected / n,
                    waits.size(),
                    median,
                    median == null ? null : median * waits.size(),
                    agents.size(),
                    agents.stream().limit(LISTED).toList(),
                    targets.size(),
                    targets.stream().limit(LISTED).toList(),
                    List.copyOf(actions),
                    first,
                    last);
        }

        /** Why no rule of the policy language can name this shape exactly, if it cannot. */
        Optional<String> unfit(final Policy current) {
            if (group.actionType.isBlank()) {
                return Optional.of("the action type is blank");
            }
            if (literal(group.actionType) || literal(group.tool)) {
                return Optional.of(
                        "the action type or tool holds * or ?, which a policy glob cannot match" + " literally");
            }
            if (kind == AdvisorReport.Kind.AUTO_APPROVE && autoClass(current) == null) {
                return Optional.of("the policy auto-approves no class below IRREVERSIBLE on score"
                        + " (thresholds.autoApproveRiskClasses)");
            }
            return Optional.empty();
        }

        private static boolean literal(final String text) {
            return text.indexOf('*') >= 0 || text.indexOf('?') >= 0;
        }

        RuleYaml rule(final Policy current, final String id, final Instant from, final Instant to) {
            final String evidence = decisions() + " human decisions (" + approved + " approved, " + modified
                    + " modified, " + rejected + " rejected)"
                    + (from == null ? "" : " from " + AvroJson.timestamp(from))
                    + (to == null ? "" : " to " + AvroJson.timestamp(to));
            if (kind == AdvisorReport.Kind.AUTO_APPROVE) {
                return new RuleYaml(
                        id,
                        "Suggested by the policy advisor: " + evidence,
                        group.actionType,
                        group.tool.isBlank() ? null : group.tool,
                        conditions,
                        autoClass(current).name(),
                        null,
                        "People approved " + approved + " of " + decisions() + " such actions (policy advisor)");
            }
            return new RuleYaml(
                    id,
                    "Suggested by the policy advisor: " + evidence,
                    group.actionType,
                    group.tool.isBlank() ? null : group.tool,
                    conditions,
                    null,
                    "People rejected " + rejected + " of " + decisions() + " such actions (policy advisor)",
                    null);
        }

        /** Why the simulation refuses it, if it does. */
        Optional<String> refusal(final AdvisorReport.Check check) {
            if (kind == AdvisorReport.Kind.AUTO_APPROVE) {
                if (!check.autoApprovedButRejectedByHumans().isEmpty()) {
                    return Optional.of("the simulation auto-approves "
                            + check.autoApprovedButRejectedByHumans().size()
                            + " action(s) people rejected or modified");
                }
                if (check.newlyAutoApproved() <= 0) {
                    return Optional.of("the simulation auto-approves nothing more: a stricter rule of the policy"
                            + " matches these actions (the most severe class wins), or their score stays above the"
                            + " threshold");
                }
                return Optional.empty();
            }
            if (!check.blockedButApprovedByHumans().isEmpty()) {
                return Optional.of("the simulation blocks "
                        + check.blockedButApprovedByHumans().size() + " action(s) people approved");
            }
            if (check.newlyBlocked() <= 0) {
                return Optional.of("the simulation blocks nothing more");
            }
            return Optional.empty();
        }

        /** The class an approval rule sets: the least strict write class the policy auto-approves. */
        private static RiskClass autoClass(final Policy current) {
            final Set<RiskClass> auto = current.thresholds().autoApproveRiskClasses();
            return auto.contains(RiskClass.REVERSIBLE_WRITE)
                    ? RiskClass.REVERSIBLE_WRITE
                    : auto.contains(RiskClass.READ_ONLY) ? RiskClass.READ_ONLY : null;
        }
    }
}
