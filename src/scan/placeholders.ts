/**
 * Whether a key-shaped string is a placeholder someone wrote in documentation or a template
 * (`pk_example…`, `pk_1234567890abcdef…`, `pk_xxxx…`, Klaviyo's own help-centre example) rather than
 * a key Klaviyo issued. Real keys are random: 34 lowercase hex characters carry no words, few
 * repeats and no long counting runs, so each rule below misfires on a real key with odds of about
 * one in a million or less.
 */

/** Examples printed in Klaviyo's own guides (`klaviyo.md` in the project's reference). */
const KNOWN_EXAMPLES = new Set([
  'pk_abc123def456ghi789jkl0mno123pqrst4',
  'pk_AbC123_0f1e2d3c4b5a69788796a5b4c3d2e1f0a9',
]);

// Lowercase and exact: in mixed-case text a word by chance is rarer still. None of these can appear
// in hex, where every real key in the wild lives.
const PLACEHOLDER_WORD =
  /example|sample|placeholder|your|dummy|fake|test|demo|xxxx|XXXX|redacted|changeme|insert|replace|private|secret|token|apikey/;

const MIN_DISTINCT_CHARACTERS = 7;
const MAX_REPEAT_PERIOD = 17;
/** Steps of a counting run (`123`, `abc`, `0f1e2d…` read every other character) that mark a made-up key. */
const MIN_COUNTING_STEPS = 14;

/** The reason a key looks made up, or undefined when it looks like a real key. */
export function placeholderReason(key: string): string | undefined {
  if (KNOWN_EXAMPLES.has(key)) return "Klaviyo's documentation example";
  const body = key.slice(key.lastIndexOf('_') + 1);
  if (PLACEHOLDER_WORD.test(body)) return 'contains a placeholder word';
  if (new Set(body).size < MIN_DISTINCT_CHARACTERS) return 'too few different characters';
  for (let period = 1; period <= MAX_REPEAT_PERIOD; period++) {
    if (body.slice(period) === body.slice(0, body.length - period)) return 'a repeated pattern';
  }
  if (countingSteps(body) >= MIN_COUNTING_STEPS) return 'counts up or down (123…, abc…)';
  return undefined;
}

/** The longest tally of neighbours (next or every other character) that count up, or down, by one. */
function countingSteps(body: string): number {
  const codes = [...body].map(digitValue);
  let best = 0;
  for (const stride of [1, 2]) {
    for (const direction of [1, -1]) {
      let steps = 0;
      for (let i = 0; i + stride < codes.length; i++) {
        if ((codes[i + stride] as number) - (codes[i] as number) === direction) steps++;
      }
      best = Math.max(best, steps);
    }
  }
  return best;
}

/** 0–9 then a–z, case aside: `89`, `9a` and `ab` each count one step. */
function digitValue(character: string): number {
  const code = character.toLowerCase().charCodeAt(0);
  return code <= 0x39 ? code - 0x30 : code - 0x61 + 10;
}
