package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.ArgumentChange;
import dev.hitl.schemas.ProposedAction;
import dev.hitl.schemas.SampleRecords;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProposalHashTest {

    @Test
    void shouldIgnoreOnlyTheSendTime() {
        final ProposedAction action = SampleRecords.proposedAction("a-1");
        final ProposedAction resent = ProposedAction.newBuilder(action)
                .setProposedAt(Instant.parse("2030-01-01T00:00:00Z"))
                .build();
        assertThat(ProposalHash.of(resent)).isEqualTo(ProposalHash.of(action));
        assertThat(ProposalHash.canonical(action)).doesNotContain("proposedAt");
    }

    @Test
    void shouldHashAnAmountAtTheSchemasScaleAsItReadsBackFromTheWire() {
        final ProposedAction inMemory = ProposedAction.newBuilder(SampleRecords.proposedAction("a-1"))
                .setEstimatedCost(new dev.hitl.schemas.Money(new java.math.BigDecimal("12.5"), "EUR"))
                .build();
        final ProposedAction asRead = ProposedAction.newBuilder(inMemory)
                .setEstimatedCost(new dev.hitl.schemas.Money(new java.math.BigDecimal("12.500000000"), "EUR"))
                .build();
        assertThat(ProposalHash.of(inMemory)).isEqualTo(ProposalHash.of(asRead));
        assertThat(ProposalHash.canonical(inMemory)).contains("\"amount\":\"12.500000000\"");
    }

    @Test
    void shouldChangeWithEveryOtherField() {
        final ProposedAction action = SampleRecords.proposedAction("a-1");
        final String hash = ProposalHash.of(action);
        final List<ProposedAction> others = List.of(
                ProposedAction.newBuilder(action).setTool("shell").build(),
                ProposedAction.newBuilder(action).setTarget(null).build(),
                ProposedAction.newBuilder(action).setActionType("db.delete").build(),
                ProposedAction.newBuilder(action)
                        .setArguments("{\"amount\":\"1\"}")
                        .build(),
                ProposedAction.newBuilder(action).setAgentId("other").build(),
                ProposedAction.newBuilder(action).setConfidence(0.99).build(),
                ProposedAction.newBuilder(action).setReplyBy(null).build(),
                ProposedAction.newBuilder(action)
                        .setSystemsAffected(List.of("stripe"))
                        .build(),
                ProposedAction.newBuilder(action)
                        .setContext(dev.hitl.schemas.ActionContext.newBuilder(action.getContext())
                                .setRationale("other")
                                .build())
                        .build());
        for (final ProposedAction other : others) {
            assertThat(ProposalHash.of(other)).isNotEqualTo(hash);
        }
    }

    @Test
    void shouldDiffArgumentsMemberByMember() {
        final List<ArgumentChange> changes = ArgumentsDiff.between(
                "{\"sql\":\"UPDATE invoices SET note='x' WHERE id=7\",\"db\":\"main\",\"opts\":{\"t\":1}}",
                "{\"db\": \"main\", \"sql\":\"DROP TABLE invoices\",\"opts\":{\"t\":2},\"force\":true}");
        assertThat(changes)
                .extracting(ArgumentChange::getPath, ArgumentChange::getChange)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("/force", "ADDED"),
                        org.assertj.core.groups.Tuple.tuple("/opts/t", "CHANGED"),
                        org.assertj.core.groups.Tuple.tuple("/sql", "CHANGED"));
        assertThat(changes.get(2).getBefore()).isEqualTo("\"UPDATE invoices SET note='x' WHERE id=7\"");
        assertThat(changes.get(2).getAfter()).isEqualTo("\"DROP TABLE invoices\"");
        assertThat(ArgumentsDiff.between("{\"a\":1,\"b\":[1,2]}", "{\"b\":[1,2],\"a\":1}"))
                .isEmpty();
        assertThat(ArgumentsDiff.between("{\"a/b\":1}", "{}"))
                .extracting(ArgumentChange::getPath, ArgumentChange::getChange)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("/a~1b", "REMOVED"));
    }
}
