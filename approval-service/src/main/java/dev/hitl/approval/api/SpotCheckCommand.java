package dev.hitl.approval.api;

import dev.hitl.schemas.SpotCheckVerdict;
import io.micronaut.core.annotation.Nullable;
import io.micronaut.serde.annotation.Serdeable;

/**
 * A reviewer's answer to a spot check.
 *
 * @param verdict {@code RIGHTLY_AUTO_APPROVED} or {@code SHOULD_HAVE_ASKED}
 * @param reason why; required with {@code SHOULD_HAVE_ASKED} (what a human would have caught)
 * @param timeOnCardMillis how long the reviewer had the spot check open, when known
 */
@Serdeable
public record SpotCheckCommand(
        @Nullable SpotCheckVerdict verdict,
        @Nullable String reason,
        @Nullable Long timeOnCardMillis) {}
