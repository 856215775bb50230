package dev.hitl.policy.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hitl.policy.Evaluation.Disposition;
import dev.hitl.schemas.InputTrust;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScenariosTest {

    private static final String LINE =
            "{\"id\":\"x\",\"family\":\"f\",\"label\":\"auto\",\"why\":\"w\",\"actionType\":\"a.get\",\"tool\":\"t\",\"arguments\":{}}";

    @Test
    void shouldFillTheDefaultsOfAUserLedConfidentAction() {
        // when
        final Scenario scenario = Scenarios.parse(LINE, "s").get(0);

        // then
        assertThat(scenario.label()).isEqualTo(Scenario.Label.AUTO);
        assertThat(scenario.mustBlock()).isFalse();
        assertThat(scenario.action().getInputTrust()).isEqualTo(InputTrust.USER);
        assertThat(scenario.action().getConfidence()).isEqualTo(0.9);
        assertThat(scenario.action().getSystemsAffected()).containsExactly("t");
        assertThat(scenario.action().getArguments()).isEqualTo("{}");
    }

    @Test
    void shouldReadEveryOptionalField() {
        // when
        final Scenario scenario = Scenarios.parse(
                        "{\"id\":\"x\",\"family\":\"f\",\"label\":\"harmful\",\"block\":true,\"why\":\"w\","
                                + "\"actionType\":\"a.b\",\"tool\":\"t\",\"target\":\"tg\",\"arguments\":{\"k\":1},"
                                + "\"trust\":\"RETRIEVED\",\"confidence\":null,\"cost\":{\"amount\":\"12.5\",\"currency\":\"USD\"},"
                                + "\"systems\":[\"a\",\"b\"],\"batch\":50,\"conflict\":\"c\",\"agent\":\"ag\",\"domain\":\"d\"}",
                        "s")
                .get(0);

        // then
        assertThat(scenario.mustBlock()).isTrue();
        assertThat(scenario.action().getInputTrust()).isEqualTo(InputTrust.RETRIEVED);
        assertThat(scenario.action().getConfidence()).isNull();
        assertThat(scenario.action().getEstimatedCost().getAmount()).isEqualByComparingTo(new BigDecimal("12.5"));
        assertThat(scenario.action().getSystemsAffected()).containsExactly("a", "b");
        assertThat(scenario.action().getBatchSize()).isEqualTo(50);
        assertThat(scenario.action().getInstructionConflict()).isEqualTo("c");
        assertThat(scenario.action().getAgentId()).isEqualTo("ag");
        assertThat(scenario.action().getDomain()).isEqualTo("d");
        assertThat(scenario.action().getTarget()).isEqualTo("tg");
    }

    @Test
    void shouldTakeTheMcpGatewaysDefaultsUnlessTheLineSaysOtherwise() {
        // when
        final List<Scenario> scenarios = Scenarios.parse(
                LINE.replace("\"arguments\"", "\"via\":\"mcp-gateway\",\"arguments\"") + "\n"
                        + LINE.replace("\"id\":\"x\"", "\"id\":\"y\"")
                                .replace(
                                        "\"arguments\"",
                                        "\"via\":\"mcp-gateway\",\"trust\":\"INTERNAL\",\"confidence\":0.7,\"arguments\""),
                "s");

        // then
        assertThat(scenarios.get(0).action().getInputTrust()).isEqualTo(InputTrust.UNKNOWN);
        assertThat(scenarios.get(0).action().getConfidence()).isNull();
        assertThat(scenarios.get(1).action().getInputTrust()).isEqualTo(InputTrust.INTERNAL);
        assertThat(scenarios.get(1).action().getConfidence()).isEqualTo(0.7);
    }

    @Test
    void shouldRefuseATypoWithItsLine() {
        assertThatThrownBy(() -> Scenarios.parse("\n" + LINE.replace("\"why\"", "\"wyh\""), "set.jsonl"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("set.jsonl, line 2: unknown field 'wyh'");
    }

    @Test
    void shouldRefuseADuplicateIdAMissingFieldAndAnUnknownLabel() {
        assertThatThrownBy(() -> Scenarios.parse(LINE + "\n" + LINE, "s")).hasMessage("s, line 2: id x is used twice");
        assertThatThrownBy(() -> Scenarios.parse(LINE.replace(",\"tool\":\"t\"", ""), "s"))
                .hasMessage("s, line 1: tool: required, a text");
        assertThatThrownBy(() -> Scenarios.parse(LINE.replace("\"auto\"", "\"fine\""), "s"))
                .hasMessageStartingWith("s, line 1: ");
        assertThatThrownBy(() -> Scenarios.parse(LINE.replace("\"arguments\":{}", "\"arguments\":\"{}\""), "s"))
                .hasMessage("s, line 1: arguments: required, a JSON object");
    }

    @Test
    void shouldJudgeEachLabelByWhatShouldHappen() {
        final Scenario auto = Scenarios.parse(LINE, "s").get(0);
        final Scenario human =
                Scenarios.parse(LINE.replace("\"auto\"", "\"human\""), "s").get(0);
        final Scenario harmful =
                Scenarios.parse(LINE.replace("\"auto\"", "\"harmful\""), "s").get(0);
        final Scenario mustBlock = Scenarios.parse(LINE.replace("\"auto\"", "\"harmful\",\"block\":true"), "s")
                .get(0);

        assertThat(auto.satisfiedBy(Disposition.AUTO_APPROVE)).isTrue();
        assertThat(auto.satisfiedBy(Disposition.NEEDS_APPROVAL)).isFalse();
        assertThat(human.satisfiedBy(Disposition.NEEDS_APPROVAL)).isTrue();
        assertThat(human.satisfiedBy(Disposition.AUTO_APPROVE)).isFalse();
        assertThat(human.satisfiedBy(Disposition.BLOCK)).isFalse();
        assertThat(harmful.satisfiedBy(Disposition.NEEDS_APPROVAL)).isTrue();
        assertThat(harmful.satisfiedBy(Disposition.BLOCK)).isTrue();
        assertThat(harmful.satisfiedBy(Disposition.AUTO_APPROVE)).isFalse();
        assertThat(mustBlock.satisfiedBy(Disposition.NEEDS_APPROVAL)).isFalse();
        assertThat(mustBlock.satisfiedBy(Disposition.BLOCK)).isTrue();
    }
}
