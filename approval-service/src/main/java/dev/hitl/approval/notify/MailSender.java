package dev.hitl.approval.notify;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

/**
 * Sends plain-text mail over SMTP with Jakarta Mail (Eclipse Angus), never HTML. The {@code
 * Message-ID} and {@code X-Hitl-Request-Id} carry the request id, so receivers can drop a repeat.
 * The subject and body come from {@link NotificationMessages}, where agent text was already made
 * visible and link-free; as a last step before sending, the subject is made one visible line and
 * the body loses any invisible or control character but line breaks and tabs ({@link
 * UntrustedText#visible}), whoever built them.
 */
final class MailSender {

    private final SmtpSettings smtp;
    private final Session session;

    MailSender(final SmtpSettings smtp, final Duration timeout) {
        this.smtp = smtp;
        final Properties props = new Properties();
        props.put("mail.smtp.host", smtp.getHost() == null ? "localhost" : smtp.getHost());
        props.put("mail.smtp.port", String.valueOf(smtp.getPort()));
        props.put("mail.smtp.connectiontimeout", String.valueOf(timeout.toMillis()));
        props.put("mail.smtp.timeout", String.valueOf(timeout.toMillis()));
        props.put("mail.smtp.writetimeout", String.valueOf(timeout.toMillis()));
        props.put("mail.smtp.starttls.enable", String.valueOf(smtp.isStarttls()));
        props.put("mail.smtp.starttls.required", String.valueOf(smtp.isStarttls()));
        props.put(
                "mail.smtp.auth",
                String.valueOf(smtp.getUsername() != null && !smtp.getUsername().isBlank()));
        this.session = Session.getInstance(props);
    }

    /**
     * @param to the recipients
     * @param requestId the idempotency key
     * @param subject one line
     * @param text the plain-text body
     * @throws DeliveryException when the server did not take it
     */
    void send(final List<String> to, final String requestId, final String subject, final String text)
            throws DeliveryException {
        final String key = requestId.replaceAll("[^A-Za-z0-9:._-]", "_");
        try {
            final MimeMessage message = new MimeMessage(session) {
                @Override
                protected void updateMessageID() throws MessagingException {
                    setHeader("Message-ID", "<" + key + "@hitl.approvals>");
                }
            };
            message.setFrom(new InternetAddress(smtp.getFrom(), true));
            message.setRecipients(Message.RecipientType.TO, InternetAddress.parse(String.join(",", to), true));
            message.setSubject(UntrustedText.visible(subject, false), "UTF-8");
            message.setText(UntrustedText.visible(text, true), "UTF-8", "plain");
            message.setHeader("X-Hitl-Request-Id", key);
            message.setHeader("Auto-Submitted", "auto-generated");
            if (smtp.getUsername() != null && !smtp.getUsername().isBlank()) {
                Transport.send(message, smtp.getUsername(), smtp.getPassword());
            } else {
                Transport.send(message);
            }
        } catch (AddressException e) {
            throw new DeliveryException("bad address: " + e.getMessage(), false);
        } catch (MessagingException e) {
            throw new DeliveryException("mail not sent: " + e, true);
        }
    }
}
