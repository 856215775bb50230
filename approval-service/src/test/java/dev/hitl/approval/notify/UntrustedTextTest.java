package dev.hitl.approval.notify;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Agent text in a notification: visible characters only, clipped, and no link a client would make. */
class UntrustedTextTest {

    @Test
    void shouldRemoveBidirectionalControlsAndOtherInvisibleCharacters() {
        final String hidden = "a\u202Ab\u202Bc\u202Cd\u202De\u202Ef\u2066g\u2067h\u2068i\u2069j\u200Ek\u200Fl\u061Cm"
                + "\u200Bn\u200Co\u200Dp\uFEFFq\u00ADr\u2060s\u2064t\u034Fu\u3164v\uFE0Fw\uDB40\uDC41x\uDB40\uDD00y"
                + "\u0000z\u001B\u007F\u0085\u0090!";
        assertThat(UntrustedText.visible(hidden, false)).isEqualTo("abcdefghijklmnopqrstuvwxyz !");
    }

    @Test
    void shouldKeepLinesAndTabsOnlyWhereTheFieldMayHaveLines() {
        final String text = "one\r\ntwo\rthree\u2028four\u2029five\u000Bsix\u000Cseven\u0085eight\tnine\nten";
        assertThat(UntrustedText.visible(text, true))
                .isEqualTo("one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\tnine\nten");
        assertThat(UntrustedText.visible(text, false)).isEqualTo("one two three four five six seven eight nine ten");
    }

    @Test
    void shouldKeepLettersOfEveryScriptAndEmojiThatNeedNoJoiner() {
        assertThat(UntrustedText.visible("Zoë → 東京 مرحبا 🙂", false)).isEqualTo("Zoë → 東京 مرحبا 🙂");
    }

    @Test
    void shouldClipAtCodePointsNeverHalfASurrogatePair() {
        assertThat(UntrustedText.clip("🙂🙂🙂", 2)).isEqualTo("🙂🙂…");
        assertThat(UntrustedText.clip("abc", 3)).isEqualTo("abc");
    }

    @Test
    void shouldDefangSchemesAndHostNamesSoNoClientMakesALinkOfThem() {
        assertThat(UntrustedText.defanged("see https://evil.example/login?x=1 and HTTP://EVIL.EXAMPLE"))
                .isEqualTo("see https[:]//evil[.]example/login?x=1 and HTTP[:]//EVIL[.]EXAMPLE");
        assertThat(UntrustedText.defanged("ftp://files.evil.example, https:\\\\evil.example, git+ssh://x.example"))
                .isEqualTo("ftp[:]//files[.]evil[.]example, https[:]\\\\evil[.]example, git+ssh[:]//x[.]example");
        assertThat(UntrustedText.defanged("www.evil.example and pay.evil.example/now and tablename.id"))
                .isEqualTo("www[.]evil[.]example and pay[.]evil[.]example/now and tablename[.]id");
        assertThat(UntrustedText.defanged("mail ceo@evil.example or mailto:ceo@evil.example, tel:+15551234"))
                .isEqualTo("mail ceo@evil[.]example or mailto[:]ceo@evil[.]example, tel[:]+15551234");
        assertThat(UntrustedText.defanged("javascript:alert(1) data:text/html,x"))
                .isEqualTo("javascript[:]alert(1) data[:]text/html,x");
        assertThat(UntrustedText.defanged("bücher.example and evil\u3002example and evil\uFF0Eexample"))
                .isEqualTo("bücher[.]example and evil[.]example and evil[.]example");
    }

    @Test
    void shouldLeaveNumbersVersionsAndPlainTextAlone() {
        final String text = "amount 12.50 EUR, version 1.2.3, ratio 3.5x, time 10:30, key: value, {\"a\":1}";
        assertThat(UntrustedText.defanged(text)).isEqualTo(text);
    }

    @Test
    void shouldEscapeSlackControlSequencesAfterDefanging() {
        assertThat(UntrustedText.slack("<!channel> <https://evil.example|Approve> & co", false, 500))
                .isEqualTo("&lt;!channel&gt; &lt;https[:]//evil[.]example|Approve&gt; &amp; co");
    }

    @Test
    void shouldDefangAUrlThatAnInvisibleCharacterSplit() {
        assertThat(UntrustedText.plain("ht\u200Btps:/\u2060/evil\u200D.example", false, 500))
                .isEqualTo("https[:]//evil[.]example");
    }

    @Test
    void shouldReadNullAsEmpty() {
        assertThat(UntrustedText.plain(null, true, 10)).isEmpty();
    }

    @Test
    void shouldPercentEncodeTheWebhookIdempotencyKeyOutsideSafeAscii() {
        assertThat(WebhookSender.idempotencyKey("pay-1:0:0:v1")).isEqualTo("pay-1:0:0:v1");
        assertThat(WebhookSender.idempotencyKey("pay\u202E 1\r\n:0:0"))
                .isEqualTo("pay%E2%80%AE%201%0D%0A:0:0")
                .matches("[A-Za-z0-9:._%-]+");
    }
}
