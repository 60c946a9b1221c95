/**
 * A global pattern's matches, found from places a match must start instead of by the pattern's own
 * search. Irregexp tries a pattern that begins with `\b[\w$]{1,40}` or a common letter at nearly
 * every position; a literal each match contains (`.e(`, `src`, `account`) is found by indexOf at a
 * fraction of that. `sticky` is the pattern with the `y` flag; `starts`, in ascending order, must
 * include every position where a match can begin (more is fine). The matches are the ones the global
 * search would find: leftmost first, none overlapping the one before.
 */
export function forEachMatchAt(
  sticky: RegExp,
  text: string,
  starts: readonly number[],
  visit: (match: RegExpExecArray) => void,
): void {
  let end = 0;
  let tried = -1;
  for (const start of starts) {
    if (start < end || start === tried) continue;
    tried = start;
    sticky.lastIndex = start;
    const match = sticky.exec(text);
    if (match === null) continue;
    end = start + match[0].length;
    visit(match);
  }
}

/** Every position of `literal` in `text`, ascending. */
export function positionsOf(text: string, literal: string): number[] {
  const positions: number[] = [];
  for (let i = text.indexOf(literal); i !== -1; i = text.indexOf(literal, i + 1)) positions.push(i);
  return positions;
}
