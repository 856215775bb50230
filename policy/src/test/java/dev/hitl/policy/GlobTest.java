package dev.hitl.policy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class GlobTest {

    @ParameterizedTest(name = "{0} ~ {1} -> {2}")
    @CsvSource({
        "db.*, db.delete, true",
        "db.*, db.table.drop, true",
        "db.*, db., true",
        "db.*, db, false",
        "db.*, xdb.delete, false",
        "*.get, crm.contact.get, true",
        "*.get, crm.contact.getter, false",
        "email.send, email.send, true",
        "email.send, email.sender, false",
        "email.send, emailxsend, false",
        "file.?, file.a, true",
        "file.?, file.ab, false",
        "a+b, a+b, true",
        "a+b, aab, false",
        "'(x)', '(x)', true",
        "'(x)', x, false"
    })
    void shouldMatchWholeNamesWithStarAndQuestionMarkAndEverythingElseLiteral(
            final String glob, final String name, final boolean expected) {
        // when
        final boolean matches = Glob.of(glob).matches(name);

        // then
        assertThat(matches).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void shouldNotMatchAMissingNameAndPrintAsWritten() {
        // given
        final Glob glob = Glob.of("*");

        // when / then
        assertThat(glob.matches(null)).isFalse();
        assertThat(glob.matches("")).isTrue();
        assertThat(glob).hasToString("*");
    }
}
