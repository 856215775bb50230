package dev.hitl.approval.notify;

import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real (if tiny) SMTP server on a local port for the tests: 220, EHLO/HELO, MAIL FROM, RCPT TO,
 * DATA up to the lone dot, RSET, NOOP, QUIT. Keeps every message it accepted.
 */
final class TinySmtpServer implements AutoCloseable {

    /**
     * @param from the envelope sender
     * @param to the envelope recipients
     * @param message the message as sent, parsed
     */
    record Mail(String from, List<String> to, MimeMessage message) {}

    private final ServerSocket socket;
    private final List<Mail> mails = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    TinySmtpServer() throws IOException {
        socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "tiny-smtp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    List<Mail> mails() {
        return List.copyOf(mails);
    }

    private void accept() {
        while (!socket.isClosed()) {
            try {
                final Socket client = socket.accept();
                final Thread session = new Thread(() -> serve(client), "tiny-smtp-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(final Socket client) {
        try (client;
                BufferedReader in = new BufferedReader(
                        new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1));
                Writer out = new OutputStreamWriter(client.getOutputStream(), StandardCharsets.ISO_8859_1)) {
            reply(out, "220 localhost tiny SMTP");
            String from = null;
            List<String> to = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                final String command = line.toUpperCase(Locale.ROOT);
                if (command.startsWith("EHLO")) {
                    reply(out, "250-localhost\r\n250 HELP");
                } else if (command.startsWith("HELO")) {
                    reply(out, "250 localhost");
                } else if (command.startsWith("MAIL FROM:")) {
                    from = address(line.substring(10));
                    to = new ArrayList<>();
                    reply(out, "250 OK");
                } else if (command.startsWith("RCPT TO:")) {
                    to.add(address(line.substring(8)));
                    reply(out, "250 OK");
                } else if (command.equals("DATA")) {
                    reply(out, "354 End data with <CR><LF>.<CR><LF>");
                    final StringBuilder data = new StringBuilder();
                    String l;
                    while ((l = in.readLine()) != null && !l.equals(".")) {
                        data.append(l.startsWith("..") ? l.substring(1) : l).append("\r\n");
                    }
                    final MimeMessage message = new MimeMessage(
                            Session.getInstance(new Properties()),
                            new ByteArrayInputStream(data.toString().getBytes(StandardCharsets.ISO_8859_1)));
                    mails.add(new Mail(from, List.copyOf(to), message));
                    reply(out, "250 OK queued");
                } else if (command.startsWith("RSET") || command.startsWith("NOOP")) {
                    reply(out, "250 OK");
                } else if (command.startsWith("QUIT")) {
                    reply(out, "221 Bye");
                    return;
                } else {
                    reply(out, "502 Command not implemented");
                }
            }
        } catch (Exception e) {
            // the client went away
        }
    }

    private static String address(final String text) {
        final String t = text.trim();
        final int lt = t.indexOf('<');
        final int gt = t.indexOf('>');
        return lt >= 0 && gt > lt ? t.substring(lt + 1, gt) : t;
    }

    private static void reply(final Writer out, final String text) throws IOException {
        out.write(text + "\r\n");
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
