package dev.hitl.approval.inbox;

import io.micronaut.health.HealthStatus;
import io.micronaut.management.health.indicator.AbstractHealthIndicator;
import io.micronaut.management.health.indicator.annotation.Readiness;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * {@code inbox} under {@code /health} and {@code /health/readiness}: UP only once the inbox has read
 * the topics up to the end offsets they had when the service started, and while it keeps reading
 * ({@link InboxMaterializer#isCurrent()}). Until then the inbox lacks requests and still shows decided
 * ones, so a load balancer should not send this instance reviewers.
 */
@Singleton
@Readiness
public class InboxHealthIndicator extends AbstractHealthIndicator<Map<String, Object>> {

    private final BooleanSupplier current;
    private final IntSupplier open;

    /** @param materializer the inbox */
    @Inject
    public InboxHealthIndicator(final InboxMaterializer materializer) {
        this(materializer::isCurrent, materializer.inbox()::openCount);
    }

    /**
     * @param current whether the inbox is up to date
     * @param open how many actions wait
     */
    InboxHealthIndicator(final BooleanSupplier current, final IntSupplier open) {
        this.current = current;
        this.open = open;
    }

    @Override
    protected Map<String, Object> getHealthInformation() {
        final boolean now = current.getAsBoolean();
        healthStatus = now ? HealthStatus.UP : HealthStatus.DOWN;
        return Map.of("current", now, "open", open.getAsInt());
    }

    @Override
    protected String getName() {
        return "inbox";
    }
}
