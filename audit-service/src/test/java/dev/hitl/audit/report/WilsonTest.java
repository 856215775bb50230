package dev.hitl.audit.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The Wilson score interval against values computed by hand. */
class WilsonTest {

    @Test
    void shouldGiveTheKnownIntervalOfTenInTwoHundred() {
        // p = 0.05, z² = 3.8416, z²/n = 0.019208: centre (0.05 + 0.009604) / 1.019208 = 0.058481,
        // half 1.96 · sqrt(0.0475/200 + 3.8416/160000) / 1.019208 = 1.96 · 0.0161713 / 1.019208 = 0.031099
        final Wilson.Interval i = Wilson.interval(10, 200);

        assertThat(i.lower()).isEqualTo(0.027382, within(1e-6));
        assertThat(i.upper()).isEqualTo(0.089579, within(1e-6));
    }

    @Test
    void shouldNotBeEmptyAtNoneOrAllAndStayWithinZeroAndOne() {
        // 0 of 20: [0, z²/(n + z²)] = [0, 3.8416 / 23.8416]
        final Wilson.Interval none = Wilson.interval(0, 20);
        assertThat(none.lower()).isZero();
        assertThat(none.upper()).isEqualTo(3.8416 / 23.8416, within(1e-12));
        // 1 of 1: [1 / (1 + z²), 1]
        final Wilson.Interval all = Wilson.interval(1, 1);
        assertThat(all.lower()).isEqualTo(1 / 4.8416, within(1e-12));
        assertThat(all.upper()).isEqualTo(1.0);
        // 5 of 20: centre (0.25 + 0.09604) / 1.19208, half 1.96 · sqrt(0.009375 + 0.0024010) / 1.19208
        final Wilson.Interval quarter = Wilson.interval(5, 20);
        assertThat(quarter.lower()).isEqualTo(0.111860, within(1e-6));
        assertThat(quarter.upper()).isEqualTo(0.468705, within(1e-6));
    }

    @Test
    void shouldHaveNoIntervalWithoutTrialsAndRefuseNonsense() {
        assertThat(Wilson.interval(0, 0)).isNull();
        assertThatThrownBy(() -> Wilson.interval(1.5, 10, Wilson.Z95)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Wilson.interval(0.5, 0, Wilson.Z95)).isInstanceOf(IllegalArgumentException.class);
    }
}
