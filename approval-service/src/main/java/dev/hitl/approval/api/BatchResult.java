package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/** @param results one per action */
@Serdeable
public record BatchResult(List<BatchItem> results) {}
