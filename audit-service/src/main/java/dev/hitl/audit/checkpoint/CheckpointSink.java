package dev.hitl.audit.checkpoint;

import dev.hitl.schemas.AuditCheckpoint;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * An external, append-only place for signed checkpoints, outside the broker: only such a copy
 * protects against a broker administrator (who could rewrite the checkpoint topic as well as the
 * audit log).
 */
public interface CheckpointSink {

    /**
     * @param checkpoint a signed checkpoint
     * @throws IOException when it could not be stored (the publisher retries at its next round)
     */
    void store(AuditCheckpoint checkpoint) throws IOException;

    /**
     * @param checkpoint a checkpoint
     * @return its relative name: {@code <auditTopic>/<partition>/<sequence, 19 digits>-<checkpointedAt
     *     millis>.json}, so names sort by chain and sequence and never repeat
     */
    static String name(final AuditCheckpoint checkpoint) {
        return checkpoint.getAuditTopic() + "/" + checkpoint.getPartition() + "/"
                + String.format("%019d", checkpoint.getSequence()) + "-"
                + checkpoint.getCheckpointedAt().toEpochMilli() + ".json";
    }

    /**
     * One file per checkpoint under a directory (e.g. a WORM mount), created new and never
     * overwritten, forced to disk (file and directory) before it counts as stored.
     *
     * @param root the directory
     */
    record Directory(Path root) implements CheckpointSink {

        @Override
        public void store(final AuditCheckpoint checkpoint) throws IOException {
            final Path file = root.resolve(name(checkpoint));
            final Path dir = Files.createDirectories(file.getParent());
            try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write(ByteBuffer.wrap(CheckpointJson.write(checkpoint).getBytes(StandardCharsets.UTF_8)));
                out.force(true);
            } catch (FileAlreadyExistsException e) {
                return; // written before (a retry): never overwritten
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException e) {
                // some file systems cannot sync a directory; the file itself is synced
            }
        }
    }

    /**
     * A PUT of each checkpoint's JSON to {@code <base>/<name>} (e.g. an object store bucket with a
     * retention lock), with {@code If-None-Match: *} so an existing object is never replaced, and
     * an optional bearer token. 2xx and 412 (already there) count as stored.
     *
     * @param base the base URL
     * @param bearerToken the token, or null
     * @param http the client
     */
    record Http(URI base, String bearerToken, HttpClient http) implements CheckpointSink {

        @Override
        public void store(final AuditCheckpoint checkpoint) throws IOException {
            final String b = base.toString();
            final HttpRequest.Builder request = HttpRequest.newBuilder(
                            URI.create((b.endsWith("/") ? b : b + "/") + name(checkpoint)))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .header("If-None-Match", "*")
                    .PUT(HttpRequest.BodyPublishers.ofString(CheckpointJson.write(checkpoint)));
            if (bearerToken != null) {
                request.header("Authorization", "Bearer " + bearerToken);
            }
            final HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (response.statusCode() / 100 != 2 && response.statusCode() != 412) {
                throw new IOException("PUT " + b + " answered " + response.statusCode());
            }
        }
    }
}
