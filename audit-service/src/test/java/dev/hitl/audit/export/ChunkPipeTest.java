package dev.hitl.audit.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ChunkPipeTest {

    @Test
    void shouldHoldOnlyAFewChunksAndDeliverEverythingInOrder() throws Exception {
        final ChunkPipe pipe = new ChunkPipe(4, 1024);
        final byte[] data = new byte[1 << 20];
        new Random(1).nextBytes(data);
        final AtomicLong accepted = new AtomicLong();
        final AtomicReference<Throwable> failed = new AtomicReference<>();
        final Thread writer = new Thread(() -> {
            try (OutputStream out = pipe.output()) {
                final Random sizes = new Random(2);
                int at = 0;
                while (at < data.length) {
                    final int n = Math.min(data.length - at, 1 + sizes.nextInt(3000));
                    out.write(data, at, n);
                    at += n;
                    accepted.set(at);
                }
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        writer.start();

        // nobody reads: the writer stalls once the pipe's chunks are full
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.getState() == Thread.State.TIMED_WAITING);
        assertThat(accepted.get()).isLessThanOrEqualTo(7 * 1024);

        final ByteArrayOutputStream read = new ByteArrayOutputStream();
        try (InputStream in = pipe.input()) {
            in.transferTo(read);
        }
        writer.join(10_000);
        assertThat(failed.get()).isNull();
        assertThat(read.toByteArray()).isEqualTo(data);
    }

    @Test
    void shouldBreakTheReadInsteadOfEndingItWhenTheWriterFails() throws Exception {
        final ChunkPipe pipe = new ChunkPipe(4, 1024);
        pipe.output().write("first line\n".getBytes(StandardCharsets.UTF_8));
        pipe.output().flush();
        pipe.fail("the log could not be read");

        final InputStream in = pipe.input();
        final byte[] buffer = new byte[64];
        final int n = in.read(buffer, 0, buffer.length);
        assertThat(new String(buffer, 0, n, StandardCharsets.UTF_8)).isEqualTo("first line\n");
        assertThatThrownBy(() -> in.read(buffer, 0, buffer.length))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("the log could not be read");
    }

    @Test
    void shouldFailTheWriterOnceTheReaderHasGone() throws Exception {
        final ChunkPipe pipe = new ChunkPipe(2, 16);
        pipe.input().close();

        assertThatThrownBy(() -> {
                    pipe.output().write(new byte[100]);
                    pipe.output().flush();
                })
                .isInstanceOf(IOException.class)
                .hasMessageContaining("reader closed");
    }
}
