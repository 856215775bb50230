package dev.hitl.approval.notify;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real SMTP server for the tests: Python's standard {@code smtpd} module (an independent
 * implementation of the protocol, not one written for the test) run from {@code
 * src/test/python/smtp_sink.py}, storing every accepted message in a directory.
 */
final class PythonSmtpServer implements AutoCloseable {

    record Mail(String from, List<String> to, MimeMessage message) {}

    private final Process process;
    private final Path directory;
    private final int port;

    PythonSmtpServer() throws IOException, InterruptedException {
        this.directory = Files.createTempDirectory("hitl-smtp-");
        try (ServerSocket probe = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            this.port = probe.getLocalPort();
        }
        this.process = new ProcessBuilder(
                        "/usr/bin/python3",
                        Path.of("src/test/python/smtp_sink.py").toString(),
                        String.valueOf(port),
                        directory.toString())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("server.log").toFile())
                .start();
        final long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!accepting()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "the Python SMTP server did not start: " + Files.readString(directory.resolve("server.log")));
            }
            process.waitFor(50, TimeUnit.MILLISECONDS); // back-off while a child process starts
        }
    }

    private boolean accepting() {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    int port() {
        return port;
    }

    /** @return the messages the server has accepted so far, in order */
    List<Mail> mails() {
        final List<Mail> mails = new ArrayList<>();
        try (Stream<Path> done = Files.list(directory)) {
            for (final Path marker :
                    done.filter(p -> p.toString().endsWith(".done")).sorted().toList()) {
                final String base =
                        marker.toString().substring(0, marker.toString().length() - ".done".length());
                final List<String> envelope = Files.readAllLines(Path.of(base + ".env"), StandardCharsets.UTF_8);
                final MimeMessage message = new MimeMessage(
                        Session.getInstance(new Properties()),
                        new ByteArrayInputStream(Files.readAllBytes(Path.of(base + ".eml"))));
                mails.add(new Mail(envelope.get(0), envelope.subList(1, envelope.size()), message));
            }
        } catch (IOException | jakarta.mail.MessagingException e) {
            throw new IllegalStateException("cannot read the stored mails", e);
        }
        return mails;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
