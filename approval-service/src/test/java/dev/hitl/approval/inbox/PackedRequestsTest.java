package dev.hitl.approval.inbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.schemas.ApprovalRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The inbox's compact form of its requests gives back exactly what went in, in a fraction of it. */
class PackedRequestsTest {

    @Test
    void shouldGiveBackEqualRequestsAndStoreARequestOfAKnownKindInAFractionOfItsEncoding() {
        final PackedRequests packer = new PackedRequests(10);
        final ApprovalRequest first = SharedTextTest.request("a-1");
        final ApprovalRequest second = SharedTextTest.request("a-2");
        final ApprovalRequest stage =
                ApprovalRequest.newBuilder(second).setStageIndex(0).build();

        final PackedRequests.Packed one = packer.pack(List.of(first));
        final PackedRequests.Packed two = packer.pack(List.of(second, stage));

        assertThat(PackedRequests.unpack(one.bytes(), one.dictionary())).containsExactly(first);
        assertThat(PackedRequests.unpack(two.bytes(), two.dictionary())).containsExactly(second, stage);
        // the second request of the agent's action type is stored as what differs from the first
        assertThat(two.dictionary()).isSameAs(one.dictionary());
        assertThat(two.bytes().length).isLessThan(one.dictionary().bytes().length / 3);
        assertThat(packer.kinds()).isEqualTo(1);
    }

    @Test
    void shouldDeflateWithoutADictionaryOnceTheKindsAreFullAndStillGiveEverythingBack() {
        final PackedRequests packer = new PackedRequests(1);
        final ApprovalRequest known = SharedTextTest.request("a-1");
        final ApprovalRequest other = SharedTextTest.request("b-1");
        other.getAction().setAgentId("another-agent");

        packer.pack(List.of(known));
        final PackedRequests.Packed packed = packer.pack(List.of(other));

        assertThat(packed.dictionary()).isNull();
        assertThat(PackedRequests.unpack(packed.bytes(), null)).containsExactly(other);
    }

    @Test
    void shouldShareOneGroupsArrayPerRouteShape() {
        final PackedRequests packer = new PackedRequests(10);
        assertThat(packer.groups(List.of(SharedTextTest.request("a-1"))))
                .containsExactly("reviewers")
                .isSameAs(packer.groups(List.of(SharedTextTest.request("a-2"))));
    }
}
