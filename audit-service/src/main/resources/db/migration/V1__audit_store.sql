-- The audit store: a copy of hitl.audit.log for queries and reports, filled by the audit service.
-- The log stays the source of truth (its hash chains are verified on the log, never here); this
-- store can be dropped and refilled from the log at any time.

-- One row: which log the store holds, and its generation (raised by every refill, so that every
-- filler of the store starts again from the beginning).
create table audit_store (
    id boolean primary key default true check (id),
    topic text,
    generation bigint not null default 0,
    refilled_at timestamptz,
    refilled_by text
);
insert into audit_store (id) values (true);

-- Where the store is in each partition of the log: the next offset to read, written in the same
-- transaction as the records before it, so a crash or a restart resumes exactly there; and how many
-- records, new actions and unreadable records the store took from the partition.
create table audit_position (
    log_partition integer primary key,
    next_offset bigint not null,
    records bigint not null default 0,
    actions bigint not null default 0,
    unreadable bigint not null default 0
);

-- Every record of the log, once: keyed by where it is in the log.
create table audit_record (
    log_partition integer not null,
    log_offset bigint not null,
    sequence bigint not null,
    hash_version integer not null,
    event_type text not null,
    action_id text,
    agent_id text,
    actor text not null,
    occurred_at timestamptz not null,
    policy_version text,
    source text not null,
    prev_hash text not null,
    hash text not null,
    payload text not null,
    -- what the payload says, read once when the record is stored (the filters and reports use it)
    action_type text,
    risk_class text,
    outcome text,
    verdict text,
    time_on_card_millis bigint,
    vote_id text,
    ignored_category text,
    approvers text[] not null default '{}',
    triggers text[] not null default '{}',
    -- the record exactly as in the log (Avro single-object encoding), only when a column could not
    -- hold a value as it is (see the audit-service README, "The audit store")
    exact bytea,
    primary key (log_partition, log_offset)
);
create index audit_record_action_id on audit_record (action_id);
create index audit_record_agent_id on audit_record (agent_id);
create index audit_record_occurred_at on audit_record (occurred_at, log_partition, log_offset);
create index audit_record_event_type on audit_record (event_type, occurred_at);
create index audit_record_outcome on audit_record (outcome) where outcome is not null;
create index audit_record_action_type on audit_record (action_type) where action_type is not null;
create index audit_record_risk_class on audit_record (risk_class) where risk_class is not null;
create index audit_record_approvers on audit_record using gin (approvers);

-- Per action, what the filters select its records by (its agent, action type and risk class) and
-- when a person was first asked (the calibration report's time to decision).
create table audit_action (
    action_id text primary key,
    agent_id text,
    action_type text,
    risk_class text,
    proposed_at timestamptz,
    pending_at timestamptz,
    requested_at timestamptz
);
create index audit_action_agent_id on audit_action (agent_id);
create index audit_action_action_type on audit_action (action_type);
create index audit_action_risk_class on audit_action (risk_class);
