package dev.hitl.schemas.integrity;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Makes decision keys ({@code bin/hitl-keys}):
 *
 * <pre>
 *   generate KID DIR   writes DIR/KID.jwk (the private key, mode 600: give it to one decider only)
 *                      and adds its public key to DIR/decisions.jwks.json (give that to everyone
 *                      who verifies: agents, executors, the MCP gateway, auditors)
 *   public DIR         prints DIR/decisions.jwks.json
 * </pre>
 *
 * Rotation: generate a new key, add the new JWKS to every verifier, switch the decider to the new
 * private key, and remove the old public key once no decision signed with it can still run (after
 * the longest {@code approvalValidFor}). Exit codes: 0 done, 2 bad usage, 1 failure.
 */
public final class DecisionKeyTool {

    /** The public key set's file name in the key directory. */
    public static final String PUBLIC_KEYS_FILE = "decisions.jwks.json";

    private DecisionKeyTool() {}

    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(final String[] args, final PrintStream out, final PrintStream err) {
        try {
            if (args.length == 3 && args[0].equals("generate")) {
                final Path privateKey = generate(args[1], Path.of(args[2]));
                err.println("wrote the private key " + privateKey + " and its public key to "
                        + Path.of(args[2]).resolve(PUBLIC_KEYS_FILE));
                return 0;
            }
            if (args.length == 2 && args[0].equals("public")) {
                out.println(Files.readString(Path.of(args[1]).resolve(PUBLIC_KEYS_FILE)));
                return 0;
            }
            err.println("usage: hitl-keys generate KID DIR | hitl-keys public DIR");
            return 2;
        } catch (IOException | RuntimeException e) {
            err.println("hitl-keys: " + e.getMessage());
            return 1;
        }
    }

    /**
     * @param keyId the new key's id
     * @param dir the key directory
     * @return the private key's file
     * @throws IOException when a file cannot be written, or the key id is taken
     */
    public static Path generate(final String keyId, final Path dir) throws IOException {
        if (!keyId.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("a key id is 1-64 letters, digits, '.', '_' or '-'");
        }
        Files.createDirectories(dir);
        final Path jwks = dir.resolve(PUBLIC_KEYS_FILE);
        final Map<String, DecisionKeys.PublicKey> keys = new LinkedHashMap<>();
        if (Files.exists(jwks)) {
            keys.putAll(DecisionKeys.readPublicKeys(jwks).byId());
        }
        if (keys.containsKey(keyId)) {
            throw new IllegalArgumentException("the key id " + keyId + " is already in " + jwks);
        }
        final DecisionKeys.PrivateKey key = DecisionKeys.generate(keyId);
        final Path privateFile = dir.resolve(keyId + ".jwk");
        Files.writeString(privateFile, key.toJwk() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        try {
            Files.setPosixFilePermissions(privateFile, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the file keeps the directory's permissions
        }
        keys.put(keyId, key.publicKey());
        Files.writeString(
                jwks,
                DecisionKeys.PublicKeys.of(keys.values().toArray(DecisionKeys.PublicKey[]::new))
                                .toJwks()
                        + "\n",
                StandardCharsets.UTF_8);
        return privateFile;
    }
}
