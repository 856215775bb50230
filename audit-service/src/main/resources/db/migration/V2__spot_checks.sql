-- Spot checks of auto-approved actions (SPOT_CHECK records): the policy rules that classified the
-- action as auto-approvable, and the probability with which it was sampled (the calibration
-- report's false-negative estimate weighs each answered spot check by 1/sample_rate). Records stored
-- before this migration are not spot checks: the defaults hold for them.
alter table audit_record add column rules text[] not null default '{}';
alter table audit_record add column sample_rate double precision;
create index audit_record_spot_checks on audit_record (action_id, occurred_at)
    where event_type in ('SPOT_CHECK', 'SPOT_CHECK_ANSWERED');
