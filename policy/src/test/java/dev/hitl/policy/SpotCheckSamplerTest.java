package dev.hitl.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SpotCheckSamplerTest {

    private static final byte[] KEY = "a sampling key of the classifier".getBytes(StandardCharsets.UTF_8);
    private final SpotCheckSampler sampler = new SpotCheckSampler(KEY);

    @Test
    void shouldAnswerTheSameForTheSameActionId() {
        assertThat(sampler.draw("a-1")).isEqualTo(new SpotCheckSampler(KEY).draw("a-1"));
        assertThat(sampler.draw("a-1")).isNotEqualTo(sampler.draw("a-2"));
        assertThat(IntStream.range(0, 1000).mapToObj(i -> "id-" + i))
                .allSatisfy(id -> assertThat(sampler.sampled(id, 0.3)).isEqualTo(sampler.sampled(id, 0.3)));
    }

    @Test
    void shouldSampleNothingAtRateZeroAndEverythingAtRateOne() {
        assertThat(IntStream.range(0, 2000).mapToObj(i -> "id-" + i)).noneMatch(id -> sampler.sampled(id, 0));
        assertThat(IntStream.range(0, 2000).mapToObj(i -> "id-" + i)).allMatch(id -> sampler.sampled(id, 1));
    }

    @Test
    void shouldSampleAtTheRateOverManyIds() {
        // n = 20,000 at p = 0.05: expected 1,000, standard deviation about 31; ±150 is almost five.
        final long sampled = IntStream.range(0, 20_000)
                .mapToObj(i -> "action-" + i)
                .filter(id -> sampler.sampled(id, 0.05))
                .count();
        assertThat(sampled).isBetween(850L, 1150L);
        // a higher rate samples a superset: the draw is compared with the rate
        assertThat(IntStream.range(0, 5000).mapToObj(i -> "action-" + i))
                .filteredOn(id -> sampler.sampled(id, 0.05))
                .allMatch(id -> sampler.sampled(id, 0.2));
    }

    @Test
    void shouldDrawOtherwiseUnderAnotherKeySoThatAgentsCannotPredictIt() {
        final SpotCheckSampler other = new SpotCheckSampler("another key, another installation".getBytes());
        final long same = IntStream.range(0, 2000)
                .mapToObj(i -> "action-" + i)
                .filter(id -> sampler.sampled(id, 0.5) == other.sampled(id, 0.5))
                .count();
        // independent draws agree about half the time (1,000 ± 22), never always
        assertThat(same).isBetween(850L, 1150L);
    }

    @Test
    void shouldRefuseAShortKey() {
        assertThatThrownBy(() -> new SpotCheckSampler(new byte[8])).isInstanceOf(IllegalArgumentException.class);
    }
}
