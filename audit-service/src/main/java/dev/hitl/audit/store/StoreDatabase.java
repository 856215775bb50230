package dev.hitl.audit.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit store's database: the configured PostgreSQL, or an {@link EmbeddedDatabase} started
 * here when none is configured; a connection pool over it; its schema brought up to date by Flyway
 * ({@code src/main/resources/db/migration}). {@link #open} is called by the filler's thread, so the
 * service starts (and writes and verifies the log) even while the database is not reachable.
 */
public final class StoreDatabase implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StoreDatabase.class);

    private final StoreSettings settings;
    private volatile EmbeddedDatabase embedded;
    private volatile HikariDataSource pool;
    private volatile boolean closed;

    /** @param settings where the database is */
    public StoreDatabase(final StoreSettings settings) {
        this.settings = settings;
    }

    /**
     * Starts the embedded server (when no URL is configured), opens the pool and migrates the
     * schema; does nothing once that succeeded.
     *
     * @return the pool
     * @throws IOException when the embedded server cannot start
     * @throws RuntimeException when the database cannot be reached or migrated
     */
    public synchronized DataSource open() throws IOException {
        if (closed) {
            throw new IllegalStateException("the audit store is closed");
        }
        if (pool != null) {
            return pool;
        }
        final String url;
        final String user;
        final String password;
        if (settings.embedded()) {
            if (embedded == null) {
                embedded = EmbeddedDatabase.start(settings.embeddedDirectory());
                LOG.info(
                        "Audit store: an embedded PostgreSQL server (port {}, data in {}), started by this service"
                                + " because no database is configured; set HITL_AUDIT_DB_URL (hitl.audit.store.url)"
                                + " to use your own PostgreSQL 14+",
                        embedded.port(),
                        embedded.directory());
            }
            url = embedded.jdbcUrl();
            user = embedded.user();
            password = null;
        } else {
            url = settings.url().strip();
            user = settings.username();
            password = settings.password();
            LOG.info("Audit store: PostgreSQL at {} as {}", redact(url), user);
        }
        final HikariConfig config = new HikariConfig();
        config.setPoolName("audit-store");
        config.setJdbcUrl(url);
        if (user != null && !user.isBlank()) {
            config.setUsername(user);
        }
        if (password != null && !password.isEmpty()) {
            config.setPassword(password);
        }
        config.setMaximumPoolSize(settings.poolSize());
        config.setMinimumIdle(1);
        // the pool is made even while the database is down; the filler retries until it is up
        config.setInitializationFailTimeout(-1);
        final HikariDataSource dataSource = new HikariDataSource(config);
        try {
            migrate(dataSource);
        } catch (RuntimeException e) {
            dataSource.close();
            throw e;
        }
        pool = dataSource;
        return dataSource;
    }

    /**
     * Brings the store's schema up to date ({@code db/migration}, Flyway).
     *
     * @param dataSource the store's database
     */
    public static void migrate(final DataSource dataSource) {
        final var result = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        if (result.migrationsExecuted > 0) {
            LOG.info("Audit store schema migrated to version {}", result.targetSchemaVersion);
        }
    }

    /** @return the pool, or null before {@link #open} succeeded */
    public DataSource dataSource() {
        return pool;
    }

    /** @return where the store is, for the status (never the password) */
    public Map<String, Object> describe() {
        final Map<String, Object> d = new LinkedHashMap<>();
        if (settings.embedded()) {
            d.put("database", "embedded");
            d.put("directory", settings.embeddedDirectory().toAbsolutePath().toString());
            final EmbeddedDatabase e = embedded;
            if (e != null) {
                d.put("port", e.port());
            }
        } else {
            d.put("database", "external");
            d.put("url", redact(settings.url().strip()));
        }
        d.put("open", pool != null);
        return d;
    }

    /**
     * @param url a JDBC URL
     * @return it with any password parameter's value replaced by {@code ***}
     */
    static String redact(final String url) {
        return url.replaceAll("(?i)([?&;]password=)[^&;]*", "$1***");
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (pool != null) {
            pool.close();
            pool = null;
        }
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                LOG.warn("The embedded PostgreSQL server did not stop cleanly: {}", e.toString());
            }
            embedded = null;
        }
    }
}
