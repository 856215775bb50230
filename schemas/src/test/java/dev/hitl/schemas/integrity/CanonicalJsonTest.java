package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CanonicalJsonTest {

    @Test
    void shouldSortKeysAndDropWhitespace() {
        assertThat(CanonicalJson.canonicalize("{ \"b\" : [1, 2, {\"z\":true, \"a\":null}], \"a\": \"x\" }"))
                .isEqualTo("{\"a\":\"x\",\"b\":[1,2,{\"a\":null,\"z\":true}]}");
    }

    @Test
    void shouldSortKeysByUtf16CodeUnits() {
        // RFC 8785 section 3.2.3: "\u20ac" (euro) sorts before "\ud83d\ude00" (emoji, a surrogate pair)
        // and after "\u0080".
        assertThat(CanonicalJson.canonicalize("{\"\\ud83d\\ude00\":3,\"\\u20ac\":2,\"\\u0080\":1}"))
                .isEqualTo("{\"\u0080\":1,\"\u20ac\":2,\"\ud83d\ude00\":3}");
    }

    @Test
    void shouldEscapeOnlyWhatJsonRequires() {
        assertThat(CanonicalJson.canonicalize("\"\\u0041\\u00e9\\u20ac\\n\\t\\u001f\\\"\\\\/<script>\""))
                .isEqualTo("\"A\u00e9\u20ac\\n\\t\\u001f\\\"\\\\/<script>\"");
    }

    @ParameterizedTest
    @CsvSource({
        "0, 0",
        "-0.0, 0",
        "1.0, 1",
        "100, 100",
        "1e21, 1e+21",
        "1e20, 100000000000000000000",
        "123456789012345678901234, 1.2345678901234569e+23",
        "5e-324, 5e-324",
        "1.7976931348623157e308, 1.7976931348623157e+308",
        "0.30000000000000004, 0.30000000000000004",
        "0.000001, 0.000001",
        "0.0000001, 1e-7",
        "1.5e-9, 1.5e-9",
        "-3.25, -3.25",
        "1250.000000000, 1250",
        "0.1, 0.1",
        "9007199254740993, 9007199254740992"
    })
    void shouldPrintNumbersAsEcmaScriptDoes(final String json, final String canonical) throws Exception {
        // Through a lenient tree: the printer must be right for every double, although strict
        // parsing (StrictJsonTest) refuses integers beyond 2^53 in text before they are printed.
        assertThat(CanonicalJson.canonicalize(new com.fasterxml.jackson.databind.ObjectMapper().readTree(json)))
                .isEqualTo(canonical);
    }

    @Test
    void shouldHashEquivalentJsonAlike() {
        assertThat(CanonicalJson.sha256("{\"to\": \"a@example.com\", \"amount\": 10.50}"))
                .isEqualTo(CanonicalJson.sha256("{\"amount\":10.5,\"to\":\"a@example.com\"}"))
                .isNotEqualTo(CanonicalJson.sha256("{\"amount\":10.51,\"to\":\"a@example.com\"}"))
                .hasSize(64);
    }

    /**
     * Known answers, written by hand: the canonical forms below were written out by a person, and
     * their hashes computed outside Java ({@code printf '%s' '<canonical>' | sha256sum}).
     */
    @Test
    void shouldHashToKnownAnswers() {
        // {"a":[1,true,null],"b":"x"}
        assertThat(CanonicalJson.sha256("{ \"b\" : \"x\",\n  \"a\" : [1, true, null] }"))
                .isEqualTo("64156349ae56ec12c2431d0fc0bead67422a2e73b75e882a5853482b247aa396");
        // {"z":1.5,"é":"€"}: z (U+007A) sorts before é (U+00E9); 1.50 is written 1.5; no escapes
        assertThat(CanonicalJson.sha256("{\"\\u00e9\": \"\\u20ac\", \"z\": 1.50}"))
                .isEqualTo("99c3513462e77d16c9fcda6a2d4a3aaf0eeb10f5eb07724525295d9733883a69");
    }

    @Test
    void shouldRefuseText_thatIsNotJson() {
        assertThatThrownBy(() -> CanonicalJson.canonicalize("{not json"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not JSON");
    }
}
