package dev.hitl.approval.ui.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchesTest {

    private static Batches.Member member(final int i, final String body, final String cost, final String currency) {
        return new Batches.Member(
                "a" + i,
                "email.send",
                "mailer",
                "user" + i + "@example.com",
                "{\"to\":\"user" + i + "@example.com\",\"subject\":\"Welcome\",\"body\":\"" + body + "\"}",
                cost == null ? null : new BigDecimal(cost),
                currency);
    }

    @Test
    void shouldSummarizeCountTemplateKeysTargetsAndTotalCost() {
        final List<Batches.Member> members = List.of(
                member(1, "Hi Ann, welcome", "0.10", "EUR"),
                member(2, "Hi Bob, welcome", "0.15", "EUR"),
                member(3, "Hi Cy, welcome", "2", "USD"));

        final Batches.Summary s = Batches.summarize(members, 2);

        assertThat(s.count()).isEqualTo(3);
        assertThat(s.actionTypes()).containsExactly("email.send");
        assertThat(s.template()).isEqualTo("{\"to\":\"user…, welcome\"}");
        assertThat(s.commonKeys()).containsExactly("to", "subject", "body");
        assertThat(s.sameValues()).containsOnlyKeys("subject").containsEntry("subject", "\"Welcome\"");
        assertThat(s.targets()).containsExactly("user1@example.com", "user2@example.com", "user3@example.com");
        assertThat(s.totalCost()).containsExactly("0.25 EUR", "2 USD");
        assertThat(s.samples()).hasSize(2);
    }

    @Test
    void shouldPickSamplesThatDifferMostFromEachOther() {
        final List<Batches.Member> members = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            members.add(member(i, "Hi there, welcome", null, null));
        }
        members.add(member(8, "Completely different text about invoices and refunds", null, null));
        members.add(member(9, "Hi there, welcome", null, null));

        final List<Batches.Member> samples = Batches.samples(members, 2);

        assertThat(samples).extracting(Batches.Member::actionId).containsExactly("a0", "a8");
        assertThat(Batches.samples(members, 20)).hasSize(10).doesNotHaveDuplicates();
    }

    @Test
    void shouldKeepATemplateOfIdenticalArgumentsWhole() {
        assertThat(Batches.template(List.of("{\"a\":1}", "{\"a\":1}"))).isEqualTo("{\"a\":1}");
        assertThat(Batches.template(List.of("abcab", "ab"))).isEqualTo("ab…");
    }
}
