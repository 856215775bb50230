package dev.hitl.approval.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hitl.approval.inbox.Inbox;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class PageCursorTest {

    @ParameterizedTest
    @ValueSource(strings = {"a-1", "with|bar and ünïcode", ""})
    void shouldGiveBackThePositionItWasMadeFrom(final String actionId) {
        final Inbox.Position position = new Inbox.Position(Instant.parse("2026-11-28T12:00:00.123456Z"), actionId);
        final String cursor = PageCursor.of(position);
        assertThat(cursor).matches("[A-Za-z0-9_-]+");
        assertThat(PageCursor.parse(cursor)).contains(position);
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "not base64 !", "bm8tYmFy", "eWVzdGVyZGF5fGEtMQ", "%00"})
    void shouldRefuseWhatIsNotOneOfItsCursors(final String cursor) {
        // "bm8tYmFy" is base64 of "no-bar"; "eWVzdGVyZGF5fGEtMQ" of "yesterday|a-1"
        assertThat(PageCursor.parse(cursor)).isEmpty();
    }
}
