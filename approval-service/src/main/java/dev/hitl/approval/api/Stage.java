package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;

/**
 * @param stageIndex the stage
 * @param group its group
 * @param requestId the request answering it
 */
@Serdeable
public record Stage(int stageIndex, String group, String requestId) {}
