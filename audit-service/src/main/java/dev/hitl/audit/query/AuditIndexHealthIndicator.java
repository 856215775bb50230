package dev.hitl.audit.query;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * Reports the audit index under {@code /health} ({@code auditIndex}: ready, records, actions,
 * unreadable). The service is UP while the index catches up (verification and the log's writing
 * do not need it); {@code GET /audit/index} answers 503 until it is ready.
 */
@Singleton
public class AuditIndexHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private final AuditIndexer indexer;

    /** @param indexer keeps the index */
    public AuditIndexHealthIndicator(final AuditIndexer indexer) {
        this.indexer = indexer;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        healthStatus = HealthStatus.UP;
        return indexer.status();
    }

    @Override
    protected String getName() {
        return "auditIndex";
    }
}
