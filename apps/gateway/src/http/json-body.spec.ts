import { problemOf } from './json-body';

/** The one pass over a body's text: nesting and lone surrogates, as JSON.parse would read the escapes. */
describe('problemOf', () => {
  it.each([
    [String.raw`{"a":"\ud83d\ude00"}`, undefined],
    [String.raw`{"a":"\uD83D\uDE00"}`, undefined],
    [String.raw`{"a":"\\ud800"}`, undefined],
    [String.raw`{"a":"\u00e9\n\"[{"}`, undefined],
    [String.raw`{"a":"\ud800"}`, 'lone-surrogate'],
    [String.raw`{"a":"\uDFFF"}`, 'lone-surrogate'],
    [String.raw`{"a":"\ud83d\u0041"}`, 'lone-surrogate'],
    [String.raw`{"a":"\ud83d\\ude00"}`, 'lone-surrogate'],
    [String.raw`{"\udc00":1}`, 'lone-surrogate'],
    [`${'['.repeat(3)}${']'.repeat(3)}`, undefined],
    [`${'['.repeat(4)}${']'.repeat(4)}`, 'too-deep'],
  ])('%s: %s', (text, problem) => {
    expect(problemOf(text, 3)).toBe(problem);
    // Whatever it lets through, JSON.parse reads as well-formed Unicode text.
    if (problem === undefined) expect(stringsOf(JSON.parse(text)).some((string) => /\p{Cs}/u.test(string))).toBe(false);
  });
});

function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => [key, ...stringsOf(item)]);
}
