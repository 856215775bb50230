package dev.hitl.deploy;

import dev.hitl.deploy.FaultStack.Slot;
import dev.hitl.deploy.FaultStack.State;
import dev.hitl.schemas.ProposedAction;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The faults, on a schedule drawn in advance from a seed (so a failing run can be replayed with the
 * same schedule; the timing of the system under it is of course not replayed):
 *
 * <ul>
 *   <li>kills: SIGKILL of a random service instance at a random moment, started again after a few
 *       seconds on the same port and state directory;
 *   <li>rebalances: a clean stop of one instance of a stream app (its partitions move to the other
 *       instance) and, a while later, its start (they move back);
 *   <li>broker restarts: the broker stopped, down for a few seconds, started on the same data;
 *   <li>agent restarts: an agent's SDK client closed and built anew, proposing again what it has not
 *       seen decided (and a few it has).
 * </ul>
 */
final class Chaos implements AutoCloseable {

    /** How many faults of each kind, over how long. */
    record Plan(Duration phase, int kills, int rebalances, int brokerRestarts, int agentRestarts) {}

    private record Event(long atMillis, String what, Runnable action) {}

    private final FaultStack stack;
    private final Agents agents;
    private final Workload workload;
    private final DecisionWatcher watcher;
    private final PrintStream out;
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(8, r -> {
        final Thread t = new Thread(r, "chaos");
        t.setDaemon(true);
        return t;
    });
    private final List<Event> events = new ArrayList<>();
    private final Queue<Future<?>> pending = new ConcurrentLinkedQueue<>();
    private final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
    private final Map<String, Long> plannedKills = new TreeMap<>();
    private final Queue<String> timeline = new ConcurrentLinkedQueue<>();
    private long started;

    Chaos(
            final FaultStack stack,
            final Agents agents,
            final Workload workload,
            final DecisionWatcher watcher,
            final Random random,
            final Plan plan,
            final PrintStream out) {
        this.stack = stack;
        this.agents = agents;
        this.workload = workload;
        this.watcher = watcher;
        this.out = out;
        final long phase = plan.phase().toMillis();
        final List<Slot> slots = stack.slots();
        final List<Slot> streamApps = slots.stream()
                .filter(s -> !s.service().equals("approval-service"))
                .toList();
        // Kills go round the services in a shuffled order, so even a short run kills each kind.
        final List<String> services =
                new ArrayList<>(slots.stream().map(Slot::service).distinct().toList());
        Collections.shuffle(services, random);
        for (int i = 0; i < plan.kills(); i++) {
            final long at = between(random, phase / 10, phase * 9 / 10);
            final String service = services.get(i % services.size());
            final List<Slot> instances =
                    slots.stream().filter(s -> s.service().equals(service)).toList();
            final int victim = random.nextInt(instances.size());
            final long down = between(random, 1_000, 6_000);
            plannedKills.merge(service, 1L, Long::sum);
            events.add(new Event(at, "kill " + service, () -> kill(instances, victim, down, 0)));
        }
        for (int i = 0; i < plan.rebalances(); i++) {
            final long window = phase / plan.rebalances();
            final long at = i * window + between(random, window / 6, window / 3);
            final int victim = random.nextInt(streamApps.size());
            final long down = between(random, 15_000, 25_000);
            events.add(new Event(at, "rebalance", () -> rebalance(streamApps, victim, down)));
        }
        for (int i = 0; i < plan.brokerRestarts(); i++) {
            final long window = phase / plan.brokerRestarts();
            final long at = i * window + between(random, window * 2 / 5, window * 3 / 5);
            final long down = between(random, 2_000, 5_000);
            events.add(new Event(at, "broker restart", () -> restartBroker(down)));
        }
        for (int i = 0; i < plan.agentRestarts(); i++) {
            final long at = between(random, phase / 5, phase * 4 / 5);
            final int agent = random.nextInt(agents.ids().size());
            events.add(new Event(at, "agent restart", () -> restartAgent(agent)));
        }
        events.sort(Comparator.comparingLong(Event::atMillis));
    }

    private static long between(final Random random, final long from, final long to) {
        return from + (long) (random.nextDouble() * Math.max(1, to - from));
    }

    /** @return the schedule, one line per fault */
    List<String> schedule() {
        return events.stream()
                .map(e -> "+" + e.atMillis() / 1000.0 + " s " + e.what())
                .toList();
    }

    /** Starts the clock of the schedule. */
    void start() {
        started = System.currentTimeMillis();
        for (final Event event : events) {
            pending.add(
                    scheduler.schedule(guarded(event.what(), event.action()), event.atMillis(), TimeUnit.MILLISECONDS));
        }
    }

    private Runnable guarded(final String what, final Runnable action) {
        return () -> {
            try {
                action.run();
            } catch (RuntimeException e) {
                errors.add(new IllegalStateException(what + " failed", e));
                note(what + " FAILED: " + e);
            }
        };
    }

    /** @return the SIGKILLs planned, by service */
    Map<String, Long> plannedKills() {
        return plannedKills;
    }

    /**
     * SIGKILLs an instance of the service (the preferred one if it is up); when none is up (killed or
     * stopped by an earlier fault), tries again every second for a minute, so the service does get
     * its planned kill.
     */
    private void kill(final List<Slot> instances, final int preferred, final long downMillis, final int attempt) {
        final Slot victim = firstUp(instances, preferred, s -> true);
        if (victim == null || !victim.kill()) {
            if (attempt >= 60) {
                throw new IllegalStateException(
                        "no instance of " + instances.get(0).service() + " came up to kill");
            }
            note("kill of " + instances.get(0).service() + " deferred: no instance is up");
            pending.add(scheduler.schedule(
                    guarded("kill", () -> kill(instances, preferred, downMillis, attempt + 1)), 1, TimeUnit.SECONDS));
            return;
        }
        count("kills");
        count("kills." + victim.service());
        note("SIGKILL " + victim.id() + "; starts again in " + downMillis + " ms");
        pending.add(scheduler.schedule(
                guarded("start of " + victim.id(), () -> startAgain(victim)), downMillis, TimeUnit.MILLISECONDS));
    }

    private void rebalance(final List<Slot> streamApps, final int preferred, final long downMillis) {
        // Only an app whose other instance is up, so the stop moves its partitions.
        final Slot victim = firstUp(
                streamApps,
                preferred,
                s -> streamApps.stream()
                        .anyMatch(o -> o != s && o.service().equals(s.service()) && o.state() == State.UP));
        if (victim == null) {
            note("rebalance skipped: no stream app has both instances up");
            return;
        }
        if (victim.stop()) {
            count("rebalance.stops");
            note("SIGTERM " + victim.id() + " (its partitions move to the other instance); starts again in "
                    + downMillis + " ms");
            pending.add(scheduler.schedule(
                    guarded("start of " + victim.id(), () -> startAgain(victim)), downMillis, TimeUnit.MILLISECONDS));
        }
    }

    private void startAgain(final Slot slot) {
        final long begin = System.currentTimeMillis();
        try {
            slot.start();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        count("restarts");
        note(slot.id() + " is up again after a start of " + (System.currentTimeMillis() - begin) + " ms");
    }

    private void restartBroker(final long downMillis) {
        note("broker stops for " + downMillis + " ms");
        try {
            stack.restartBroker(Duration.ofMillis(downMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        count("brokerRestarts");
        note("broker is up again");
    }

    private void restartAgent(final int index) {
        final String agentId = agents.ids().get(index);
        final List<ProposedAction> again = new ArrayList<>();
        int decidedToo = 0;
        for (final Workload.Planned plan : workload.all()) {
            if (!plan.agentId().equals(agentId)) {
                continue;
            }
            if (!watcher.isDecided(plan.actionId())) {
                again.add(plan.action());
            } else if (decidedToo++ < 10) {
                again.add(plan.action());
            }
        }
        agents.restart(agentId, again);
        count("agentRestarts");
        note("agent " + agentId + " restarted and proposed " + again.size() + " actions again");
    }

    private static Slot firstUp(final List<Slot> slots, final int preferred, final Predicate<Slot> also) {
        for (int i = 0; i < slots.size(); i++) {
            final Slot slot = slots.get((preferred + i) % slots.size());
            if (slot.state() == State.UP && also.test(slot)) {
                return slot;
            }
        }
        return null;
    }

    /**
     * Waits for every fault to be done and every instance to be up again.
     *
     * @param timeout how long it may take
     * @return whether all is done
     * @throws InterruptedException when interrupted
     */
    boolean awaitDone(final Duration timeout) throws InterruptedException {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            final Future<?> next = pending.peek();
            if (next == null) {
                return stack.slots().stream().allMatch(s -> s.state() == State.UP);
            }
            try {
                next.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                errors.add(e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            }
            pending.remove(next);
        }
        return false;
    }

    private void count(final String what) {
        counts.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    private void note(final String what) {
        final String line = String.format("+%6.1f s %s", (System.currentTimeMillis() - started) / 1000.0, what);
        timeline.add(line);
        out.println("chaos " + line);
    }

    /** @return faults by kind */
    Map<String, Long> counts() {
        final Map<String, Long> sorted = new TreeMap<>();
        counts.forEach((k, v) -> sorted.put(k, v.get()));
        return sorted;
    }

    /** @return what happened, when */
    List<String> timeline() {
        return new ArrayList<>(timeline);
    }

    /** @return faults that could not be carried out (a service that did not start again, ...) */
    Queue<Throwable> errors() {
        return errors;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
