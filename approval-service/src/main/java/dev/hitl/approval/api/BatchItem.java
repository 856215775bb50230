package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;

/**
 * @param actionId the action
 * @param status the HTTP status its vote got
 * @param problem why it did not count, if it did not
 */
@Serdeable
public record BatchItem(String actionId, int status, String problem) {}
