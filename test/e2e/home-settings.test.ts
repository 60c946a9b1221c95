import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wordProblems } from '../slack/words.js';
import { type Harness, openHome, startHarness } from './harness.js';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness({
    env: { ALLOWED_USERS: 'U0ALICE,U0ADMIN' },
    slack: {
      users: [
        { id: 'U0ALICE', name: 'alice' },
        { id: 'U0ADMIN', name: 'ada', is_admin: true },
        { id: 'U0OWNER', name: 'olga', is_owner: true },
      ],
    },
  });
});

afterAll(async () => {
  await harness.close();
});

describe('App Home settings', () => {
  it('are shown to workspace admins and owners, with the variables that change them', async () => {
    for (const user of ['U0ADMIN', 'U0OWNER']) {
      const home = JSON.stringify(await openHome(harness, user));
      expect(home).toContain('home_settings');
      expect(home).toContain('`ALLOWED_USERS`');
      expect(home).toContain('`KEY_ENCRYPTION_KEY` is set');
    }
  });

  it('are not shown to anyone else, who reads no variable name at all', async () => {
    const home = await openHome(harness, 'U0ALICE');
    expect(JSON.stringify(home)).not.toContain('home_settings');
    expect(wordProblems(home, 'App Home of a member')).toEqual([]);
  });
});
