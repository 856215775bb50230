package dev.hitl.schemas.integrity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hitl.schemas.ActionContext;
import dev.hitl.schemas.AuditCheckpoint;
import dev.hitl.schemas.Decision;
import dev.hitl.schemas.Feedback;
import dev.hitl.schemas.InputTrust;
import dev.hitl.schemas.Money;
import dev.hitl.schemas.Outcome;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SpotCheckAnswer;
import dev.hitl.schemas.SpotCheckVerdict;
import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.VoterRegistration;
import dev.hitl.schemas.VoterStatus;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The test vectors of the decision signature and the proposal hash (schemas README): a fixed key
 * pair, decisions with their signed content and signature, forged decisions that must not verify,
 * and proposals with their canonical form and hash. {@code SignatureVectorsTest} checks that the
 * committed file is exactly what the code makes, and that Node's own crypto verifies it; run
 * {@code main} to rewrite the file after a deliberate change to the spec.
 */
final class SignatureVectors {

    /** Where the vectors live, from the module's directory. */
    static final Path FILE = Path.of("src/test/resources/vectors/signatures.json");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SignatureVectors() {}

    static DecisionKeys.PrivateKey key() {
        final byte[] seed = new byte[32];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = (byte) i;
        }
        return DecisionKeys.fromSeed("test-vectors-1", seed);
    }

    static JsonNode build() {
        final DecisionKeys.PrivateKey key = key();
        final DecisionSigner signer = new DecisionSigner(key);
        final ObjectNode root = JSON.createObjectNode();
        root.put(
                "description",
                "hitl decision signatures (Ed25519 over the RFC 8785 JSON of the signed members) and proposal"
                        + " hashes; see schemas/README.md. Timestamps are epoch milliseconds.");
        root.set("privateKey", readTree(key.toJwk()));
        root.set(
                "publicKeys",
                readTree(DecisionKeys.PublicKeys.of(key.publicKey()).toJwks()));

        final ArrayNode decisions = root.putArray("decisions");
        for (final Map.Entry<String, Decision> entry : decisions().entrySet()) {
            final Decision signed = signer.sign(entry.getValue());
            final ObjectNode vector = decisions.addObject();
            vector.put("name", entry.getKey());
            vector.set("decision", decisionJson(signed));
            vector.put("signedContent", DecisionSigner.signedContent(signed));
            vector.put("signature", signed.getSignature());
            vector.put("valid", true);
        }
        final Decision base = signer.sign(decisions().values().iterator().next());
        final ArrayNode forged = root.putArray("forged");
        forged(
                forged,
                "outcome changed after signing",
                Decision.newBuilder(base).setOutcome(Outcome.MODIFIED).build());
        forged(
                forged,
                "tool changed after signing",
                Decision.newBuilder(base).setTool("shell").build());
        forged(
                forged,
                "signed by another key under the same key id",
                new DecisionSigner(DecisionKeys.fromSeed("test-vectors-1", new byte[32])).sign(base));
        final Decision hmac = Decision.newBuilder(base)
                .setSignatureAlgorithm(DecisionSigner.LEGACY_ALGORITHM)
                .build();
        hmac.setSignature(Base64.getEncoder().encodeToString(new byte[32]));
        forged(forged, "legacy HmacSHA256", hmac);

        final ArrayNode proposals = root.putArray("proposals");
        for (final Map.Entry<String, ProposedAction> entry : proposals().entrySet()) {
            final ObjectNode vector = proposals.addObject();
            vector.put("name", entry.getKey());
            vector.set("proposal", proposalJson(entry.getValue()));
            vector.put("canonical", ProposalHash.canonical(entry.getValue()));
            vector.put("proposalHash", ProposalHash.of(entry.getValue()));
        }
        // Agent credentials: a fixed master secret, the derived key, and the authentication of a
        // proposal and a withdrawal.
        final byte[] master = "hitl test vectors master secret, not a real one".getBytes(StandardCharsets.UTF_8);
        final ProposedAction full = proposals().get("full");
        final AgentCredentials.Credential credential =
                AgentCredentials.derive(master, full.getAgentId(), "cred-2026-12");
        final ObjectNode credentials = root.putObject("agentCredentials");
        credentials.put("masterSecretUtf8", new String(master, StandardCharsets.UTF_8));
        credentials.put("agentId", credential.agentId());
        credentials.put("credentialId", credential.credentialId());
        credentials.put("key", credential.encodedKey());
        final String proposalContent =
                AgentCredentials.proposalContent(full, ProposalHash.of(full), credential.credentialId());
        credentials.put("proposal", "full");
        credentials.put("proposalContent", proposalContent);
        credentials.put("proposalHeader", AgentCredentials.header(credential, proposalContent));
        final String withdrawalContent =
                AgentCredentials.withdrawalContent(full.getActionId(), full.getAgentId(), credential.credentialId());
        credentials.put("withdrawalContent", withdrawalContent);
        credentials.put("withdrawalHeader", AgentCredentials.header(credential, withdrawalContent));

        // Vote authentication: a voter's key pair, its registration, signed votes and forged ones.
        final byte[] voterSeed = new byte[32];
        java.util.Arrays.fill(voterSeed, (byte) 7);
        final VoteSigner voteSigner = new VoteSigner("reviewer-app-1", DecisionKeys.fromSeed("voter-key-1", voterSeed));
        final VoterRegistration voter = voter(voteSigner);
        final ObjectNode votesRoot = root.putObject("votes");
        votesRoot.set(
                "voterPrivateKey",
                readTree(DecisionKeys.fromSeed("voter-key-1", voterSeed).toJwk()));
        votesRoot.set("voter", value(voter));
        final ArrayNode signedVotes = votesRoot.putArray("signed");
        for (final Map.Entry<String, Vote> entry : votes().entrySet()) {
            final Vote signed = voteSigner.sign(entry.getValue());
            final ObjectNode vector = signedVotes.addObject();
            vector.put("name", entry.getKey());
            vector.set("vote", value(signed));
            vector.put("signedContent", VoteSigner.signedContent(signed));
            vector.put("result", VoteVerifier.verify(signed, voter).name());
        }
        final Vote approve = voteSigner.sign(votes().get("approve"));
        final ArrayNode forgedVotes = votesRoot.putArray("forged");
        forgedVote(
                forgedVotes,
                "approver changed after signing",
                Vote.newBuilder(approve).setApprover("cfo").build(),
                voter);
        forgedVote(
                forgedVotes,
                "group added after signing",
                Vote.newBuilder(approve)
                        .setGroups(List.of("finance", "cfo-office"))
                        .build(),
                voter);
        forgedVote(
                forgedVotes,
                "signed by another key under the voter's key id",
                new VoteSigner("reviewer-app-1", DecisionKeys.fromSeed("voter-key-1", new byte[32]))
                        .sign(votes().get("approve")),
                voter);
        forgedVote(
                forgedVotes,
                "signed by the voter for a group outside its allowance",
                voteSigner.sign(Vote.newBuilder(votes().get("approve"))
                        .setGroups(List.of("cfo-office"))
                        .build()),
                voter);
        forgedVote(
                forgedVotes,
                "signed by the voter for a reviewer it may not attest",
                voteSigner.sign(Vote.newBuilder(votes().get("approve"))
                        .setApprover("mallory@elsewhere.example")
                        .build()),
                voter);
        forgedVote(forgedVotes, "unsigned", votes().get("approve"), voter);

        // Spot-check answers: signed by the same voter with the same key as its votes.
        final ObjectNode answersRoot = root.putObject("spotCheckAnswers");
        final ArrayNode signedAnswers = answersRoot.putArray("signed");
        for (final Map.Entry<String, SpotCheckAnswer> entry : answers().entrySet()) {
            final SpotCheckAnswer signed = voteSigner.sign(entry.getValue());
            final ObjectNode vector = signedAnswers.addObject();
            vector.put("name", entry.getKey());
            vector.set("answer", value(signed));
            vector.put("signedContent", SpotCheckAnswerSigner.signedContent(signed));
            vector.put("result", SpotCheckAnswerVerifier.verify(signed, voter).name());
        }
        final SpotCheckAnswer missed = voteSigner.sign(answers().get("should have asked"));
        final ArrayNode forgedAnswers = answersRoot.putArray("forged");
        forgedAnswer(
                forgedAnswers,
                "verdict changed after signing",
                SpotCheckAnswer.newBuilder(voteSigner.sign(answers().get("rightly")))
                        .setVerdict(SpotCheckVerdict.SHOULD_HAVE_ASKED)
                        .build(),
                voter);
        forgedAnswer(
                forgedAnswers,
                "a vote's signature copied onto an answer",
                SpotCheckAnswer.newBuilder(missed)
                        .setSignature(approve.getSignature())
                        .build(),
                voter);
        forgedAnswer(
                forgedAnswers,
                "signed by another key under the voter's key id",
                new VoteSigner("reviewer-app-1", DecisionKeys.fromSeed("voter-key-1", new byte[32]))
                        .sign(answers().get("should have asked")),
                voter);
        forgedAnswer(forgedAnswers, "unsigned", answers().get("should have asked"), voter);

        // Audit checkpoints: the audit service's key pair, signed checkpoints in their external form
        // (the signed members plus signature), and forged ones.
        final byte[] auditSeed = new byte[32];
        java.util.Arrays.fill(auditSeed, (byte) 9);
        final DecisionKeys.PrivateKey auditKey = DecisionKeys.fromSeed("audit-key-1", auditSeed);
        final CheckpointSigner checkpointSigner = new CheckpointSigner(auditKey);
        final ObjectNode checkpointsRoot = root.putObject("checkpoints");
        checkpointsRoot.set("privateKey", readTree(auditKey.toJwk()));
        checkpointsRoot.set(
                "publicKeys",
                readTree(DecisionKeys.PublicKeys.of(auditKey.publicKey()).toJwks()));
        final ArrayNode signedCheckpoints = checkpointsRoot.putArray("signed");
        final AuditCheckpoint head = checkpointSigner.sign(checkpoint(2, 41, "7f".repeat(32)));
        for (final AuditCheckpoint c : List.of(head, checkpointSigner.sign(checkpoint(0, 0, "0a".repeat(32))))) {
            final ObjectNode vector = signedCheckpoints.addObject();
            vector.put("name", "partition " + c.getPartition() + " sequence " + c.getSequence());
            vector.set("checkpoint", external(c));
            vector.put("signedContent", CheckpointSigner.signedContent(c));
        }
        final ArrayNode forgedCheckpoints = checkpointsRoot.putArray("forged");
        forgedCheckpoint(
                forgedCheckpoints,
                "hash changed after signing (a rewritten tail)",
                AuditCheckpoint.newBuilder(head).setHash("00".repeat(32)).build());
        forgedCheckpoint(
                forgedCheckpoints,
                "sequence lowered after signing (a cut tail)",
                AuditCheckpoint.newBuilder(head).setSequence(39).build());
        forgedCheckpoint(
                forgedCheckpoints,
                "signed by another key under the audit key's id",
                new CheckpointSigner(DecisionKeys.fromSeed("audit-key-1", new byte[32]))
                        .sign(checkpoint(2, 45, "ab".repeat(32))));
        return root;
    }

    private static AuditCheckpoint checkpoint(final int partition, final long sequence, final String hash) {
        return AuditCheckpoint.newBuilder()
                .setAuditTopic("hitl.audit.log")
                .setPartition(partition)
                .setSequence(sequence)
                .setHash(hash)
                .setOffset(sequence * 2 + 15)
                .setHeadOccurredAt(Instant.parse("2026-12-04T09:31:02.500Z"))
                .setCheckpointedAt(Instant.parse("2026-12-04T09:31:10Z"))
                .setSignatureKeyId("")
                .setSignatureAlgorithm("")
                .setSignature("")
                .build();
    }

    private static ObjectNode external(final AuditCheckpoint c) {
        final ObjectNode out = (ObjectNode) readTree(CheckpointSigner.signedContent(c));
        out.put("signature", c.getSignature());
        return out;
    }

    private static void forgedCheckpoint(final ArrayNode forged, final String name, final AuditCheckpoint c) {
        final DecisionKeys.PublicKeys keys = DecisionKeys.PublicKeys.of(
                DecisionKeys.fromSeed("audit-key-1", auditSeed()).publicKey());
        final CheckpointVerifier.Result result = CheckpointVerifier.verify(c, keys);
        if (result == CheckpointVerifier.Result.VALID) {
            throw new IllegalStateException("forged checkpoint '" + name + "' verifies");
        }
        final ObjectNode vector = forged.addObject();
        vector.put("name", name);
        vector.set("checkpoint", external(c));
        vector.put("result", result.name());
    }

    private static byte[] auditSeed() {
        final byte[] seed = new byte[32];
        java.util.Arrays.fill(seed, (byte) 9);
        return seed;
    }

    private static VoterRegistration voter(final VoteSigner signer) {
        return VoterRegistration.newBuilder()
                .setVoterId(signer.voterId())
                .setDescription("the test vectors' reviewer app")
                .setPublicKeys(List.of(signer.voterKey()))
                .setAllowedGroups(List.of("finance", "ops-*"))
                .setAllowedReviewers(List.of("*@example.com"))
                .setStatus(VoterStatus.ACTIVE)
                .setChangedBy("operator")
                .setChangedAt(Instant.parse("2026-12-04T09:00:00Z"))
                .build();
    }

    static Map<String, Vote> votes() {
        final Instant at = Instant.parse("2026-12-04T09:31:02.500Z");
        final Map<String, Vote> all = new java.util.LinkedHashMap<>();
        all.put(
                "approve",
                Vote.newBuilder()
                        .setVoteId("vote-1")
                        .setActionId("act-2")
                        .setApprover("alice@example.com")
                        .setGroups(List.of("finance"))
                        .setVerdict(Verdict.APPROVE)
                        .setVotedAt(at)
                        .setRequestId("act-2:0:0:v0")
                        .setStageIndex(0)
                        .setRequestVersion(0)
                        .setActionVersion(0)
                        .setArgumentsHash("9c1f1b7ddf8f2a5b1d1c0ad1f0f4cbd1a48c0d7b1f3c6e2b8a0f9e6d5c4b3a21")
                        .setTimeOnCardMillis(8200L)
                        .build());
        all.put(
                "modify",
                Vote.newBuilder()
                        .setVoteId("vote-2 \u00e9")
                        .setActionId("act-2")
                        .setApprover("Bob@Example.com")
                        .setGroups(List.of("ops-emea", "finance"))
                        .setVerdict(Verdict.MODIFY)
                        .setModifiedArguments("{\"amount\": 100, \"to\": \"acme\"}")
                        .setReason("cap the payment at \u20ac100 \ud83d\udcb6")
                        .setVotedAt(at)
                        .build());
        return all;
    }

    private static void forgedVote(
            final ArrayNode forged, final String name, final Vote vote, final VoterRegistration voter) {
        final ObjectNode vector = forged.addObject();
        vector.put("name", name);
        vector.set("vote", value(vote));
        vector.put("result", VoteVerifier.verify(vote, voter).name());
    }

    private static void forgedAnswer(
            final ArrayNode forged, final String name, final SpotCheckAnswer answer, final VoterRegistration voter) {
        final ObjectNode vector = forged.addObject();
        vector.put("name", name);
        vector.set("answer", value(answer));
        vector.put("result", SpotCheckAnswerVerifier.verify(answer, voter).name());
    }

    static Map<String, SpotCheckAnswer> answers() {
        final Instant at = Instant.parse("2026-12-05T09:12:44.250Z");
        final Map<String, SpotCheckAnswer> all = new java.util.LinkedHashMap<>();
        all.put(
                "should have asked",
                SpotCheckAnswer.newBuilder()
                        .setAnswerId("answer-1")
                        .setActionId("act-9")
                        .setReviewer("alice@example.com")
                        .setGroups(List.of("finance"))
                        .setVerdict(SpotCheckVerdict.SHOULD_HAVE_ASKED)
                        .setReason("It emailed a customer the internal price list \u00e9")
                        .setAnsweredAt(at)
                        .setTimeOnCardMillis(12400L)
                        .build());
        all.put(
                "rightly",
                SpotCheckAnswer.newBuilder()
                        .setAnswerId("answer-2")
                        .setActionId("act-9")
                        .setReviewer("Bob@Example.com")
                        .setGroups(List.of())
                        .setVerdict(SpotCheckVerdict.RIGHTLY_AUTO_APPROVED)
                        .setAnsweredAt(at.plusSeconds(60))
                        .build());
        return all;
    }

    private static void forged(final ArrayNode forged, final String name, final Decision decision) {
        final ObjectNode vector = forged.addObject();
        vector.put("name", name);
        vector.set("decision", decisionJson(decision));
        vector.put("valid", false);
    }

    static Map<String, Decision> decisions() {
        final Instant at = Instant.parse("2026-12-04T09:30:00.125Z");
        final String args = "{\"q\":\"refund policy\",\"limit\":5}";
        final String modified = "{\"amount\":\"1000.00\",\"currency\":\"EUR\",\"to\":\"ACME GmbH\"}";
        final Map<String, Decision> all = new java.util.LinkedHashMap<>();
        all.put(
                "auto-approved",
                Decision.newBuilder()
                        .setActionId("act-0001")
                        .setAgentId("support-agent-1")
                        .setActionType("search.web")
                        .setTool("web-search")
                        .setTarget(null)
                        .setOutcome(Outcome.AUTO_APPROVED)
                        .setFinalArguments(args)
                        .setArgumentsHash(CanonicalJson.sha256(args))
                        .setProposalHash(ProposalHash.of(proposals().get("minimal")))
                        .setApprovers(List.of())
                        .setDecidedBy("classifier:read-only")
                        .setPolicyVersion("default-2026.12")
                        .setDecidedAt(at)
                        .setExpiresAt(at.plusSeconds(900))
                        .build());
        all.put(
                "modified, with approvers and feedback in other scripts",
                Decision.newBuilder()
                        .setActionId("act-0002")
                        .setAgentId("billing-agent-7")
                        .setActionType("payment.create")
                        .setTool("stripe")
                        .setTarget("acct_1NXq")
                        .setOutcome(Outcome.MODIFIED)
                        .setFinalArguments(modified)
                        .setArgumentsHash(CanonicalJson.sha256(modified))
                        .setProposalHash(ProposalHash.of(proposals().get("full")))
                        .setApprovers(List.of("bob@example.com", "Zoë Ünal"))
                        .setFeedback(new Feedback(
                                "Pay only the agreed 1000 € \"as invoiced\"\nnot 1250 😀 \\ <b>", "modified"))
                        .setDecidedBy("reviewers:bob@example.com,Zoë Ünal")
                        .setPolicyVersion("default-2026.12")
                        .setDecidedAt(at.plusMillis(1))
                        .setExpiresAt(at.plusSeconds(3600))
                        .build());
        all.put(
                "rejected, nothing to run",
                Decision.newBuilder()
                        .setActionId("act-0003")
                        .setAgentId("ops-agent")
                        .setActionType("db.execute")
                        .setTool("postgres")
                        .setTarget("invoices")
                        .setOutcome(Outcome.REJECTED)
                        .setFinalArguments(null)
                        .setArgumentsHash(null)
                        .setProposalHash("0".repeat(64))
                        .setApprovers(List.of("carol"))
                        .setFeedback(new Feedback("Not during the audit\u0000\u001f\t", null))
                        .setDecidedBy("carol")
                        .setPolicyVersion(null)
                        .setDecidedAt(at.plusMillis(2))
                        .setExpiresAt(null)
                        .build());
        return all;
    }

    static Map<String, ProposedAction> proposals() {
        final Instant at = Instant.parse("2026-12-04T09:29:59.001Z");
        final Map<String, ProposedAction> all = new java.util.LinkedHashMap<>();
        all.put(
                "minimal",
                ProposedAction.newBuilder()
                        .setActionId("act-0001")
                        .setAgentId("support-agent-1")
                        .setOnBehalfOf("alice@example.com")
                        .setActionType("search.web")
                        .setTool("web-search")
                        .setArguments("{\"q\":\"refund policy\",\"limit\":5}")
                        .setProposedAt(at)
                        .build());
        all.put(
                "full",
                ProposedAction.newBuilder()
                        .setActionId("act-0002")
                        .setAgentId("billing-agent-7")
                        .setOnBehalfOf("alice@example.com")
                        .setSessionId("session-42")
                        .setActionType("payment.create")
                        .setTool("stripe")
                        .setTarget("acct_1NXq")
                        .setArguments("{\"amount\": \"1250.00\", \"currency\": \"EUR\", \"to\": \"ACME GmbH\"}")
                        .setEstimatedCost(new Money(new BigDecimal("1250.000000000"), "EUR"))
                        .setConfidence(0.82)
                        .setSystemsAffected(List.of("stripe", "ledger"))
                        .setInputTrust(InputTrust.RETRIEVED)
                        .setDomain("billing")
                        .setInstructionConflict("Pay only invoices under 1000 €")
                        .setBatchId("batch-9")
                        .setBatchSize(3)
                        .setContext(ActionContext.newBuilder()
                                .setUserRequest("Pay the overdue ACME invoice")
                                .setStepsSoFar(List.of("searched invoices", "read invoice INV-77"))
                                .setRationale("30 days overdue")
                                .setAlternatives(List.of())
                                .setExpectedOutcome(null)
                                .setRisks(List.of("<script>alert('x')</script>"))
                                .build())
                        .setProposedAt(at)
                        .setReplyBy(at.plusSeconds(600))
                        .build());
        return all;
    }

    /** Every field of a decision, timestamps as epoch ms, absent values as null. */
    static ObjectNode decisionJson(final Decision decision) {
        final ObjectNode node = JSON.createObjectNode();
        for (final org.apache.avro.Schema.Field field : decision.getSchema().getFields()) {
            node.set(field.name(), value(decision.get(field.pos())));
        }
        return node;
    }

    /** Every field of a proposal (proposedAt too: the hash leaves it out), as the hash maps values. */
    static ObjectNode proposalJson(final ProposedAction action) {
        final ObjectNode node = JSON.createObjectNode();
        for (final org.apache.avro.Schema.Field field : action.getSchema().getFields()) {
            node.set(field.name(), value(action.get(field.pos())));
        }
        return node;
    }

    private static JsonNode value(final Object value) {
        if (value == null) {
            return JSON.nullNode();
        } else if (value instanceof Instant instant) {
            return JSON.getNodeFactory().numberNode(instant.toEpochMilli());
        } else if (value instanceof BigDecimal decimal) {
            return JSON.getNodeFactory().textNode(decimal.toPlainString());
        } else if (value instanceof Enum<?> symbol) {
            return JSON.getNodeFactory().textNode(symbol.name());
        } else if (value instanceof List<?> list) {
            final ArrayNode array = JSON.createArrayNode();
            list.forEach(item -> array.add(value(item)));
            return array;
        } else if (value instanceof org.apache.avro.generic.IndexedRecord record) {
            final ObjectNode node = JSON.createObjectNode();
            for (final org.apache.avro.Schema.Field field : record.getSchema().getFields()) {
                node.set(field.name(), value(record.get(field.pos())));
            }
            return node;
        }
        return JSON.valueToTree(value);
    }

    private static JsonNode readTree(final String json) {
        try {
            return JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String text() throws java.io.IOException {
        return JSON.writeValueAsString(build()) + "\n";
    }

    public static void main(final String[] args) throws Exception {
        Files.writeString(FILE, text(), StandardCharsets.UTF_8);
        System.out.println("wrote " + FILE.toAbsolutePath());
    }
}
