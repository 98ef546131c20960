import { InvalidError } from '@mediamagic/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The deepest nesting of arrays and objects a body may have. */
export const MAX_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });
// With the u flag a surrogate pair is one code point; a surrogate alone is a code point of category Cs.
const LONE_SURROGATE = /\p{Cs}/u;

type Done = (error: Error | null, body?: unknown) => void;

/**
 * The one body parser of the API: JSON in UTF-8, at most MAX_DEPTH levels deep, every string Unicode text. The depth
 * is read from the text before anything is built, so no code (Fastify's prototype checks, Nest's, the validation)
 * ever recurses into a deeper body; the strings are checked once the value is known to be shallow.
 */
export function jsonBodyParser(fastify: FastifyInstance): (request: FastifyRequest, body: Buffer, done: Done) => void {
  // Fastify's own: an empty body is a 400, `__proto__` and `constructor.prototype` keys are refused.
  const parse = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      done(new InvalidError('the body is not valid UTF-8'));
      return;
    }
    if (nestsDeeperThan(text, MAX_DEPTH)) {
      done(new InvalidError(`the body nests arrays and objects deeper than ${MAX_DEPTH} levels`));
      return;
    }
    parse(request, text, (error, value) => {
      if (error) done(error);
      else if (hasLoneSurrogate(value)) done(new InvalidError('the body has a string with a lone UTF-16 surrogate, which is not Unicode text'));
      else done(null, value);
    });
  };
}

/** Whether the JSON text opens more than `max` arrays or objects inside one another; malformed text is the parser's to refuse. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === '[' || char === '{') {
      if (++depth > max) return true;
    } else if (char === ']' || char === '}') depth--;
  }
  return false;
}

// Recursion is safe here: the value is at most MAX_DEPTH deep.
function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return LONE_SURROGATE.test(value);
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(value).some(([key, item]) => LONE_SURROGATE.test(key) || hasLoneSurrogate(item));
}
