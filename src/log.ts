import { scrubSecrets } from './scan/detector.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One JSON object per line. Every string that reaches the output, messages, fields, error messages
 * and stacks, goes through the key redactor first, so no code path can log a full private key.
 */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line),
  base: LogFields = {},
  now: () => Date = () => new Date(),
): Logger {
  const emit = (at: LogLevel, message: string, fields: LogFields = {}) => {
    if (ORDER[at] < ORDER[level]) return;
    const record = { time: now().toISOString(), level: at, msg: message, ...base, ...fields };
    write(`${scrubSecrets(JSON.stringify(record, replacer))}\n`);
  };
  return {
    debug: (message, fields) => emit('debug', message, fields),
    info: (message, fields) => emit('info', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    error: (message, fields) => emit('error', message, fields),
    child: (fields) => createLogger(level, write, { ...base, ...fields }, now),
  };
}

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: value.message,
      ...(code === undefined ? {} : { code }),
      ...(value.stack === undefined ? {} : { stack: value.stack.split('\n').slice(0, 8).join('\n') }),
    };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Adapts the logger to the interface Bolt and the Slack SDK expect, at the same level (given in the
 * caller's type: Bolt names its levels with an enum of the same words).
 */
export function boltLogger<Level extends string>(logger: Logger, level: Level) {
  const join = (parts: unknown[]) =>
    parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part, replacer))).join(' ');
  let name = 'bolt';
  return {
    debug: (...parts: unknown[]) => logger.debug(join(parts), { component: name }),
    info: (...parts: unknown[]) => logger.info(join(parts), { component: name }),
    warn: (...parts: unknown[]) => logger.warn(join(parts), { component: name }),
    error: (...parts: unknown[]) => logger.error(join(parts), { component: name }),
    setLevel: (_level: Level) => {},
    getLevel: () => level,
    setName: (next: string) => {
      name = next;
    },
  };
}
