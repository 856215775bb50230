package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * A spot check with the action exactly as it was auto-approved (and ran). All text the agent wrote
 * is untrusted.
 *
 * @param summary the list line
 * @param arguments the arguments it ran with (JSON text)
 * @param userRequest what the user asked
 * @param stepsSoFar what the agent did before
 * @param rationale why it wanted this
 * @param alternatives what else it considered
 * @param expectedOutcome what it expected
 * @param risks the risks it saw
 * @param cost the estimated cost
 * @param systemsAffected the systems touched
 * @param inputTrust the trust of the input that led to it
 * @param domain the domain
 * @param reasons the classifier's reasons
 * @param matchedRules the rules that matched
 * @param triggers the triggers that fired
 * @param autonomyLevel the agent's autonomy for the action type
 */
@Serdeable
public record SpotCheckDetail(
        SpotCheckSummary summary,
        String arguments,
        String userRequest,
        List<String> stepsSoFar,
        String rationale,
        List<String> alternatives,
        String expectedOutcome,
        List<String> risks,
        String cost,
        List<String> systemsAffected,
        String inputTrust,
        String domain,
        List<String> reasons,
        List<String> matchedRules,
        List<String> triggers,
        String autonomyLevel) {}
