import { InvalidError } from '@mediamagic/errors';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The deepest nesting of arrays and objects a body may have. */
export const MAX_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });

type Done = (error: Error | null, body?: unknown) => void;

/**
 * The one body parser of the API: JSON in UTF-8, at most MAX_DEPTH levels deep, every string Unicode text. Both are
 * read from the text in one pass before anything is built, so no code (Fastify's prototype checks, Nest's, the
 * validation) ever recurses into a deeper body, and no second walk over the parsed value is needed.
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
    const problem = problemOf(text, MAX_DEPTH);
    if (problem === 'too-deep') done(new InvalidError(`the body nests arrays and objects deeper than ${MAX_DEPTH} levels`));
    else if (problem === 'lone-surrogate') done(new InvalidError('the body has a string with a lone UTF-16 surrogate, which is not Unicode text'));
    else parse(request, text, done);
  };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const U = 0x75;

/**
 * What makes the JSON text unacceptable before it is parsed: more than `max` arrays or objects inside one another,
 * or a `\u` escape of a UTF-16 surrogate that is not half of a pair (decoded UTF-8 holds none unescaped). Malformed
 * text is the parser's to refuse.
 */
export function problemOf(text: string, max: number): 'too-deep' | 'lone-surrogate' | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === QUOTE) inString = false;
      else if (char === BACKSLASH) {
        if (text.charCodeAt(i + 1) !== U) i++;
        else {
          const unit = hex4(text, i + 2);
          if (unit >= 0xd800 && unit <= 0xdbff) {
            // A high surrogate must be followed at once by an escaped low one.
            const next = text.charCodeAt(i + 6) === BACKSLASH && text.charCodeAt(i + 7) === U ? hex4(text, i + 8) : -1;
            if (next < 0xdc00 || next > 0xdfff) return 'lone-surrogate';
            i += 11;
          } else if (unit >= 0xdc00 && unit <= 0xdfff) return 'lone-surrogate';
          else i += 5;
        }
      }
    } else if (char === QUOTE) inString = true;
    else if (char === 0x5b || char === 0x7b) {
      if (++depth > max) return 'too-deep';
    } else if (char === 0x5d || char === 0x7d) depth--;
  }
  return undefined;
}

/** The four hex digits at `at` as a number, or -1 when they are not four hex digits. */
function hex4(text: string, at: number): number {
  let value = 0;
  for (let i = at; i < at + 4; i++) {
    const digit = hexDigit(text.charCodeAt(i));
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

function hexDigit(char: number): number {
  if (char >= 0x30 && char <= 0x39) return char - 0x30;
  const lower = char | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}
