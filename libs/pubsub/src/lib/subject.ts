const TOKEN = /^[A-Za-z0-9_-]+$/;

/** A NATS subject or pattern: dot-separated tokens, `*` for one token, `>` for the rest. */
export function assertSubject(subject: string, { wildcards = false } = {}): void {
  const tokens = subject.split('.');
  const ok = tokens.every((token, i) => TOKEN.test(token) || (wildcards && (token === '*' || (token === '>' && i === tokens.length - 1))));
  if (!ok) throw new Error(`invalid subject "${subject}"${wildcards ? '' : ' (wildcards are not allowed here)'}`);
}

/** A group name: tokens like a subject's (`email-service.notify-deployment-owner`), no wildcards. */
export function assertGroup(group: string): void {
  if (!group.split('.').every((token) => TOKEN.test(token))) {
    throw new Error(`invalid group "${group}": dot-separated letters, digits, "_" and "-"`);
  }
}

/** Whether `subject` matches the NATS `pattern`. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
