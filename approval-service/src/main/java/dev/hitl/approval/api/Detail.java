package dev.hitl.approval.api;

import io.micronaut.serde.annotation.Serdeable;
import java.util.List;

/**
 * Everything a reviewer needs to decide. All text comes from the agent and is untrusted.
 *
 * @param summary the inbox line
 * @param arguments the arguments to approve (JSON text): the agent's at version 0, else the
 *     version's modified arguments
 * @param argumentsHash their hash (SHA-256 of the RFC 8785 form), which a vote approves
 * @param modification who modified the action to this version, why and how; null at version 0
 * @param userRequest what the user asked
 * @param stepsSoFar what the agent did so far
 * @param rationale why it wants this
 * @param alternatives what else it considered
 * @param expectedOutcome what it expects
 * @param risks the risks it sees
 * @param cost the estimated cost
 * @param systemsAffected the systems touched
 * @param inputTrust the trust of the input that led to it
 * @param domain the domain
 * @param instructionConflict a conflict with earlier instructions
 * @param reasons why the classifier sent it to a human
 * @param matchedRules the rules that matched
 * @param triggers the triggers that fired
 * @param policyVersion the policy version
 * @param autonomyLevel the agent's autonomy for this action type
 * @param trackRecord the agent's record for this action type
 * @param similarRejections the same agent's recent rejections of the same action type and tool,
 *     newest first (at most {@value RequestService#SIMILAR_REJECTIONS})
 */
@Serdeable
public record Detail(
        Summary summary,
        String arguments,
        String argumentsHash,
        Modification modification,
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
        String instructionConflict,
        List<String> reasons,
        List<String> matchedRules,
        List<String> triggers,
        String policyVersion,
        String autonomyLevel,
        TrackRecord trackRecord,
        List<SimilarRejection> similarRejections) {}
