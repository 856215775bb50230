package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StrictJsonTest {

    @Test
    void shouldRefuseDuplicateMemberNamesAtAnyDepth() {
        assertThatThrownBy(() -> StrictJson.parse("{\"to\":\"a\",\"to\":\"b\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("duplicate member name")
                .hasMessageContaining("to");
        assertThatThrownBy(() -> StrictJson.parse("{\"x\":[{\"sql\":1,\"sql\":2}]}"))
                .hasMessageContaining("duplicate member name");
        assertThatThrownBy(() -> CanonicalJson.sha256("{\"to\":\"a\",\"to\":\"b\"}"))
                .hasMessageContaining("duplicate member name");
    }

    @Test
    void shouldRefuseIntegersADoubleCannotHold() {
        // Two different ids that a double-based parser reads as the same number (and so hash alike).
        assertThatThrownBy(() -> CanonicalJson.sha256("{\"id\":12345678901234567890}"))
                .hasMessageContaining("/id")
                .hasMessageContaining("2^53");
        assertThatThrownBy(() -> StrictJson.parse("{\"id\":9007199254740993}")).hasMessageContaining("2^53");
        assertThatThrownBy(() -> StrictJson.parse("[-9007199254740993]")).hasMessageContaining("/0");
        assertThat(StrictJson.parse("{\"id\":9007199254740992}").get("id").longValue())
                .isEqualTo(9007199254740992L);
    }

    @Test
    void shouldRefuseFractionsWithMorePrecisionThanADouble() {
        assertThatThrownBy(() -> StrictJson.parse("{\"amount\":0.10000000000000000001}"))
                .hasMessageContaining("more precision than a double");
        assertThatThrownBy(() -> StrictJson.parse("{\"x\":1e400}")).hasMessageContaining("range");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":0.1}", "{\"a\":1e3}", "{\"a\":-2.5E-7}", "{\"a\":123.456}", "{\"a\":0}", "[1,2.0]"})
    void shouldAcceptNumbersADoubleHoldsAsWritten(final String json) {
        assertThat(StrictJson.parse(json)).isNotNull();
        assertThat(CanonicalJson.canonicalize(json)).isNotEmpty();
    }

    @Test
    void shouldRefuseTrailingTextAndNonObjectsWhereAnObjectIsExpected() {
        assertThatThrownBy(() -> StrictJson.parse("{\"a\":1} {\"a\":2}")).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> StrictJson.parseObject("[1]")).hasMessageContaining("object");
        assertThatThrownBy(() -> StrictJson.parse("")).hasMessageContaining("empty");
    }

    @Test
    void shouldKeepTheCanonicalHashOfValidTextUnchanged() {
        assertThat(CanonicalJson.sha256("{\"b\":1, \"a\":[true,null,\"x\"]}"))
                .isEqualTo(CanonicalJson.sha256("{\"a\":[true,null,\"x\"],\"b\":1}"));
    }
}
