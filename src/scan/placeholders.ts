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

/**
 * In a string no issued key could be, any case: `pk_YOUR_PRIVATE_KEY_HERE…` is as made up as
 * `pk_your…`. Only words that stand in for a key: `test`, `token` or `private` are as likely in
 * an identifier (`pk_…` also names database primary keys).
 */
const STAND_IN_WORD = /example|sample|placeholder|your|dummy|fake|xxxx|redacted|changeme|klaviyo|keyhere/i;
/** Other vendors' keys start with an environment or an id: `pk_live_…`, `pk_test_…`, ClickUp's `pk_1234567_…`. */
const OTHER_VENDOR_PREFIX = /^(?:live|test|prod|sandbox|dev|\d+)_/i;

const MIN_DISTINCT_CHARACTERS = 7;
const MAX_REPEAT_PERIOD = 17;
/** Steps of a counting run (`123`, `abc`, `0f1e2d…` read every other character) that mark a made-up key. */
const MIN_COUNTING_STEPS = 14;

/** The reason a key looks made up, or undefined when it looks like a real key. */
export function placeholderReason(key: string): string | undefined {
  if (KNOWN_EXAMPLES.has(key)) return "Klaviyo's documentation example";
  const body = key.slice(key.lastIndexOf('_') + 1);
  if (PLACEHOLDER_WORD.test(body)) return 'contains a placeholder word';
  return madeUpPattern(body);
}

/**
 * For a string in a key's place that no issued key could be (letters only, digits only, a body that
 * is not hex, underscores inside): the reason it is a placeholder, or undefined when it is only an
 * identifier that happens to start with `pk_` (`pk_someVeryLongCamelCaseName…`) or another vendor's key.
 */
export function standInReason(key: string, accountScoped: boolean): string | undefined {
  const body = key.slice(3);
  if (OTHER_VENDOR_PREFIX.test(body)) return undefined;
  if (STAND_IN_WORD.test(body)) return 'contains a placeholder word';
  return madeUpPattern(accountScoped ? body.slice(7) : body.replaceAll('_', ''));
}

function madeUpPattern(body: string): string | undefined {
  if (!hasDistinct(body, MIN_DISTINCT_CHARACTERS)) return 'too few different characters';
  const longestPeriod = Math.min(MAX_REPEAT_PERIOD, Math.floor(body.length / 2));
  for (let period = 1; period <= longestPeriod; period++) {
    if (repeatsWithPeriod(body, period)) return 'a repeated pattern';
  }
  if (countingSteps(body) >= MIN_COUNTING_STEPS) return 'counts up or down (123…, abc…)';
  return undefined;
}

// Character loops, not sets and slices: every `pk_…` identifier on a page comes through here.
function hasDistinct(body: string, wanted: number): boolean {
  const seen: number[] = [];
  for (let i = 0; i < body.length && seen.length < wanted; i++) {
    const c = body.charCodeAt(i);
    if (!seen.includes(c)) seen.push(c);
  }
  return seen.length >= wanted;
}

function repeatsWithPeriod(body: string, period: number): boolean {
  for (let i = period; i < body.length; i++) {
    if (body.charCodeAt(i) !== body.charCodeAt(i - period)) return false;
  }
  return true;
}

/** The longest tally of neighbours (next or every other character) that count up, or down, by one. */
function countingSteps(body: string): number {
  let best = 0;
  for (const stride of [1, 2]) {
    let up = 0;
    let down = 0;
    for (let i = 0; i + stride < body.length; i++) {
      const step = digitValue(body.charCodeAt(i + stride)) - digitValue(body.charCodeAt(i));
      if (step === 1) up++;
      else if (step === -1) down++;
    }
    best = Math.max(best, up, down);
  }
  return best;
}

/** 0–9 then a–z, case aside: `89`, `9a` and `ab` each count one step. */
function digitValue(code: number): number {
  const lower = code | 0x20;
  return code <= 0x39 ? code - 0x30 : lower - 0x61 + 10;
}
