package dev.hitl.schemas.integrity;

/**
 * Text made into UTF-8 bytes in a buffer that one thread reuses, for content that is hashed or
 * signed right away: no intermediate {@code String}, no new array per record. The bytes are exactly
 * those of {@code text.toString().getBytes(StandardCharsets.UTF_8)}, including its one liberty: an
 * unpaired surrogate becomes {@code '?'} ({@code Utf8Test} holds it to the JDK over random text).
 */
final class Utf8 {

    /** This thread's text, bytes and digest for {@link #sha256Hex}. */
    private static final class Hashing {
        private StringBuilder text = new StringBuilder(1024);
        private final Utf8 utf8 = new Utf8();
        private final java.security.MessageDigest sha256;

        private Hashing() {
            try {
                sha256 = java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("SHA-256 is missing from this JVM", e);
            }
        }
    }

    private static final ThreadLocal<Hashing> HASHING = ThreadLocal.withInitial(Hashing::new);

    private static final java.util.HexFormat HEX = java.util.HexFormat.of();

    /**
     * @param write writes the text to hash (must not call this method itself)
     * @return lower-case hex SHA-256 of the UTF-8 bytes of what {@code write} wrote: the same as
     *     hashing {@code text.toString().getBytes(UTF_8)}, with this thread's buffers and digest
     */
    static String sha256Hex(final java.util.function.Consumer<StringBuilder> write) {
        final Hashing hashing = HASHING.get();
        final StringBuilder text = hashing.text;
        text.setLength(0);
        write.accept(text);
        final Utf8 bytes = hashing.utf8.encode(text);
        if (text.capacity() > MAX_KEPT) {
            hashing.text = new StringBuilder(1024);
        }
        hashing.sha256.reset();
        hashing.sha256.update(bytes.bytes(), 0, bytes.length());
        return HEX.formatHex(hashing.sha256.digest());
    }

    /** A buffer grown past this is not kept for the next record. */
    private static final int MAX_KEPT = 64 * 1024;

    private byte[] bytes = new byte[1024];
    private int length;

    /**
     * @param text the text (e.g. a reused {@code StringBuilder})
     * @return this, holding the UTF-8 bytes of {@code text} (valid until the next call)
     */
    Utf8 encode(final CharSequence text) {
        final int n = text.length();
        if (bytes.length > MAX_KEPT && 3 * n <= MAX_KEPT) {
            bytes = new byte[1024];
        }
        if (bytes.length < 3 * n) { // at most 3 bytes per UTF-16 unit (a pair of 2 makes 4)
            bytes = new byte[Math.max(3 * n, 2 * bytes.length)];
        }
        final byte[] out = bytes;
        int at = 0;
        for (int i = 0; i < n; i++) {
            final char c = text.charAt(i);
            if (c < 0x80) {
                out[at++] = (byte) c;
            } else if (c < 0x800) {
                out[at++] = (byte) (0xC0 | (c >> 6));
                out[at++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                final char next = i + 1 < n ? text.charAt(i + 1) : 0;
                if (Character.isHighSurrogate(c) && Character.isLowSurrogate(next)) {
                    final int cp = Character.toCodePoint(c, next);
                    out[at++] = (byte) (0xF0 | (cp >> 18));
                    out[at++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    out[at++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    out[at++] = (byte) (0x80 | (cp & 0x3F));
                    i++;
                } else {
                    out[at++] = '?'; // as String.getBytes(UTF_8) replaces an unpaired surrogate
                }
            } else {
                out[at++] = (byte) (0xE0 | (c >> 12));
                out[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                out[at++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        length = at;
        return this;
    }

    /** @return the buffer (its first {@link #length()} bytes are the text's) */
    byte[] bytes() {
        return bytes;
    }

    /** @return how many bytes of {@link #bytes()} hold the text */
    int length() {
        return length;
    }
}
