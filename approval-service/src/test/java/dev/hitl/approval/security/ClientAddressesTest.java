package dev.hitl.approval.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.micronaut.http.HttpRequest;
import org.junit.jupiter.api.Test;

/** Which address a sign-in attempt counts against: never one the client chose. */
class ClientAddressesTest {

    @Test
    void shouldIgnoreForwardingHeadersUnlessTheOperatorNamedOne() {
        final HttpRequest<?> spoofed = HttpRequest.POST("/login", "")
                .header("X-Forwarded-For", "6.6.6.6")
                .header("Forwarded", "for=6.6.6.6")
                .header("X-Real-IP", "6.6.6.6");
        assertThat(new ClientAddresses(null).of(spoofed)).isNotEqualTo("6.6.6.6");
        assertThat(new ClientAddresses(" ").of(spoofed)).isNotEqualTo("6.6.6.6");
    }

    @Test
    void shouldTakeTheLastEntryOfTheConfiguredHeaderTheOneTheNearestProxyWrote() {
        final ClientAddresses behindProxy = new ClientAddresses("X-Forwarded-For");
        // The client sent "6.6.6.6"; the proxy appended the address it saw.
        assertThat(behindProxy.of(HttpRequest.POST("/login", "").header("X-Forwarded-For", "6.6.6.6, 198.51.100.7")))
                .isEqualTo("198.51.100.7");
        assertThat(behindProxy.of(HttpRequest.POST("/login", "")
                        .header("X-Forwarded-For", "6.6.6.6")
                        .header("X-Forwarded-For", "198.51.100.8 ")))
                .isEqualTo("198.51.100.8");
    }

    @Test
    void shouldCountAnIpv6AddressAsItsSlash64() {
        assertThat(ClientAddresses.key("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(ClientAddresses.key("[2001:db8:1:2::9]:443")).isEqualTo("2001:db8:1:2:0:0:0:0/64");
        assertThat(ClientAddresses.key("::ffff:198.51.100.7")).isEqualTo("198.51.100.7");
        assertThat(ClientAddresses.key("198.51.100.7:51234")).isEqualTo("198.51.100.7");
        assertThat(ClientAddresses.key("198.51.100.7")).isEqualTo("198.51.100.7");
    }

    @Test
    void shouldKeepAnythingElseAsAKeyWithoutLookingItUp() {
        assertThat(ClientAddresses.key("cafe")).isEqualTo("cafe");
        assertThat(ClientAddresses.key("evil.example")).isEqualTo("evil.example");
        assertThat(ClientAddresses.key("999.1.1.1")).isEqualTo("999.1.1.1");
        assertThat(new ClientAddresses(null).of(null)).isEqualTo("unknown");
    }
}
