package dev.hitl.schemas.integrity;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8Test {

    private static final char[] PIECES = {
        'a', 'Z', '0', ' ', '"', '\\', '\n', '\u0001', '\u007f', '\u0080', '\u00e9', '\u07ff', '\u0800', '\u20ac',
        '\uffff', '\ud83d', '\ude00', '\udbff', '\udfff', '\ud800', '\udc00'
    };

    @Test
    void shouldEncodeAsTheJdkDoes_includingUnpairedSurrogates() {
        // Signatures and hashes are taken over these bytes where the JDK's String.getBytes was used
        // before: any difference would change a signature or a hash.
        final Random random = new Random(20261205);
        final Utf8 utf8 = new Utf8();
        for (int i = 0; i < 20_000; i++) {
            final StringBuilder text = new StringBuilder();
            for (int n = random.nextInt(i % 100 == 0 ? 30_000 : 40); n > 0; n--) {
                text.append(
                        random.nextInt(4) == 0
                                ? (char) random.nextInt(0x10000)
                                : PIECES[random.nextInt(PIECES.length)]);
            }
            final byte[] expected = text.toString().getBytes(StandardCharsets.UTF_8);
            utf8.encode(text);
            assertThat(Arrays.copyOf(utf8.bytes(), utf8.length())).isEqualTo(expected);
        }
    }

    @Test
    void shouldHashWhatWasWritten() throws Exception {
        final String text = "{\"a\":\"\u00e9\ud83d\ude00\ud800x\"}";
        assertThat(Utf8.sha256Hex(out -> out.append(text)))
                .isEqualTo(HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8))));
        // the thread's buffers start empty for every hash
        assertThat(Utf8.sha256Hex(out -> out.append("x"))).isEqualTo(Utf8.sha256Hex(out -> out.append("x")));
    }

    @Test
    void shouldPrintEveryNumberAlikeWhenItComesBack() {
        // CanonicalJson remembers the text of recent numbers: the remembered text is the computed one.
        final Random random = new Random(7);
        final double[] values = new double[5000];
        final String[] first = new String[values.length];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(3) == 0
                    ? Double.longBitsToDouble(random.nextLong())
                    : Math.round(random.nextDouble() * 1000) / 100.0;
            if (Double.isNaN(values[i]) || Double.isInfinite(values[i])) {
                values[i] = 0.5;
            }
            first[i] = CanonicalJson.number(com.fasterxml.jackson.databind.node.DoubleNode.valueOf(values[i]));
        }
        for (int i = values.length - 1; i >= 0; i--) {
            assertThat(CanonicalJson.number(com.fasterxml.jackson.databind.node.DoubleNode.valueOf(values[i])))
                    .isEqualTo(first[i]);
        }
        assertThat(CanonicalJson.number(com.fasterxml.jackson.databind.node.DoubleNode.valueOf(0.1)))
                .isEqualTo("0.1");
        assertThat(CanonicalJson.number(com.fasterxml.jackson.databind.node.DoubleNode.valueOf(-0.1)))
                .isEqualTo("-0.1");
        assertThat(CanonicalJson.number(com.fasterxml.jackson.databind.node.DoubleNode.valueOf(1e21)))
                .isEqualTo("1e+21");
    }
}
