package dev.hitl.approval.inbox;

import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AutonomyLevel;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.RiskAssessment;
import dev.hitl.schemas.RiskClass;
import dev.hitl.schemas.SpotCheck;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.SpotCheckVerdict;
import java.time.Instant;
import java.util.List;

/** Spot checks and answers as the classifier and reviewers' voters write them, for tests. */
public final class SpotCheckRecords {

    /** Text an agent might write to break a page. */
    public static final String EVIL = "<script>window.__pwned=1</script><img src=x onerror=\"alert(1)\">";

    private SpotCheckRecords() {}

    /**
     * @param actionId the auto-approved action
     * @param agentId its agent
     * @param onBehalfOf whom it acted for
     * @param group the review group
     * @param sampledAt when it was sampled
     * @return a spot check of an auto-approved fs.write
     */
    public static SpotCheck spotCheck(
            final String actionId,
            final String agentId,
            final String onBehalfOf,
            final String group,
            final Instant sampledAt) {
        final ProposedAction action = ProposedAction.newBuilder()
                .setActionId(actionId)
                .setAgentId(agentId)
                .setOnBehalfOf(onBehalfOf)
                .setActionType("fs.write")
                .setTool("filesystem")
                .setTarget("/srv/notes/" + EVIL)
                .setArguments("{\"path\":\"/srv/notes/a.txt\",\"content\":\"" + EVIL.replace("\"", "\\\"") + "\"}")
                .setConfidence(0.9)
                .setInputTrust(InputTrust.USER)
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("Save my notes " + EVIL)
                        .setRationale("because " + EVIL)
                        .build())
                .setProposedAt(sampledAt)
                .build();
        return SpotCheck.newBuilder()
                .setActionId(actionId)
                .setAgentId(agentId)
                .setActionType("fs.write")
                .setTool("filesystem")
                .setTarget(action.getTarget())
                .setAction(action)
                .setAssessment(RiskAssessment.newBuilder()
                        .setRiskClass(RiskClass.REVERSIBLE_WRITE)
                        .setScore(0.12)
                        .setReasons(List.of("internal reversible write " + EVIL))
                        .setMatchedRules(List.of("fs.write-internal"))
                        .setTriggers(List.of())
                        .setPolicyVersion("v7")
                        .setAutonomyLevel(AutonomyLevel.STANDARD)
                        .setAssessedAt(sampledAt)
                        .build())
                .setRules(List.of("fs.write-internal " + EVIL))
                .setDecidedBy("classifier:fs.write-internal")
                .setPolicyVersion("v7")
                .setSampleRate(0.05)
                .setSampleRule("fs.write-internal")
                .setReviewGroup(group)
                .setAutoApprovedAt(sampledAt)
                .setSampledAt(sampledAt)
                .build();
    }

    /**
     * @param actionId the spot-checked action
     * @param reviewer who answers
     * @param group their group
     * @return an unsigned answer
     */
    public static SpotCheckAnswer answer(final String actionId, final String reviewer, final String group) {
        return SpotCheckAnswer.newBuilder()
                .setAnswerId("ans-" + actionId + "-" + reviewer)
                .setActionId(actionId)
                .setReviewer(reviewer)
                .setGroups(List.of(group))
                .setVerdict(SpotCheckVerdict.SHOULD_HAVE_ASKED)
                .setReason("it wrote outside the notes")
                .setAnsweredAt(Instant.now())
                .build();
    }
}
