/**
 * A count with its noun, in the singular for one: "1 page", "2 pages", "1,887 users". Every count the
 * app shows a person (Slack, App Home, the command line, the evidence) goes through here.
 */
export function plural(count: number, noun: string, many = `${noun}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? noun : many}`;
}
