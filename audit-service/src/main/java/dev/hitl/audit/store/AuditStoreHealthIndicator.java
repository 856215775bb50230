package dev.hitl.audit.store;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * Reports the audit store under {@code /health} ({@code auditStore}: ready, records, actions,
 * unreadable, lag, where the store is, and the failure when it cannot be filled). The service stays
 * UP while the store catches up with the log and while its database is unreachable: writing and
 * verifying the log do not need it, and the store's endpoints answer 503 meanwhile ({@code GET
 * /audit/store} tells why).
 */
@Singleton
public class AuditStoreHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private final AuditStoreFiller filler;

    /** @param filler fills the store */
    public AuditStoreHealthIndicator(final AuditStoreFiller filler) {
        this.filler = filler;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        healthStatus = HealthStatus.UP;
        return filler.status();
    }

    @Override
    protected String getName() {
        return "auditStore";
    }
}
