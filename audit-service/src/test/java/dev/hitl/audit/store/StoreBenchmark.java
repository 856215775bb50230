package dev.hitl.audit.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.hitl.audit.History;
import dev.hitl.audit.RecordedHistory;
import dev.hitl.audit.log.LogRecord;
import dev.hitl.audit.query.RecordFilter;
import dev.hitl.audit.report.Calibration;
import dev.hitl.audit.simulate.StoreSimulation;
import dev.hitl.policy.DefaultPolicy;
import dev.hitl.policy.Policy;
import dev.hitl.policy.PolicyParser;
import dev.hitl.schemas.AuditRecord;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;

/**
 * Fill rate and query latency of the audit store at scale (not a test: run it by hand, see the
 * audit-service README, "Benchmarking the store").
 *
 * <p>The records are copies of the designed {@link History} (135 records of 30 actions, recorded by
 * the production topology, payloads 0.5–3 KB): copy k renames every action ({@code a-0} becomes
 * {@code a-0-k}), spreads the agents over 100 names and the reviewers over 20, and shifts the times
 * by k × {@code --spread} (so a day holds a known share). Each action's records go to one of
 * {@code --partitions} partitions by its id, in time order. The store is filled as the service fills
 * it ({@link AuditStore#fill}, batches of {@code --batch}), then each query runs {@code --repeat}
 * times and its median and slowest are printed.
 *
 * <pre>
 * StoreBenchmark --records 1000000 [--dir /var/tmp/audit-bench | --url jdbc:postgresql://... --user u --password p]
 *     [--batch 2000] [--partitions 6] [--spread PT10S] [--repeat 20] [--queries-only]
 * </pre>
 */
public final class StoreBenchmark {

    private StoreBenchmark() {}

    /**
     * @param args see the class comment
     * @throws Exception when the benchmark fails
     */
    public static void main(final String[] args) throws Exception {
        final Map<String, String> o = options(args);
        final long records = Long.parseLong(o.getOrDefault("records", "100000"));
        final int batch = Integer.parseInt(o.getOrDefault("batch", "2000"));
        final int partitions = Integer.parseInt(o.getOrDefault("partitions", "6"));
        final Duration spread = Duration.parse(o.getOrDefault("spread", "PT10S"));
        final int repeat = Integer.parseInt(o.getOrDefault("repeat", "20"));
        EmbeddedDatabase embedded = null;
        final HikariConfig config = new HikariConfig();
        if (o.containsKey("url")) {
            config.setJdbcUrl(o.get("url"));
            config.setUsername(o.get("user"));
            config.setPassword(o.get("password"));
        } else {
            embedded = EmbeddedDatabase.start(Path.of(o.getOrDefault("dir", "target/store-benchmark")));
            config.setJdbcUrl(embedded.jdbcUrl());
            config.setUsername(embedded.user());
        }
        config.setMaximumPoolSize(4);
        try (HikariDataSource ds = new HikariDataSource(config)) {
            StoreDatabase.migrate(ds);
            final List<LogRecord> template = RecordedHistory.record(History::build);
            final long copies = Math.max(1, records / template.size());
            if (!o.containsKey("queries-only")) {
                fill(ds, template, copies, batch, partitions, spread);
            }
            queries(ds, copies, spread, repeat);
        } finally {
            if (embedded != null) {
                embedded.close();
            }
        }
    }

    private static void fill(
            final HikariDataSource ds,
            final List<LogRecord> template,
            final long copies,
            final int batch,
            final int partitions,
            final Duration spread)
            throws Exception {
        final AuditStore store = new AuditStore(ds);
        store.refill("benchmark", "StoreBenchmark", 60_000);
        final long generation = store.generation();
        final long[] offsets = new long[partitions];
        final List<LogRecord> pending = new ArrayList<>(batch);
        final long start = System.nanoTime();
        long written = 0;
        long lastReport = 0;
        for (long k = 0; k < copies; k++) {
            for (final LogRecord r : template) {
                final AuditRecord copy = copy(r.record(), k, spread);
                final int p = Math.floorMod(
                        String.valueOf(copy.getActionId() == null ? copy.getSource() : copy.getActionId())
                                .hashCode(),
                        partitions);
                pending.add(new LogRecord(p, offsets[p]++, copy));
                if (pending.size() == batch) {
                    written += store.fill(TestDatabase.batch(pending), generation);
                    pending.clear();
                }
            }
            if (written - lastReport >= 500_000) {
                lastReport = written;
                report("fill", written, start);
            }
        }
        if (!pending.isEmpty()) {
            written += store.fill(TestDatabase.batch(pending), generation);
        }
        report("fill", written, start);
        final long analyzing = System.nanoTime();
        store.analyze(); // as the filler does when it has caught up
        System.out.printf(Locale.ROOT, "analyze: %.1f s%n", (System.nanoTime() - analyzing) / 1e9);
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select pg_total_relation_size('audit_record'),"
                        + " pg_total_relation_size('audit_action'), pg_database_size(current_database())")) {
            rs.next();
            System.out.printf(
                    Locale.ROOT,
                    "size: audit_record %d MB (%d B per record, indexes included), audit_action %d MB, database %d MB%n",
                    rs.getLong(1) >> 20,
                    rs.getLong(1) / Math.max(1, written),
                    rs.getLong(2) >> 20,
                    rs.getLong(3) >> 20);
        }
    }

    private static void report(final String what, final long records, final long start) {
        final double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
                Locale.ROOT,
                "%s: %d records in %.1f s, %.0f records/s%n",
                what,
                records,
                seconds,
                records / Math.max(seconds, 1e-9));
    }

    /** Copy k of a template record: its action renamed, agents and reviewers spread, its time shifted. */
    private static AuditRecord copy(final AuditRecord r, final long k, final Duration spread) {
        final String suffix = "-" + k;
        final String agentSuffix = "-" + (k % 100);
        final String reviewer = (k % 20) + "@example.com";
        String payload = r.getPayload();
        if (r.getActionId() != null) {
            payload = payload.replace('"' + r.getActionId() + '"', '"' + r.getActionId() + suffix + '"');
        }
        payload =
                payload.replace("@example.com", reviewer).replaceAll("\"(agent-[a-z]+)\"", "\"$1" + agentSuffix + "\"");
        return AuditRecord.newBuilder(r)
                .setActionId(r.getActionId() == null ? null : r.getActionId() + suffix)
                .setAgentId(r.getAgentId() == null ? null : r.getAgentId() + agentSuffix)
                .setActor(r.getActor().replace("@example.com", reviewer))
                .setOccurredAt(r.getOccurredAt().plus(spread.multipliedBy(k)))
                .setPayload(payload)
                .build();
    }

    private static void queries(final HikariDataSource ds, final long copies, final Duration spread, final int repeat)
            throws Exception {
        final AuditQueries queries = new AuditQueries(ds);
        final Random random = new Random(1);
        final Instant start = History.START;
        final Instant end = History.START.plus(spread.multipliedBy(copies)).plus(Duration.ofHours(6));
        final Instant dayFrom = start.plus(Duration.between(start, end).dividedBy(2));
        final Instant dayTo = dayFrom.plus(Duration.ofDays(1));
        final Policy looser = PolicyParser.parse(History.looser(DefaultPolicy.yaml()));
        time(
                "story of one action",
                repeat,
                () -> queries.story("c-3-" + random.nextLong(copies)).size());
        time(
                "records of one agent, page 0 of 50",
                repeat,
                () -> queries.search(
                                new RecordFilter(
                                        "agent-files-" + random.nextInt(100), null, null, null, null, null, null, null),
                                0,
                                50)
                        .total());
        time(
                "records of one reviewer, page 0 of 50",
                repeat,
                () -> queries.search(
                                new RecordFilter(
                                        null,
                                        "rita" + random.nextInt(20) + "@example.com",
                                        null,
                                        null,
                                        null,
                                        null,
                                        null,
                                        null),
                                0,
                                50)
                        .total());
        time(
                "REJECTED decisions in one day, page 0 of 50",
                repeat,
                () -> queries.search(new RecordFilter(null, null, "REJECTED", null, null, null, dayFrom, dayTo), 0, 50)
                        .total());
        time(
                "IRREVERSIBLE payment records, page 100 of 50",
                repeat,
                () -> queries.search(
                                new RecordFilter(null, null, null, "payment.create", "IRREVERSIBLE", null, null, null),
                                100,
                                50)
                        .total());
        time(
                "all records, page 0 of 50 (count included)",
                Math.min(repeat, 5),
                () -> queries.search(RecordFilter.any(), 0, 50).total());
        time(
                "calibration report, one day",
                Math.min(repeat, 5),
                () -> new Calibration(ds).report(dayFrom, dayTo).proposed());
        time(
                "calibration report, everything",
                Math.min(repeat, 3),
                () -> new Calibration(ds).report(null, null).proposed());
        time("export of one day (rows read)", Math.min(repeat, 3), () -> queries.forEach(dayFrom, dayTo, r -> {}));
        time(
                "simulation of a looser policy, one day",
                Math.min(repeat, 3),
                () -> new StoreSimulation(ds).simulate(looser, dayFrom, dayTo).proposals());
        time(
                "simulation of a looser policy, everything",
                1,
                () -> new StoreSimulation(ds).simulate(looser, null, null).proposals());
    }

    private static void time(final String what, final int times, final Callable<Number> query) throws Exception {
        final long[] millis = new long[times];
        Number result = null;
        for (int i = 0; i < times; i++) {
            final long t = System.nanoTime();
            result = query.call();
            millis[i] = (System.nanoTime() - t) / 1_000_000;
        }
        Arrays.sort(millis);
        System.out.printf(
                Locale.ROOT,
                "%-48s median %6d ms, slowest %6d ms over %d runs (result %s)%n",
                what,
                millis[(times - 1) / 2],
                millis[times - 1],
                times,
                result);
    }

    private static Map<String, String> options(final String[] args) {
        final Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("unexpected " + args[i]);
            }
            final String name = args[i].substring(2);
            if (name.equals("queries-only")) {
                o.put(name, "true");
            } else {
                o.put(name, args[++i]);
            }
        }
        return o;
    }
}
