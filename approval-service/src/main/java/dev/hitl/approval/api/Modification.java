package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * A version of the action made by a reviewer's modification. Everything in it is untrusted text
 * (the agent's arguments, the modifier's arguments and reason).
 *
 * @param modifiedBy the reviewer whose modification made the version
 * @param reason why they modified it
 * @param originalArguments the agent's own arguments (JSON text)
 * @param changes how the arguments to approve differ from the agent's, member by member
 */
@Serdeable
public record Modification(String modifiedBy, String reason, String originalArguments, List<Change> changes) {}
