package dev.hitl.audit.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded server does not outlive a service killed with SIGKILL (no shutdown hook runs): its
 * watchdog stops it; and when a server is left running anyway, the next start on the directory
 * stops it and starts afresh, with the data it had.
 */
class EmbeddedDatabaseTest {

    @TempDir
    Path dir;

    /** A service: starts the server in a directory, prints its pids, waits to be killed. */
    public static final class Service {
        public static void main(final String[] args) throws Exception {
            final EmbeddedDatabase db = EmbeddedDatabase.start(Path.of(args[0]));
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), null);
                    Statement s = c.createStatement()) {
                s.execute("create table if not exists kept (x int)");
                s.execute("insert into kept values (1)");
            }
            System.out.println("postmaster " + db.postmaster().orElseThrow().pid());
            System.out.println("watchdog " + db.watchdog().orElseThrow().pid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE); // until killed
        }
    }

    private record Started(Process service, ProcessHandle postmaster, ProcessHandle watchdog) {}

    private Started startService() throws Exception {
        final Process service = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        Service.class.getName(),
                        dir.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        final BufferedReader out =
                new BufferedReader(new InputStreamReader(service.getInputStream(), StandardCharsets.UTF_8));
        long postmaster = -1;
        long watchdog = -1;
        while (postmaster < 0 || watchdog < 0) {
            final String line = out.readLine();
            if (line == null) {
                break;
            }
            if (line.startsWith("postmaster ")) {
                postmaster = Long.parseLong(line.substring("postmaster ".length()));
            } else if (line.startsWith("watchdog ")) {
                watchdog = Long.parseLong(line.substring("watchdog ".length()));
            }
        }
        assertThat(postmaster).as("the service started its server").isPositive();
        return new Started(
                service,
                ProcessHandle.of(postmaster).orElseThrow(),
                ProcessHandle.of(watchdog).orElseThrow());
    }

    @Test
    void shouldStopTheServerWhenItsServiceIsKilled() throws Exception {
        final Started started = startService();

        started.service().destroyForcibly().waitFor();

        // the watchdog looks every 2 s; PostgreSQL's fast shutdown takes a moment
        assertThat(started.postmaster().onExit().get(60, TimeUnit.SECONDS).isAlive())
                .isFalse();
        assertThat(started.watchdog().onExit().get(60, TimeUnit.SECONDS).isAlive())
                .isFalse();
    }

    @Test
    void shouldStopAServerLeftRunningAndStartAfreshWithItsData() throws Exception {
        final Started started = startService();
        // the service and its watchdog die together: the server is left running, holding the directory
        started.watchdog().destroyForcibly();
        started.watchdog().onExit().get(60, TimeUnit.SECONDS);
        started.service().destroyForcibly().waitFor();
        assertThat(started.postmaster().isAlive()).isTrue();

        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir);
                Connection c = DriverManager.getConnection(db.jdbcUrl(), db.user(), null);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from kept")) {
            assertThat(started.postmaster().isAlive()).isFalse();
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }
}
