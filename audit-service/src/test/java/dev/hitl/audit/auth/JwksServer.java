package dev.hitl.audit.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in OIDC provider's signing side for tests: an RSA key whose public half a JDK HTTP server
 * serves as a JWKS over real HTTP, and the tokens it signs. Tokens are minted here; the service under
 * test only ever sees the JWKS URL, as it would a real provider's.
 */
final class JwksServer implements AutoCloseable {

    private final RSAKey key;
    private final HttpServer server;
    private final String issuer;
    private final AtomicInteger fetches = new AtomicInteger();

    JwksServer(final String keyId) throws JOSEException, IOException {
        this.key = new RSAKeyGenerator(2048).keyID(keyId).generate();
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        final byte[] jwks = new JWKSet(key.toPublicJWK()).toString(true).getBytes(StandardCharsets.UTF_8);
        server.createContext("/jwks", exchange -> {
            fetches.incrementAndGet();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, jwks.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(jwks);
            }
        });
        server.start();
        this.issuer = "http://127.0.0.1:" + server.getAddress().getPort() + "/realms/test";
    }

    String jwksUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks";
    }

    String issuer() {
        return issuer;
    }

    int fetches() {
        return fetches.get();
    }

    /**
     * @param issuer iss
     * @param audience aud
     * @param groups the groups claim
     * @param expires exp
     * @return a token signed with this provider's key
     */
    String token(final String issuer, final String audience, final List<String> groups, final Instant expires)
            throws JOSEException {
        return sign(key, issuer, audience, groups, expires);
    }

    static String sign(
            final RSAKey with,
            final String issuer,
            final String audience,
            final List<String> groups,
            final Instant expires)
            throws JOSEException {
        final JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject("alice@example.com")
                .audience(audience)
                .claim("groups", groups)
                .issueTime(Date.from(Instant.now().minusSeconds(60)))
                .expirationTime(expires == null ? null : Date.from(expires))
                .build();
        final SignedJWT jwt = new SignedJWT(
                new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(with.getKeyID()).build(), claims);
        jwt.sign(new RSASSASigner(with));
        return jwt.serialize();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
