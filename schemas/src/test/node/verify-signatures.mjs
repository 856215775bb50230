// Verifies hitl decision signatures and proposal hashes with Node's own crypto, independently of
// the Java code: canonical JSON (RFC 8785) here is sorted keys + JSON.stringify, which is what RFC
// 8785 specifies for strings, integers, null, arrays and objects.
//
//   node verify-signatures.mjs vectors.json           # checks the test vectors
//   node verify-signatures.mjs --decisions d.json k.json  # d.json: [decision, ...], k.json: a JWKS
// Prints one line per check, exits 1 on the first that fails.
import { createHash, createHmac, createPublicKey, hkdfSync, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';

const SIGNED = ['actionId', 'actionType', 'agentId', 'approvers', 'argumentsHash', 'decidedAt', 'decidedBy',
  'expiresAt', 'feedback', 'outcome', 'policyVersion', 'proposalHash', 'signatureAlgorithm', 'signatureKeyId',
  'target', 'tool'];

function canonical(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  const keys = Object.keys(value).sort(); // UTF-16 code unit order, as RFC 8785
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}';
}

// The proposal hash leaves out members whose value is null, at every depth of objects.
function withoutNulls(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null).map(([k, v]) => [k, withoutNulls(v)]));
}

function signedContent(decision) {
  const members = {};
  for (const name of SIGNED) {
    let v = decision[name];
    if (v === undefined) v = null;
    if (name === 'feedback' && v !== null) v = { category: v.category ?? null, reason: v.reason ?? null };
    members[name] = v;
  }
  return canonical(members);
}

function keysById(jwks) {
  const keys = new Map();
  for (const jwk of jwks.keys ?? [jwks]) {
    keys.set(jwk.kid, createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' }));
  }
  return keys;
}

function verifyDecision(decision, keys) {
  if (decision.signatureAlgorithm !== 'Ed25519') return `algorithm ${decision.signatureAlgorithm}`;
  const key = keys.get(decision.signatureKeyId);
  if (!key) return `unknown key ${decision.signatureKeyId}`;
  const ok = verify(null, Buffer.from(signedContent(decision), 'utf8'), key, Buffer.from(decision.signature, 'base64'));
  if (!ok) return 'bad signature';
  if (decision.finalArguments !== null && decision.finalArguments !== undefined) {
    const hash = createHash('sha256').update(canonical(JSON.parse(decision.finalArguments)), 'utf8').digest('hex');
    if (hash !== decision.argumentsHash) return 'finalArguments do not match argumentsHash';
  }
  return 'valid';
}

const VOTE_SIGNED = ['actionId', 'actionVersion', 'approver', 'argumentsHash', 'groups', 'modifiedArguments', 'reason',
  'requestId', 'requestVersion', 'signatureAlgorithm', 'signatureKeyId', 'stageIndex', 'timeOnCardMillis', 'verdict',
  'voteId', 'votedAt', 'voterId'];

function voteSignedContent(vote) {
  return canonical(Object.fromEntries(VOTE_SIGNED.map((name) => [name, vote[name] ?? null])));
}

// A glob: '*' stands for any run of characters; reviewers are compared without case, groups with.
function globMatches(glob, value, ignoreCase) {
  const regex = glob.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${regex}$`, ignoreCase ? 'iu' : 'u').test(value);
}

function verifyVote(vote, voter, signedContent = voteSignedContent(vote)) {
  if (!vote.voterId || !vote.signature || !vote.signatureKeyId || !vote.signatureAlgorithm) return 'unsigned';
  if (vote.voterId !== voter.voterId) return 'unknown voter';
  if (voter.status !== 'ACTIVE') return 'revoked voter';
  if (vote.signatureAlgorithm !== 'Ed25519') return `algorithm ${vote.signatureAlgorithm}`;
  const registered = voter.publicKeys.find((k) => k.keyId === vote.signatureKeyId);
  if (!registered) return `unknown key ${vote.signatureKeyId}`;
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: registered.publicKey }, format: 'jwk' });
  if (!verify(null, Buffer.from(signedContent, 'utf8'), key, Buffer.from(vote.signature, 'base64'))) {
    return 'bad signature';
  }
  if (!vote.groups.every((g) => voter.allowedGroups.some((glob) => globMatches(glob, g, false)))) return 'group not allowed';
  if (!voter.allowedReviewers.some((glob) => globMatches(glob, vote.approver, true))) return 'reviewer not allowed';
  return 'valid';
}

// A spot-check answer: signed like a vote, by the same voter key, over its own members and a type.
const ANSWER_SIGNED = ['actionId', 'answerId', 'answeredAt', 'groups', 'reason', 'reviewer', 'signatureAlgorithm',
  'signatureKeyId', 'timeOnCardMillis', 'verdict', 'voterId'];

function answerSignedContent(answer) {
  return canonical({ ...Object.fromEntries(ANSWER_SIGNED.map((name) => [name, answer[name] ?? null])),
    type: 'spot-check-answer' });
}

function verifyAnswer(answer, voter) {
  return verifyVote({ ...answer, approver: answer.reviewer }, voter, answerSignedContent(answer));
}

const CHECKPOINT_SIGNED = ['auditTopic', 'checkpointedAt', 'hash', 'headOccurredAt', 'offset', 'partition', 'sequence',
  'signatureAlgorithm', 'signatureKeyId'];

function checkpointSignedContent(checkpoint) {
  return canonical(Object.fromEntries(CHECKPOINT_SIGNED.map((name) => [name, checkpoint[name] ?? null])));
}

function verifyCheckpoint(checkpoint, keys) {
  if (checkpoint.signatureAlgorithm !== 'Ed25519') return `algorithm ${checkpoint.signatureAlgorithm}`;
  const key = keys.get(checkpoint.signatureKeyId);
  if (!key) return `unknown key ${checkpoint.signatureKeyId}`;
  const ok = verify(null, Buffer.from(checkpointSignedContent(checkpoint), 'utf8'), key,
    Buffer.from(checkpoint.signature, 'base64'));
  return ok ? 'valid' : 'bad signature';
}

function fail(message) {
  console.log('FAIL ' + message);
  process.exit(1);
}

const args = process.argv.slice(2);
if (args[0] === '--decisions') {
  const decisions = JSON.parse(readFileSync(args[1], 'utf8'));
  const keys = keysById(JSON.parse(readFileSync(args[2], 'utf8')));
  for (const d of decisions) {
    const result = verifyDecision(d, keys);
    if (result !== 'valid') fail(`decision ${d.actionId} (${d.outcome}): ${result}`);
    console.log(`ok decision ${d.actionId} ${d.outcome}`);
  }
  console.log(`verified ${decisions.length} decisions`);
} else {
  const vectors = JSON.parse(readFileSync(args[0], 'utf8'));
  const keys = keysById(vectors.publicKeys);
  for (const v of vectors.decisions) {
    if (signedContent(v.decision) !== v.signedContent) fail(`${v.name}: signed content differs`);
    const result = verifyDecision(v.decision, keys);
    if (result !== 'valid') fail(`${v.name}: ${result}`);
    console.log(`ok decision "${v.name}"`);
  }
  for (const v of vectors.forged) {
    const result = verifyDecision(v.decision, keys);
    if (result === 'valid') fail(`forged "${v.name}" verified`);
    console.log(`ok forged "${v.name}" refused: ${result}`);
  }
  for (const v of vectors.proposals) {
    const { proposedAt, ...members } = v.proposal;
    const text = canonical(withoutNulls(members));
    if (text !== v.canonical) fail(`proposal "${v.name}": canonical form differs:\n${text}\n${v.canonical}`);
    const hash = createHash('sha256').update(text, 'utf8').digest('hex');
    if (hash !== v.proposalHash) fail(`proposal "${v.name}": hash differs`);
    console.log(`ok proposal "${v.name}"`);
  }
  const c = vectors.agentCredentials;
  if (c) {
    // HKDF-SHA256 (RFC 5869): salt "hitl agent credential v1", info agentId NUL credentialId, 32 bytes.
    const key = Buffer.from(hkdfSync('sha256', Buffer.from(c.masterSecretUtf8, 'utf8'),
      Buffer.from('hitl agent credential v1', 'utf8'), Buffer.from(`${c.agentId}\u0000${c.credentialId}`, 'utf8'), 32));
    if (key.toString('base64url') !== c.key) fail('agent credential: derived key differs');
    const proposal = vectors.proposals.find((p) => p.name === c.proposal).proposal;
    const content = canonical({ actionId: proposal.actionId, agentId: proposal.agentId, credentialId: c.credentialId,
      proposalHash: vectors.proposals.find((p) => p.name === c.proposal).proposalHash,
      proposedAt: proposal.proposedAt, type: 'proposal' });
    if (content !== c.proposalContent) fail('agent credential: proposal content differs');
    const mac = (text) => createHmac('sha256', key).update(text, 'utf8').digest('base64url');
    if (`v1.${c.credentialId}.${mac(content)}` !== c.proposalHeader) fail('agent credential: proposal header differs');
    const withdrawal = canonical({ actionId: proposal.actionId, agentId: proposal.agentId, credentialId: c.credentialId,
      type: 'withdrawal' });
    if (withdrawal !== c.withdrawalContent) fail('agent credential: withdrawal content differs');
    if (`v1.${c.credentialId}.${mac(withdrawal)}` !== c.withdrawalHeader) fail('agent credential: withdrawal header differs');
    console.log('ok agent credential');
  }
  const v = vectors.votes;
  if (v) {
    for (const s of v.signed) {
      if (voteSignedContent(s.vote) !== s.signedContent) fail(`vote "${s.name}": signed content differs`);
      const result = verifyVote(s.vote, v.voter);
      if (result !== 'valid') fail(`vote "${s.name}": ${result}`);
      console.log(`ok vote "${s.name}"`);
    }
    for (const f of v.forged) {
      const result = verifyVote(f.vote, v.voter);
      if (result === 'valid') fail(`forged vote "${f.name}" verified`);
      console.log(`ok forged vote "${f.name}" refused: ${result}`);
    }
  }
  const a = vectors.spotCheckAnswers;
  if (a && v) {
    for (const s of a.signed) {
      if (answerSignedContent(s.answer) !== s.signedContent) fail(`answer "${s.name}": signed content differs`);
      const result = verifyAnswer(s.answer, v.voter);
      if (result !== 'valid') fail(`answer "${s.name}": ${result}`);
      console.log(`ok answer "${s.name}"`);
    }
    for (const f of a.forged) {
      const result = verifyAnswer(f.answer, v.voter);
      if (result === 'valid') fail(`forged answer "${f.name}" verified`);
      console.log(`ok forged answer "${f.name}" refused: ${result}`);
    }
  }
  const cp = vectors.checkpoints;
  if (cp) {
    const auditKeys = keysById(cp.publicKeys);
    for (const s of cp.signed) {
      if (checkpointSignedContent(s.checkpoint) !== s.signedContent) fail(`checkpoint "${s.name}": signed content differs`);
      const result = verifyCheckpoint(s.checkpoint, auditKeys);
      if (result !== 'valid') fail(`checkpoint "${s.name}": ${result}`);
      console.log(`ok checkpoint "${s.name}"`);
    }
    for (const f of cp.forged) {
      const result = verifyCheckpoint(f.checkpoint, auditKeys);
      if (result === 'valid') fail(`forged checkpoint "${f.name}" verified`);
      console.log(`ok forged checkpoint "${f.name}" refused: ${result}`);
    }
  }
  console.log('all vectors verified');
}
