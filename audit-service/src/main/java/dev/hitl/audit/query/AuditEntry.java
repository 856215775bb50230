package dev.hitl.audit.query;

import dev.hitl.audit.log.LogRecord;

/**
 * One record of the audit log as the queries answer it.
 *
 * @param record the record and where it is stored in the log
 * @param facts what its payload says
 */
public record AuditEntry(LogRecord record, RecordFacts facts) {}
