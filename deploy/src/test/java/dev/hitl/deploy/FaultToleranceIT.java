package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hitl.deploy.Workload.Kind;
import dev.hitl.deploy.Workload.Planned;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fault test in the style of Kafka's own exactly-once system tests, on the whole system as
 * separate processes: two instances of each stream app (classifier, escalation, audit) and the
 * approval service, from their runnable jars, on a real broker and registry.
 *
 * <p>Agents on the SDK propose a mix of actions (auto-approved reads, blocked statements, emails
 * that a reviewer on the HTTP API approves, modifies or rejects, or lets time out, payments that two
 * stages approve, and group reviews with a quorum of two where one reviewer votes twice and a second
 * approves or rejects; see {@link Workload} and {@link Reviewer}); some proposals are resent with
 * the same actionId. Meanwhile {@link Chaos}
 * SIGKILLs random service instances at random moments and starts them again, stops one stream-app
 * instance and starts it later (two rebalances), restarts the broker and restarts an agent. Then
 * {@link DecisionVerifier} reads the topics with {@code read_committed}: every proposal has exactly
 * one decision with the outcome the reviewer's rule implies (a rejected or timed-out action is never
 * approved, though the reviewer tries), naming exactly its approvers (and for a rejection who and
 * why), signed (verified again by Node's crypto), its arguments bound by their hash; no TIMED_OUT
 * before its deadline; what executors run and what people are asked holds each action once (a
 * request per stage); every agent's own future got that decision; and the audit log holds every
 * event exactly once, its chains verify by the audit README's specification ({@link
 * AuditSpecVerifier}, and over the service's API), and each action's records tell the story of its
 * decision. Every planned fault must have happened (the SIGKILLs of each service, the rebalances,
 * the broker restart), or the run is a plain load test and fails.
 *
 * <p>By default a short run for CI (about 1,500 actions in a minute, a few kills, one broker
 * restart). {@code -Dhitl.soak.minutes=30} runs a soak: the same rate for 30 minutes, a kill about
 * every 20 s, a rebalance every 2 minutes, a broker restart every 10 minutes. {@code
 * -Dhitl.fault.seed=N} replays a schedule of faults and mix of actions (the seed is printed);
 * {@code -Dhitl.fault.rate} sets the actions per second. The data, the services' state and their
 * logs stay in the test's temporary directory when it fails (the paths are printed).
 */
class FaultToleranceIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int AGENTS = 6;

    @Test
    void shouldDecideEveryActionExactlyOnceThroughKillsRebalancesAndABrokerRestart(
            @TempDir(cleanup = CleanupMode.ON_SUCCESS) final Path dir) throws Exception {
        final Settings settings = Settings.fromSystemProperties();
        System.out.println("FaultToleranceIT: " + settings + " (replay with -Dhitl.fault.seed=" + settings.seed()
                + "); data and logs in " + dir.toAbsolutePath());
        final long begin = System.nanoTime();
        try (FaultStack stack =
                FaultStack.start(dir, Path.of("..").toAbsolutePath().normalize(), 2)) {
            final Duration startup = since(begin);
            System.out.println("FaultToleranceIT: stack up in " + startup + ": " + stack.slots());
            run(stack, settings, startup, begin);
        }
    }

    private void run(final FaultStack stack, final Settings settings, final Duration startup, final long begin)
            throws Exception {
        final Random random = new Random(settings.seed());
        final Workload workload = new Workload(random, settings.replyWithin());
        final List<String> report = new ArrayList<>();
        final AtomicReference<Reviewer> reviewerRef = new AtomicReference<>();
        final java.util.Set<String> votedTwice = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (Reviewer reviewer = new Reviewer(stack.slot("approval-1").url(), Reviewer.FIRST, votedTwice);
                Reviewer senior = new Reviewer(stack.slot("approval-1").url(), Reviewer.SECOND_STAGE, votedTwice);
                Reviewer reviewer2 =
                        new Reviewer(stack.slot("approval-1").url(), Reviewer.SECOND_IN_QUORUM, votedTwice);
                DecisionWatcher watcher =
                        new DecisionWatcher(stack.bootstrapServers(), stack.registryUrl(), decision -> {
                            if (decision.getOutcome() == Outcome.TIMED_OUT
                                    && Workload.kindOf(decision.getActionId()).orElse(null) == Kind.TIMEOUT) {
                                reviewerRef.get().timedOut(decision.getActionId());
                            }
                        });
                Agents agents = new Agents(
                        AGENTS,
                        stack.bootstrapServers(),
                        stack.registryUrl(),
                        stack.decisionKeysFile(),
                        stack.agents());
                Chaos chaos = new Chaos(
                        stack,
                        agents,
                        workload,
                        watcher,
                        new Random(settings.seed() * 31 + 7),
                        settings.plan(),
                        System.out)) {
            reviewerRef.set(reviewer);
            System.out.println("FaultToleranceIT: faults planned: " + chaos.schedule());
            reviewer.start();
            senior.start();
            reviewer2.start();

            // ---- the load, under the faults --------------------------------------------------
            final long loadBegin = System.nanoTime();
            chaos.start();
            final ScheduledExecutorService proposer = Executors.newSingleThreadScheduledExecutor();
            try {
                final List<ProposedAction> sent = new ArrayList<>();
                final double perTick = settings.rate() / 10.0;
                final double[] due = {0};
                proposer.scheduleAtFixedRate(
                        () -> {
                            agents.retryFailed();
                            due[0] += perTick;
                            while (due[0] >= 1 && workload.size() < settings.actions()) {
                                due[0]--;
                                final List<String> ids = agents.ids();
                                final Planned plan = workload.next(ids.get(random.nextInt(ids.size())));
                                agents.propose(plan.action());
                                sent.add(plan.action());
                                if (random.nextInt(100) < 4) {
                                    agents.resend(sent.get(random.nextInt(sent.size())));
                                }
                            }
                        },
                        0,
                        100,
                        TimeUnit.MILLISECONDS);
                await("all " + settings.actions() + " actions proposed")
                        .atMost(settings.plan().phase().multipliedBy(2).plusMinutes(1))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> workload.size() >= settings.actions());
            } finally {
                proposer.shutdown();
                assertThat(proposer.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
            }
            final Duration load = since(loadBegin);
            System.out.println("FaultToleranceIT: " + workload.size() + " actions proposed in " + load);

            final boolean recovered = chaos.awaitDone(Duration.ofMinutes(5));
            assertThat(chaos.errors())
                    .as(
                            "faults that could not be carried out (a service that did not come back?); %s\n%s",
                            chaos.timeline(), stack.logs())
                    .isEmpty();
            assertThat(recovered)
                    .as("every instance up again after the faults; %s\n%s", chaos.timeline(), stack.logs())
                    .isTrue();
            // The faults happened as planned: a skipped one would make this a plain load test.
            final Map<String, Long> happened = chaos.counts();
            assertThat(happened.getOrDefault("kills", 0L))
                    .as("SIGKILLs carried out; %s", chaos.timeline())
                    .isEqualTo(settings.plan().kills());
            chaos.plannedKills()
                    .forEach((service, n) -> assertThat(happened.getOrDefault("kills." + service, 0L))
                            .as("SIGKILLs of %s carried out; %s", service, chaos.timeline())
                            .isEqualTo(n));
            assertThat(happened.getOrDefault("rebalance.stops", 0L))
                    .as("rebalances carried out; %s", chaos.timeline())
                    .isEqualTo(settings.plan().rebalances());
            assertThat(happened.getOrDefault("brokerRestarts", 0L))
                    .as("broker restarts carried out; %s", chaos.timeline())
                    .isEqualTo(settings.plan().brokerRestarts());
            assertThat(happened.getOrDefault("agentRestarts", 0L))
                    .as("agent restarts carried out; %s", chaos.timeline())
                    .isEqualTo(settings.plan().agentRestarts());
            assertThat(happened.getOrDefault("restarts", 0L))
                    .as("every killed or stopped instance started again; %s", chaos.timeline())
                    .isEqualTo(settings.plan().kills() + settings.plan().rebalances());

            // ---- every action decided --------------------------------------------------------
            final Map<String, Planned> planned = new HashMap<>();
            workload.all().forEach(p -> planned.put(p.actionId(), p));
            final long drainBegin = System.nanoTime();
            try {
                await("a decision for each of the " + planned.size() + " actions")
                        .atMost(settings.replyWithin().plusMinutes(3))
                        .pollInterval(Duration.ofSeconds(1))
                        .until(() -> {
                            agents.retryFailed();
                            return watcher.decided() >= planned.size();
                        });
            } catch (ConditionTimeoutException e) {
                final Map<Kind, List<String>> missing = planned.values().stream()
                        .filter(p -> !watcher.isDecided(p.actionId()))
                        .collect(Collectors.groupingBy(
                                Planned::kind, Collectors.mapping(Planned::actionId, Collectors.toList())));
                throw new AssertionError(
                        "Not every action was decided: " + (planned.size() - watcher.decided()) + " missing, by kind "
                                + missing.entrySet().stream()
                                        .collect(Collectors.toMap(
                                                Map.Entry::getKey,
                                                x -> x.getValue().size()))
                                + ", e.g. "
                                + missing.values().stream()
                                        .flatMap(l -> l.stream().limit(5))
                                        .toList()
                                + "\nreviewers " + reviewer.counts() + senior.counts() + reviewer2.counts()
                                + "\nfaults " + chaos.timeline() + "\n"
                                + stack.logs(),
                        e);
            }
            final Duration drain = since(drainBegin);
            reviewer.close(); // no more votes: the inputs of the audit log are final
            senior.close();
            reviewer2.close();
            final List<String> unwell = new ArrayList<>();
            String auditUrl = null;
            for (final FaultStack.Slot slot : stack.slots()) {
                final String problem = slot.problem(Duration.ofSeconds(30));
                if (problem != null) {
                    unwell.add(problem);
                } else if (auditUrl == null && slot.service().equals("audit-service")) {
                    auditUrl = slot.url();
                }
            }
            assertThat(auditUrl).as("a healthy audit instance; %s", unwell).isNotNull();

            // ---- the verdict -----------------------------------------------------------------
            final long verifyBegin = System.nanoTime();
            final DecisionVerifier verifier =
                    new DecisionVerifier(stack.bootstrapServers(), stack.registryUrl(), stack.decisionKeysFile());
            verifier.verifyDecisions(planned);
            verifier.verifyInNode(stack.decisionKeysFile(), stack.dir());
            final long auditRecords = verifier.verifyAudit(planned, Duration.ofMinutes(2));
            final JsonNode chains = auditVerify(auditUrl);
            final Duration verify = since(verifyBegin);

            final Map<Kind, Long> mix = new EnumMap<>(Kind.class);
            planned.values().forEach(p -> mix.merge(p.kind(), 1L, Long::sum));
            report.add("seed " + settings.seed());
            report.add("actions " + planned.size() + " " + mix + ", resent " + agents.resends()
                    + ", agent send failures " + agents.sendFailures());
            report.add("faults " + chaos.counts());
            report.add("reviewers " + reviewer.counts() + " " + senior.counts() + " " + reviewer2.counts());
            report.add("verifier " + verifier.stats());
            report.add("audit verify " + chains);
            report.add("time: startup " + startup + ", load " + load + ", drain " + drain + ", verify " + verify
                    + ", total " + since(begin));
            report.add("decision records seen while running: " + watcher.records());
            report.add("instances not healthy at the end: " + unwell);
            System.out.println("FaultToleranceIT report:\n  " + String.join("\n  ", report) + "\nfaults:\n  "
                    + String.join("\n  ", chaos.timeline()));

            assertThat(reviewer.surprises()).as("what the reviewer saw").isEmpty();
            assertThat(senior.surprises()).as("what the senior reviewer saw").isEmpty();
            assertThat(reviewer2.surprises()).as("what the second reviewer saw").isEmpty();
            // The agents' own view: each future answered with the outcome the plan expects, and the
            // SDK let exactly the approved ones run (a genuine decision it refused would show here).
            final List<String> agentViolations = new ArrayList<>();
            final Map<String, List<dev.hitl.sdk.AgentDecision>> answers = agents.answers();
            for (final Planned plan : planned.values()) {
                final List<dev.hitl.sdk.AgentDecision> answered = answers.getOrDefault(plan.actionId(), List.of());
                if (answered.isEmpty() && !agents.restarted(plan.agentId())) {
                    agentViolations.add(plan.actionId() + ": the agent's future never answered");
                }
                final boolean runs = plan.kind().expected() == dev.hitl.schemas.Outcome.AUTO_APPROVED
                        || plan.kind().expected() == dev.hitl.schemas.Outcome.APPROVED
                        || plan.kind().expected() == dev.hitl.schemas.Outcome.MODIFIED;
                for (final dev.hitl.sdk.AgentDecision a : answered) {
                    if (a.outcome() != plan.kind().expected() || a.mayRun() != runs) {
                        agentViolations.add(plan.actionId() + ": the agent got " + a.outcome() + " mayRun=" + a.mayRun()
                                + " " + a.problem().orElse("") + ", expected "
                                + plan.kind().expected());
                    }
                }
            }
            report.add("agents' futures answered " + answers.size() + " of " + planned.size() + " actions");
            assertThat(agentViolations)
                    .as("what the agents' own futures answered")
                    .isEmpty();
            final List<String> violations = verifier.violations();
            if (!violations.isEmpty()) {
                final List<String> first = violations.subList(0, Math.min(50, violations.size()));
                throw new AssertionError(violations.size() + " violations of the invariants, e.g.\n  "
                        + String.join("\n  ", first) + "\nfaults " + chaos.timeline() + "\n" + stack.logs());
            }
            assertThat(verifier.stats().get("auditVerifiedBySpec"))
                    .as("records of the audit log verified by the README's specification")
                    .isEqualTo(auditRecords);
            assertThat(verifier.stats().get("auditStoriesAsDecided"))
                    .as("actions whose audit records tell the story of their decision")
                    .isEqualTo((long) planned.size());
            // The service's own verification agrees (it also checks the decisions' signatures).
            assertThat(chains.path("ok").asBoolean())
                    .as("the audit chains verify: %s", chains)
                    .isTrue();
            assertThat(chains.path("recordsChecked").asLong())
                    .as("the audit verification checked every record of the log")
                    .isEqualTo(auditRecords);
            assertThat(unwell)
                    .as("every instance still runs and is healthy; %s\n%s", chaos.timeline(), stack.logs())
                    .isEmpty();
        }
    }

    private static JsonNode auditVerify(final String auditUrl) throws Exception {
        final HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(auditUrl + "/audit/verify"))
                                .header("Authorization", BadHttpCorpus.AUDITOR)
                                .timeout(Duration.ofMinutes(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static Duration since(final long nanos) {
        return Duration.ofMillis((System.nanoTime() - nanos) / 1_000_000);
    }

    /**
     * What a run does.
     *
     * @param seed the seed of the mix and of the faults' schedule
     * @param actions how many actions
     * @param rate actions per second
     * @param replyWithin the agent's deadline on the actions meant to time out
     * @param plan the faults
     */
    record Settings(long seed, int actions, int rate, Duration replyWithin, Chaos.Plan plan) {

        static Settings fromSystemProperties() {
            final long seed = Long.getLong("hitl.fault.seed", 20_261_128L);
            final int rate = Integer.getInteger("hitl.fault.rate", 25);
            final int soakMinutes = Integer.getInteger("hitl.soak.minutes", 0);
            if (soakMinutes <= 0) {
                final int actions = Integer.getInteger("hitl.fault.actions", 1_500);
                final Duration phase = Duration.ofSeconds(Math.max(20, actions / rate));
                return new Settings(seed, actions, rate, Duration.ofSeconds(15), new Chaos.Plan(phase, 4, 1, 1, 1));
            }
            final Duration phase = Duration.ofMinutes(soakMinutes);
            return new Settings(
                    seed,
                    rate * 60 * soakMinutes,
                    rate,
                    Duration.ofSeconds(15),
                    new Chaos.Plan(
                            phase,
                            soakMinutes * 3,
                            Math.max(1, soakMinutes / 2),
                            Math.max(1, soakMinutes / 10),
                            soakMinutes));
        }
    }
}
