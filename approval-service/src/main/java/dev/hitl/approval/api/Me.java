package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/** @param name the reviewer @param groups the reviewer's groups */
@Serdeable
public record Me(String name, List<String> groups) {}
