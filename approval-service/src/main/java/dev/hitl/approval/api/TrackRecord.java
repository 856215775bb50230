package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;

/**
 * @param approved approvals in the window
 * @param modified modifications in the window
 * @param rejected rejections in the window
 * @param timedOut timeouts in the window
 * @param total all decisions ever
 * @param autonomyLevel the autonomy earned
 */
@Serdeable
public record TrackRecord(int approved, int modified, int rejected, int timedOut, long total, String autonomyLevel) {}
