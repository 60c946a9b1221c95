import { type ChildProcess, spawn } from 'node:child_process';
import { waitUntil } from './harness.js';

/** The bot's start line: where it listens, in which mode, and the `.env` it read. */
export interface StartLine {
  msg: string;
  mode: 'http' | 'socket';
  port: number;
  envFile?: string;
}

/** The bot (or npm start) as its own process, the way an operator starts it. */
export interface BotProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the start line; fails at once if the process exits first. */
  started(): Promise<StartLine>;
  /** SIGTERM to it and what it started (npm's child); resolves with the exit status. */
  stop(): Promise<number | null>;
}

export function spawnBot(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): BotProcess {
  // Its own process group, so stop() reaches the bot under npm too.
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    started: () =>
      waitUntil(
        () => {
          if (child.exitCode !== null) throw new Error(`${command} exited ${child.exitCode}: ${output}`);
          return output
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as Partial<StartLine>)
            .find((record): record is StartLine => record.mode !== undefined);
        },
        `the start line of ${command} ${args.join(' ')}`,
      ),
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      return exited;
    },
  };
}
