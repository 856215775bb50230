package dev.hitl.approval.security;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Singleton;
import java.util.Map;

/**
 * {@code revokedSessions} under {@code /health} and {@code /health/readiness}: UP only while this
 * instance has read the signed-out session tokens up to date ({@link RevokedSessions}): from the
 * end offsets at start on, and for as long as its reader runs. Until then it refuses every session
 * token, so a load balancer should not send it reviewers.
 */
@Singleton
@Readiness
public class RevokedSessionsHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private final RevokedSessions revoked;

    /** @param revoked the signed-out tokens */
    public RevokedSessionsHealthIndicator(final RevokedSessions revoked) {
        this.revoked = revoked;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        healthStatus = revoked.isCurrent() ? HealthStatus.UP : HealthStatus.DOWN;
        return Map.of(
                "current", revoked.isCurrent(),
                "revoked", revoked.denylist().size(),
                "overflowed", revoked.denylist().overflowed());
    }

    @Override
    protected String getName() {
        return "revokedSessions";
    }
}
