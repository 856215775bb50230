package dev.hitl.audit.store;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The settings of the audit store ({@code hitl.audit.store.*}).
 *
 * @param url the JDBC URL of a PostgreSQL 14+ database ({@code HITL_AUDIT_DB_URL}); blank: the
 *     service runs its own embedded PostgreSQL server
 * @param username the database user ({@code HITL_AUDIT_DB_USER})
 * @param password the user's password ({@code HITL_AUDIT_DB_PASSWORD}); never logged
 * @param embeddedDirectory the embedded server's data directory
 * @param refillOnStart drop the store and fill it again from the log at start ({@code
 *     HITL_AUDIT_STORE_REFILL})
 * @param poolSize the most connections the service opens
 * @param refillLockTimeout how long a refill waits for running queries and exports before it tries
 *     again
 */
public record StoreSettings(
        String url,
        String username,
        String password,
        Path embeddedDirectory,
        boolean refillOnStart,
        int poolSize,
        Duration refillLockTimeout) {

    /** @return whether the service runs its own embedded server (no URL configured) */
    public boolean embedded() {
        return url == null || url.isBlank();
    }

    @Override
    public String toString() {
        return "StoreSettings[" + (embedded() ? "embedded in " + embeddedDirectory : url + " as " + username)
                + ", refillOnStart=" + refillOnStart + ", poolSize=" + poolSize + "]";
    }
}
