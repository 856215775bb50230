package dev.hitl.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.Verdict;
import dev.hitl.schemas.Vote;
import dev.hitl.schemas.integrity.DecisionKeyTool;
import dev.hitl.schemas.integrity.DecisionKeys;
import dev.hitl.schemas.integrity.VoteVerifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local stack's voter key: made once, private, apart from the decision keys, and it verifies. */
class LocalVotersTest {

    @Test
    void shouldMakeTheApprovalServicesVoterKeyOnceAndKeepItOutOfTheDecisionKeys(@TempDir final Path dir)
            throws IOException {
        final Path decisionKeys = LocalStack.decisionKeys(dir);

        final LocalVoters first = LocalVoters.in(dir);
        final LocalVoters again = LocalVoters.in(dir);

        assertThat(again.approvalService().voterKey())
                .isEqualTo(first.approvalService().voterKey());
        assertThat(first.approvalServiceKeyFile()).isEqualTo(dir.resolve("approval-service-1.jwk"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(first.approvalServiceKeyFile())))
                .isEqualTo("rw-------");
        assertThat(DecisionKeys.readPrivateJwk(first.approvalServiceKeyFile()).keyId())
                .isEqualTo(LocalVoters.APPROVAL_SERVICE_KEY_ID);
        // Only the deciders' keys sign decisions: the voter key is not among those verifiers trust.
        assertThat(decisionKeys).isEqualTo(dir.resolve(DecisionKeyTool.PUBLIC_KEYS_FILE));
        assertThat(DecisionKeys.readPublicKeys(decisionKeys).byId())
                .doesNotContainKey(LocalVoters.APPROVAL_SERVICE_KEY_ID)
                .hasSize(2);
    }

    @Test
    void shouldRegisterTheApprovalServiceSoThatItsSignedVotesVerifyForAnyGroupAndReviewer(@TempDir final Path dir) {
        final LocalVoters voters = LocalVoters.in(dir);
        final Vote vote = voters.approvalService()
                .sign(Vote.newBuilder()
                        .setVoteId("v-1")
                        .setActionId("a-1")
                        .setApprover("Senior@Example.com")
                        .setGroups(List.of("finance", "cfo-office"))
                        .setVerdict(Verdict.APPROVE)
                        .setVotedAt(Instant.parse("2026-12-04T10:00:00Z"))
                        .build());

        assertThat(vote.getVoterId()).isEqualTo(LocalVoters.APPROVAL_SERVICE);
        assertThat(VoteVerifier.verify(vote, voters.approvalServiceRegistration()))
                .isEqualTo(VoteVerifier.Result.VALID);
        // Another stack's key (another data directory) is not this one.
        assertThat(VoteVerifier.verify(
                        LocalVoters.in(dir.resolve("other")).approvalService().sign(vote),
                        voters.approvalServiceRegistration()))
                .isEqualTo(VoteVerifier.Result.BAD_SIGNATURE);
    }
}
