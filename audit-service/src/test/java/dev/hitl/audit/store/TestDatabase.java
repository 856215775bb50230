package dev.hitl.audit.store;

import dev.hitl.audit.log.LogRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL server for the unit tests: one {@link EmbeddedDatabase} per test JVM (started
 * at first use, stopped and deleted at exit), and a fresh, migrated database for each caller.
 */
public final class TestDatabase {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedDatabase server;

    private TestDatabase() {}

    /** @return the server, started at first use */
    public static synchronized EmbeddedDatabase server() {
        if (server == null) {
            try {
                final Path target = Files.createDirectories(Path.of("target"));
                // the servers of earlier test runs that could not delete their directory
                try (Stream<Path> earlier = Files.list(target)) {
                    earlier.filter(p -> p.getFileName().toString().startsWith("test-postgres-"))
                            .filter(p -> ProcessHandle.of(pid(p)).isEmpty())
                            .forEach(TestDatabase::delete);
                }
                final Path dir = target.resolve(
                                "test-postgres-" + ProcessHandle.current().pid())
                        .toAbsolutePath();
                server = EmbeddedDatabase.start(dir);
                final EmbeddedDatabase started = server;
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        started.close();
                    } catch (IOException e) {
                        // the server stops with the JVM anyway
                    }
                    delete(dir);
                }));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return server;
    }

    /** @return the JDBC URL of a new, empty database on the server, migrated */
    public static String freshUrl() {
        final String name = "audit_" + DATABASES.incrementAndGet();
        final EmbeddedDatabase s = server();
        try (Connection c = dataSource(s.jdbcUrl()).getConnection();
                Statement st = c.createStatement()) {
            st.execute("create database " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        final String url = s.jdbcUrl().replace("/postgres", "/" + name);
        StoreDatabase.migrate(dataSource(url));
        return url;
    }

    /** @return a new, empty database on the server, migrated */
    public static DataSource fresh() {
        return dataSource(freshUrl());
    }

    /**
     * @param url a database of the server
     * @return a data source for it (a connection per call)
     */
    public static DataSource dataSource(final String url) {
        final PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(url);
        ds.setUser(server().user());
        return ds;
    }

    /**
     * @param records a log
     * @return a new database filled with it
     */
    public static DataSource filled(final List<LogRecord> records) throws SQLException {
        final DataSource ds = fresh();
        fill(new AuditStore(ds), records, 50);
        return ds;
    }

    /**
     * Fills a store as the filler does: batches in the given order, each with the next offsets of
     * its partitions.
     *
     * @param store the store
     * @param records the records, in the order to write them
     * @param batchSize records per batch
     * @return how many records were inserted
     */
    public static long fill(final AuditStore store, final List<LogRecord> records, final int batchSize)
            throws SQLException {
        final long generation = store.generation();
        long inserted = 0;
        for (int i = 0; i < records.size(); i += batchSize) {
            inserted += store.fill(batch(records.subList(i, Math.min(records.size(), i + batchSize))), generation);
        }
        return inserted;
    }

    /**
     * @param records some records
     * @return a batch of them, with per partition the offset after the last one
     */
    public static AuditStore.Batch batch(final List<LogRecord> records) {
        final Map<Integer, Long> positions = new HashMap<>();
        records.forEach(r -> positions.merge(r.partition(), r.offset() + 1, Math::max));
        return new AuditStore.Batch(new ArrayList<>(records), positions, Map.of());
    }

    private static long pid(final Path dir) {
        try {
            return Long.parseLong(dir.getFileName().toString().substring("test-postgres-".length()));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static void delete(final Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // left for mvn clean
        }
    }
}
