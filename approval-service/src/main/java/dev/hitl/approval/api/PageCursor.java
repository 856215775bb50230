package dev.hitl.approval.api;

import dev.hitl.approval.inbox.Inbox;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The inbox list's page cursor: the position of a page's last item, opaque to clients (base64url of
 * {@code <deadline>|<actionId>}), so the order's details can change without breaking them.
 */
final class PageCursor {

    private PageCursor() {}

    /**
     * @param position where the next page starts (exclusive)
     * @return the cursor for it
     */
    static String of(final Inbox.Position position) {
        final String text = position.deadline() + "|" + position.actionId();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * @param cursor a cursor from {@link #of}, or null
     * @return its position, or empty when there is none or it is not a cursor of ours
     */
    static Optional<Inbox.Position> parse(final String cursor) {
        if (cursor == null || cursor.length() > 2048) {
            return Optional.empty();
        }
        try {
            final String text = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
            final int bar = text.indexOf('|');
            if (bar < 0) {
                return Optional.empty();
            }
            return Optional.of(new Inbox.Position(Instant.parse(text.substring(0, bar)), text.substring(bar + 1)));
        } catch (IllegalArgumentException | DateTimeException e) {
            return Optional.empty();
        }
    }
}
