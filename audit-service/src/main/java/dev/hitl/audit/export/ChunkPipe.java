package dev.hitl.audit.export;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded pipe from one writing thread to a reading one, in chunks: at most {@code capacity}
 * chunks of {@code chunkSize} bytes are held, so a writer that is faster than the reader waits.
 * Unlike {@link java.io.PipedInputStream} it does not tie either end to a thread (the HTTP server
 * may read from different pooled threads). The writer ends the stream with {@link
 * OutputStream#close()} or breaks it with {@link #fail}, which the reader sees as an {@link
 * IOException} rather than a clean end, so a cut-short export never looks complete; a reader that
 * closes its end makes the writer's next write fail.
 */
public final class ChunkPipe {

    private static final byte[] END = new byte[0];

    private final BlockingQueue<byte[]> chunks;
    private final int chunkSize;
    private volatile boolean readerClosed;
    private volatile String failure;

    private final OutputStream out;
    private final InputStream in;

    /**
     * @param capacity how many chunks may wait
     * @param chunkSize bytes per chunk
     */
    public ChunkPipe(final int capacity, final int chunkSize) {
        this.chunks = new ArrayBlockingQueue<>(capacity + 1);
        if (capacity < 1 || chunkSize < 1) {
            throw new IllegalArgumentException("capacity and chunkSize must be at least 1");
        }
        this.chunkSize = chunkSize;
        this.out = new Out();
        this.in = new In();
    }

    /** @return the writing end (one thread) */
    public OutputStream output() {
        return out;
    }

    /** @return the reading end (one reader at a time) */
    public InputStream input() {
        return in;
    }

    /**
     * Breaks the stream: the reader gets an IOException once it has read what was written before.
     *
     * @param reason why
     */
    public void fail(final String reason) {
        failure = reason == null ? "failed" : reason;
        offer(END);
    }

    private void offer(final byte[] chunk) {
        try {
            while (!readerClosed) {
                if (chunks.offer(chunk, 200, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Out extends OutputStream {
        private byte[] buffer = new byte[chunkSize];
        private int count;
        private boolean closed;

        @Override
        public void write(final int b) throws IOException {
            ensureOpen();
            buffer[count++] = (byte) b;
            if (count == buffer.length) {
                flush();
            }
        }

        @Override
        public void write(final byte[] b, final int off, final int len) throws IOException {
            ensureOpen();
            int from = off;
            int left = len;
            while (left > 0) {
                final int n = Math.min(left, buffer.length - count);
                System.arraycopy(b, from, buffer, count, n);
                count += n;
                from += n;
                left -= n;
                if (count == buffer.length) {
                    flush();
                }
            }
        }

        @Override
        public void flush() throws IOException {
            ensureOpen();
            if (count == 0) {
                return;
            }
            final byte[] chunk = Arrays.copyOf(buffer, count);
            count = 0;
            try {
                while (!chunks.offer(chunk, 200, TimeUnit.MILLISECONDS)) {
                    ensureOpen();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing to the pipe");
            }
        }

        @Override
        public void close() throws IOException {
            if (closed) {
                return;
            }
            if (!readerClosed) {
                flush();
            }
            closed = true;
            offer(END);
        }

        private void ensureOpen() throws IOException {
            if (readerClosed) {
                throw new IOException("the reader closed the pipe");
            }
            if (closed) {
                throw new IOException("the pipe is closed");
            }
        }
    }

    private final class In extends InputStream {
        private byte[] current;
        private int position;
        private boolean ended;

        @Override
        public int read() throws IOException {
            final byte[] one = new byte[1];
            final int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (current == null || position == current.length) {
                if (ended) {
                    return -1;
                }
                try {
                    current = chunks.take();
                    position = 0;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading the pipe");
                }
                if (current == END) {
                    current = null;
                    if (failure != null) {
                        throw new IOException("the export was cut short: " + failure);
                    }
                    ended = true;
                    return -1;
                }
            }
            final int n = Math.min(len, current.length - position);
            System.arraycopy(current, position, b, off, n);
            position += n;
            return n;
        }

        @Override
        public void close() {
            readerClosed = true;
            chunks.clear();
        }
    }
}
