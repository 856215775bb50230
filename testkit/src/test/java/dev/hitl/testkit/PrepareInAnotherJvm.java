package dev.hitl.testkit;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A second test JVM for {@link KeycloakDistributionTest}: prepares the distribution with a stand-in
 * build that waits, mid-build, for a line on its standard input. Says what it does in lines that
 * begin with {@value #SAYS}.
 */
public final class PrepareInAnotherJvm {

    static final String SAYS = "@@ ";

    private PrepareInAnotherJvm() {}

    /** @param args the zip and the cache directory */
    public static void main(final String[] args) throws Exception {
        final BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        final KeycloakDistribution.Prepared prepared = KeycloakDistribution.prepare(
                Path.of(args[0]),
                Path.of(args[1]),
                (zip, target) -> {
                    KeycloakDistribution.unzip(zip, target);
                    say("building");
                    stdin.readLine();
                },
                () -> say("waiting for the lock"));
        say((prepared.built() ? "built " : "reused ") + prepared.dist());
    }

    private static void say(final String line) {
        System.out.println(SAYS + line);
        System.out.flush();
    }
}
