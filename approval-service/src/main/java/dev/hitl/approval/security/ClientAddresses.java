package dev.hitl.approval.security;

import io.micronaut.http.HttpRequest;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * The client address a sign-in attempt is counted against. By default the peer of the TCP
 * connection: headers such as {@code X-Forwarded-For} are written by the client and would let an
 * attacker pick a new address for every guess. Behind a reverse proxy, name the header that proxy
 * sets ({@code hitl.approval.sign-in.client-address-header}); its last entry, the one the nearest
 * proxy added, is taken. An IPv6 address counts as its /64, the block one host usually holds.
 */
public final class ClientAddresses {

    private final String header;

    /** @param header the header the nearest reverse proxy sets to the client address, or null/blank for none */
    public ClientAddresses(final String header) {
        this.header = header == null || header.isBlank() ? null : header.strip();
    }

    /**
     * @param request a request, or null
     * @return the key its client address is counted under ({@code unknown} when there is none)
     */
    public String of(final HttpRequest<?> request) {
        if (request == null) {
            return "unknown";
        }
        if (header != null) {
            final List<String> values = request.getHeaders().getAll(header);
            for (int i = values.size() - 1; i >= 0; i--) {
                final String[] entries = values.get(i).split(",");
                for (int j = entries.length - 1; j >= 0; j--) {
                    final String entry = entries[j].strip();
                    if (!entry.isEmpty()) {
                        return key(entry);
                    }
                }
            }
        }
        final InetSocketAddress remote = request.getRemoteAddress();
        if (remote == null) {
            return "unknown";
        }
        return remote.getAddress() == null ? remote.getHostString() : key(remote.getAddress());
    }

    /**
     * @param address an address as text (IPv4, IPv6, possibly with brackets or a port)
     * @return its key: IPv6 as its /64, anything else (IPv4) as given
     */
    static String key(final String address) {
        String text = address;
        if (text.startsWith("[")) {
            final int end = text.indexOf(']');
            text = end > 0 ? text.substring(1, end) : text;
        } else if (text.indexOf(':') == text.lastIndexOf(':') && text.indexOf(':') > 0) {
            text = text.substring(0, text.indexOf(':')); // IPv4 with a port
        }
        if (!text.contains(":") || !text.matches("[0-9A-Fa-f:.]+")) {
            return text; // IPv4, or not an address literal: kept as it is, never looked up in DNS
        }
        try { // an IPv6 literal: parsed, never looked up
            return key(InetAddress.getByName(text));
        } catch (UnknownHostException e) {
            return text;
        }
    }

    private static String key(final InetAddress address) {
        if (address instanceof Inet6Address) {
            final byte[] bytes = address.getAddress();
            for (int i = 8; i < 16; i++) {
                bytes[i] = 0;
            }
            try {
                return InetAddress.getByAddress(bytes).getHostAddress() + "/64";
            } catch (UnknownHostException e) {
                return address.getHostAddress();
            }
        }
        return address.getHostAddress();
    }
}
