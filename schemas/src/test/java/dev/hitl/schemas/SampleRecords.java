package dev.hitl.schemas;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/** One realistic record of every type registered on a topic, with every optional field set. */
public final class SampleRecords {

    private static final Instant NOW = Instant.parse("2026-11-28T10:15:30.123Z");

    private SampleRecords() {}

    public static ProposedAction proposedAction(final String actionId) {
        return ProposedAction.newBuilder()
                .setActionId(actionId)
                .setAgentId("billing-agent-7")
                .setOnBehalfOf("alice@example.com")
                .setSessionId("session-42")
                .setActionType("payment.create")
                .setTool("stripe")
                .setTarget("acct_1NXq")
                .setArguments("{\"amount\":\"1250.00\",\"currency\":\"EUR\",\"to\":\"ACME GmbH\"}")
                .setEstimatedCost(new Money(new BigDecimal("1250.000000000"), "EUR"))
                .setConfidence(0.82)
                .setSystemsAffected(List.of("stripe", "ledger"))
                .setInputTrust(InputTrust.RETRIEVED)
                .setDomain("billing")
                .setInstructionConflict("The user said to pay only invoices under 1000 EUR")
                .setBatchId("batch-9")
                .setBatchSize(3)
                .setContext(ActionContext.newBuilder()
                        .setUserRequest("Pay the overdue ACME invoice")
                        .setStepsSoFar(List.of("searched invoices", "read invoice INV-77"))
                        .setRationale("The invoice is 30 days overdue")
                        .setAlternatives(List.of("remind the user", "pay half now"))
                        .setExpectedOutcome("ACME receives 1250 EUR")
                        .setRisks(List.of("<script>alert('x')</script> in the invoice text"))
                        .build())
                .setProposedAt(NOW)
                .setReplyBy(NOW.plus(10, ChronoUnit.MINUTES))
                .build();
    }

    public static RiskAssessment assessment() {
        return RiskAssessment.newBuilder()
                .setRiskClass(RiskClass.IRREVERSIBLE)
                .setScore(0.87)
                .setReasons(List.of("payments cannot be undone", "triggered by retrieved text"))
                .setMatchedRules(List.of("payments.irreversible", "low-trust-input"))
                .setTriggers(List.of(new Trigger("cost-above", "1250.0000 EUR", "1000 EUR", "raise-tier")))
                .setPolicyVersion("2026-11-28.1")
                .setAutonomyLevel(AutonomyLevel.DEMOTED)
                .setAssessedAt(NOW.plusMillis(12))
                .build();
    }

    public static ClassifiedAction classifiedAction(final String actionId) {
        return new ClassifiedAction(proposedAction(actionId), assessment());
    }

    public static ApprovalRequest approvalRequest(final String actionId) {
        return ApprovalRequest.newBuilder()
                .setRequestId(actionId + ":0:0")
                .setAction(proposedAction(actionId))
                .setAssessment(assessment())
                .setRoute(new ApprovalRoute(
                        "senior",
                        "finance",
                        List.of(new ApprovalStage("finance", 1), new ApprovalStage("cfo-office", 2)),
                        ApprovalMode.SEQUENTIAL))
                .setStageIndex(0)
                .setEscalationLevel(0)
                .setDeadline(NOW.plus(15, ChronoUnit.MINUTES))
                .setOnTimeout(OnTimeout.ESCALATE)
                .setRequestedAt(NOW.plusMillis(40))
                .build();
    }

    public static Vote vote(final String actionId) {
        return Vote.newBuilder()
                .setVoteId("vote-" + actionId)
                .setActionId(actionId)
                .setApprover("bob@example.com")
                .setGroups(List.of("finance"))
                .setVerdict(Verdict.MODIFY)
                .setModifiedArguments("{\"amount\":\"1000.00\",\"currency\":\"EUR\",\"to\":\"ACME GmbH\"}")
                .setReason("Pay only the agreed 1000 EUR")
                .setVotedAt(NOW.plus(3, ChronoUnit.MINUTES))
                .setRequestId(actionId + ":0:0")
                .setStageIndex(0)
                .setRequestVersion(0)
                .setTimeOnCardMillis(41_000L)
                .build();
    }

    public static Decision decision(final String actionId) {
        return Decision.newBuilder()
                .setActionId(actionId)
                .setAgentId("billing-agent-7")
                .setActionType("payment.create")
                .setTool("stripe")
                .setTarget("invoice/2026-0042")
                .setOutcome(Outcome.MODIFIED)
                .setFinalArguments("{\"amount\":\"1000.00\",\"currency\":\"EUR\",\"to\":\"ACME GmbH\"}")
                .setArgumentsHash(dev.hitl.schemas.integrity.CanonicalJson.sha256(
                        "{\"amount\":\"1000.00\",\"currency\":\"EUR\",\"to\":\"ACME GmbH\"}"))
                .setProposalHash("5e8c1e0f3a1f0d2b9c7e6a5b4d3c2b1a0f9e8d7c6b5a4938271605f4e3d2c1b0")
                .setApprovers(List.of("bob@example.com"))
                .setFeedback(new Feedback("Pay only the agreed 1000 EUR", "reviewer"))
                .setDecidedBy("reviewers")
                .setPolicyVersion("2026-11-28.1")
                .setDecidedAt(NOW.plus(3, ChronoUnit.MINUTES))
                .setExpiresAt(NOW.plus(1, ChronoUnit.HOURS))
                .setSignatureKeyId("decisions-2026-11")
                .setSignatureAlgorithm("Ed25519")
                .setSignature("3q2+7w==")
                .build();
    }

    public static AgentControl agentControl() {
        return new AgentControl(
                "billing-agent-7",
                AgentState.HALTED,
                "instruction conflict on a payment",
                "trigger:instruction-conflict",
                "a-1",
                NOW);
    }

    public static PolicyDocument policyDocument() {
        return new PolicyDocument(
                "default",
                "2026-11-28.1",
                "version: 2026-11-28.1\nrules: []\n",
                "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
                "ops@example.com",
                NOW);
    }

    public static TrustStats trustStats() {
        return new TrustStats(
                "billing-agent-7",
                "payment.create",
                List.of(Outcome.APPROVED, Outcome.REJECTED, Outcome.MODIFIED),
                1,
                1,
                1,
                0,
                57L,
                AutonomyLevel.STANDARD,
                NOW);
    }

    public static AuditRecord auditRecord(final String actionId) {
        return new AuditRecord(
                2,
                7L,
                1,
                "DECIDED",
                actionId,
                "billing-agent-7",
                "escalation-service",
                NOW,
                "2026-11-28.1",
                "hitl.decisions/2/41",
                "{\"outcome\":\"MODIFIED\"}",
                "0".repeat(64),
                "a".repeat(64));
    }

    /** @return one sample of every registered record type */
    public static List<SpecificRecord> all(final String actionId) {
        return List.of(
                proposedAction(actionId),
                classifiedAction(actionId),
                approvalRequest(actionId),
                vote(actionId),
                decision(actionId),
                agentControl(),
                policyDocument(),
                trustStats(),
                auditRecord(actionId));
    }
}
