package dev.hitl.audit.topology;

/**
 * The end of one partition's chain: the last record written (changelogged, so a restarted or
 * moved task continues exactly where the last committed transaction left off).
 *
 * @param sequence the last record's sequence
 * @param hash the last record's hash
 */
public record ChainState(long sequence, String hash) {}
