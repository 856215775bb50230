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
        "'(x)', x, false",
        "*, anything.at.all, true",
        "a*b*c, abc, true",
        "a*b*c, aXbYc, true",
        "a*b*c, acb, false",
        "a*a, a, false",
        "a*a, aa, true",
        "**, '', true",
        "x.*.y, x..y, true",
        "x.*.y, x.y, false"
    })
    void shouldMatchWholeNamesWithStarAndQuestionMarkAndEverythingElseLiteral(
            final String glob, final String name, final boolean expected) {
        // when
        final boolean matches = Glob.of(glob).matches(name);

        // then
        assertThat(matches).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void shouldMatchExactlyAsTheRegularExpressionItStandsFor() {
        // The star-only globs are matched piece by piece; the regular expression is the definition.
        final java.util.Random random = new java.util.Random(20261128);
        final String alphabet = "ab.*";
        for (int i = 0; i < 20_000; i++) {
            final String glob = random(random, alphabet, 6);
            final String name = random(random, "ab.", 8);
            final boolean expected = java.util.regex.Pattern.compile(
                            glob.replace(".", "\\.").replace("*", ".*"))
                    .matcher(name)
                    .matches();
            assertThat(Glob.of(glob).matches(name)).as(glob + " ~ " + name).isEqualTo(expected);
        }
    }

    private static String random(final java.util.Random random, final String alphabet, final int maxLength) {
        final StringBuilder text = new StringBuilder();
        for (int n = random.nextInt(maxLength + 1); n > 0; n--) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
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
