import { describe, expect, test } from 'vitest';
import { describeRole, findRole, KLAVIYO_ROLES, normalizeRole } from '../../src/checklists/roles.js';
import {
  diffRosters,
  parseRoster,
  parseRosterDate,
  parseRosterParts,
  type RosterUser,
} from '../../src/checklists/roster.js';

// Midday UTC, so that "N hours ago" can land on the day before.
const TODAY = new Date('2026-06-15T12:00:00Z');

const JANE: RosterUser = {
  name: 'Jane Doe',
  email: 'jane@acme.com',
  role: 'Owner',
  dateAdded: '2024-03-01',
  lastLogin: '2026-06-12',
};
const BOB: RosterUser = {
  name: 'Bob Lee',
  email: 'bob@acme.com',
  role: 'Admin',
  dateAdded: '2025-01-15',
  lastLogin: null,
};
const CARLA: RosterUser = {
  name: 'Carla Ruiz',
  email: 'carla@agency.io',
  role: 'Campaign Coordinator',
  dateAdded: '2026-02-10',
  lastLogin: '2026-06-14',
};

describe('parseRoster: formats', () => {
  test.each([
    [
      'TSV copied from the Users page, with header',
      [
        'Name\tEmail\tRole\tDate added\tLast login',
        'Jane Doe\tjane@acme.com\tOwner\tMar 1, 2024\t3 days ago',
        'Bob Lee\tBOB@acme.com\tadmin\tJan 15, 2025\tNever',
        'Carla Ruiz\tcarla@agency.io\tcampaign coordinator\tFeb 10, 2026\tYesterday',
      ].join('\n'),
    ],
    [
      'TSV without header',
      [
        'Jane Doe\tjane@acme.com\tOwner\t2024-03-01\t2026-06-12',
        'Bob Lee\tbob@acme.com\tAdmin\t01/15/2025\t',
        'Carla Ruiz\tcarla@agency.io\tCampaign Coordinator\t10 Feb 2026\tYesterday',
      ].join('\n'),
    ],
    [
      'CSV with header in another column order, synonyms, quotes and CRLF',
      [
        'E-mail,Permission,"Full Name",Last sign in,Created',
        'jane@acme.com,Owner,"Jane Doe",2026-06-12,"Mar 1, 2024"',
        'bob@acme.com,ADMIN,Bob Lee,Never,2025-01-15',
        '"carla@agency.io","Campaign Coordinator","Carla Ruiz","Jun 14, 2026","Feb 10, 2026"',
        '',
      ].join('\r\n'),
    ],
    [
      'name, email, role lines with date added and last login (unquoted "Mar 1, 2024" too)',
      [
        'Jane Doe, jane@acme.com, Owner, Mar 1, 2024, Jun 12, 2026',
        'Bob Lee, bob@acme.com, Admin, 2025-01-15, never',
        'Carla Ruiz, carla@agency.io, Campaign Coordinator, 02/10/2026, 1 day ago',
      ].join('\n'),
    ],
    [
      'TSV with a header, some users split over two lines (name, then email and the rest)',
      [
        'Name\tEmail\tRole\tDate added\tLast login',
        'Jane Doe',
        'jane@acme.com\tOwner\tMar 1, 2024\t3 days ago',
        'Bob Lee\tbob@acme.com\tAdmin\tJan 15, 2025\tNever',
        'Carla Ruiz',
        'carla@agency.io\tCampaign Coordinator\tFeb 10, 2026\tYesterday',
      ].join('\n'),
    ],
  ])('%s', (_label, text) => {
    const result = parseRoster(text, TODAY);
    expect(result.unreadable).toEqual([]);
    expect(result.duplicates).toEqual([]);
    expect(result.users).toEqual([JANE, BOB, CARLA]);
  });

  test('name, email, role lines without dates leave dates unknown (not "never logged in")', () => {
    const result = parseRoster('Jane Doe, jane@acme.com, Owner\nBob Lee,bob@acme.com,Manager\n', TODAY);
    expect(result.users).toEqual([
      { name: 'Jane Doe', email: 'jane@acme.com', role: 'Owner' },
      { name: 'Bob Lee', email: 'bob@acme.com', role: 'Manager' },
    ]);
    expect(result.users[0]).not.toHaveProperty('lastLogin');
  });

  test('name, email, role lines with date added only', () => {
    const result = parseRoster('Jane Doe, jane@acme.com, Owner, 2024-03-01', TODAY);
    expect(result.users).toEqual([
      { name: 'Jane Doe', email: 'jane@acme.com', role: 'Owner', dateAdded: '2024-03-01' },
    ]);
  });

  test('CSV: commas, escaped quotes and a line break inside quoted fields', () => {
    const text = [
      'name,email,role',
      '"Doe, Jane ""JD""",jane@acme.com,Owner',
      '"Bob',
      'Lee",bob@acme.com,"Admin"',
    ].join('\r\n');
    const result = parseRoster(text, TODAY);
    expect(result.unreadable).toEqual([]);
    expect(result.users.map((user) => user.name)).toEqual(['Doe, Jane "JD"', 'Bob\nLee']);
  });

  test('an unbalanced quote does not swallow the lines after it', () => {
    const text = 'Jane "JD\tjane@acme.com\tOwner\n"Bob\tbob@acme.com\tAdmin\nCarla\tcarla@agency.io\tSupport';
    const result = parseRoster(text, TODAY);
    expect(result.users.map((user) => user.email)).toEqual([
      'jane@acme.com',
      'bob@acme.com',
      'carla@agency.io',
    ]);
    expect(result.users[1]?.name).toBe('"Bob');
  });

  test('Name <email> cells and an email repeated as the name', () => {
    const text = 'Jane Doe <JANE@acme.com>\tOwner\nbob@acme.com\tbob@acme.com\tAdmin';
    expect(parseRoster(text, TODAY).users).toEqual([
      { name: 'Jane Doe', email: 'jane@acme.com', role: 'Owner' },
      { name: '', email: 'bob@acme.com', role: 'Admin' },
    ]);
  });

  test('a BOM and Mac line ends are tolerated', () => {
    const result = parseRoster('\uFEFFname,email,role\rJane,jane@acme.com,Owner\r', TODAY);
    expect(result.users).toEqual([{ name: 'Jane', email: 'jane@acme.com', role: 'Owner' }]);
  });

  test.each([
    ['Name', 'name'],
    ['Full name', 'name'],
    ['User', 'name'],
    ['EMAIL', 'email'],
    ['E-mail', 'email'],
    ['Email address', 'email'],
    ['Role', 'role'],
    ['Permission', 'role'],
    ['Date added', 'dateAdded'],
    ['Added', 'dateAdded'],
    ['Created', 'dateAdded'],
    ['Last login', 'lastLogin'],
    ['Last active', 'lastLogin'],
    ['Last sign-in', 'lastLogin'],
    ['LAST SIGN IN', 'lastLogin'],
  ])('header %j is read as %s', (header, column) => {
    const columns = ['name', 'email', 'role', 'dateAdded', 'lastLogin'];
    const headers = ['Name', 'Email', 'Role', 'Date added', 'Last login'].map((name, i) =>
      columns[i] === column ? header : name,
    );
    const row = 'Jane Doe,jane@acme.com,Admin,2024-03-01,2026-06-01';
    // Header order shuffled so that position alone cannot explain the result.
    const order = [4, 2, 0, 3, 1];
    const text = `${order.map((i) => headers[i]).join(',')}\n${order.map((i) => row.split(',')[i]).join(',')}`;
    expect(parseRoster(text, TODAY).users).toEqual([
      {
        name: 'Jane Doe',
        email: 'jane@acme.com',
        role: 'Admin',
        dateAdded: '2024-03-01',
        lastLogin: '2026-06-01',
      },
    ]);
  });

  test('first name and last name columns make the name', () => {
    const result = parseRoster('First name,Last name,Email,Role\nJane,Doe,jane@acme.com,Owner', TODAY);
    expect(result.users[0]?.name).toBe('Jane Doe');
  });
});

describe('parseRoster: rows shifted against the header', () => {
  test("a row with an extra leading cell (an avatar's initials) is read by where its email sits", () => {
    const text =
      'Name\tEmail\tRole\tDate added\tLast login\nJD\tJane Doe\tjane@acme.com\tOwner\t2024-03-01\t2026-06-12';
    expect(parseRoster(text, TODAY)).toEqual({ users: [JANE], unreadable: [], duplicates: [] });
  });

  test('a row missing a cell other than the name is reported, not read with the wrong role', () => {
    const text = 'Name\tRole\tEmail\tLast login\nJane\tjane@acme.com\t2026-01-10';
    expect(parseRoster(text, TODAY).users).toEqual([]);
  });

  test('a row shifted by more than two columns is reported, not guessed', () => {
    const text = 'Name\tEmail\tRole\na\tb\tc\td\tjane@acme.com\tOwner';
    expect(parseRoster(text, TODAY).unreadable.map((line) => line.reason)).toEqual([
      'the email address is not in the Email column of the header',
    ]);
  });
});

describe('parseRosterParts', () => {
  test('a header in the first part applies to the rest, and duplicates are found across parts', () => {
    const parts = [
      'Email\tRole\tName\tLast login\njane@acme.com\tOwner\tJane Doe\t2026-06-12',
      'bob@acme.com\tAdmin\tBob Lee\tNever\n',
      'Pending invites\ncarla@agency.io\tSupport\tCarla Ruiz\t\njane@acme.com\tOwner\tJane Doe\t2026-06-12',
    ];
    const result = parseRosterParts(parts, TODAY);
    expect(result.users).toEqual([
      { name: 'Jane Doe', email: 'jane@acme.com', role: 'Owner', lastLogin: '2026-06-12' },
      { name: 'Bob Lee', email: 'bob@acme.com', role: 'Admin', lastLogin: null },
      { name: 'Carla Ruiz', email: 'carla@agency.io', role: 'Support', lastLogin: null },
    ]);
    expect(result.duplicates).toEqual(['jane@acme.com']);
    expect(result.unreadable).toEqual([
      { part: 3, line: 1, text: 'Pending invites', reason: 'no email address' },
    ]);
  });

  test('the same header repeated at the top of every part is skipped', () => {
    const header = 'name,email,role';
    const result = parseRosterParts(
      [`${header}\nJane,jane@acme.com,Owner`, `${header}\nBob,bob@acme.com,Admin`],
      TODAY,
    );
    expect(result.users.map((user) => user.email)).toEqual(['jane@acme.com', 'bob@acme.com']);
    expect(result.unreadable).toEqual([]);
  });
});

describe('parseRoster: noise, unreadable lines and duplicates', () => {
  const page = [
    'Users', // 1
    'Invite user', // 2
    '', // 3
    'Name\tEmail\tRole\tDate added\tLast login', // 4
    'Jane Doe\tjane@acme.com\tOwner\tMar 1, 2024\t3 days ago', // 5
    'Edit\tRemove', // 6
    'Bob Lee\tbob@acme.com\t\tJan 15, 2025\tNever', // 7: no role
    'Dana Fox\tdana@acme.com\tAnalyst\tsoon\tNever', // 8: bad date added
    'Eve Ng\teve@acme\tAnalyst\t2025-01-01\tNever', // 9: not an email
    'Finn Roe\tfinn@acme.com\tAnalyst\t2025-01-01\tlast Tuesday', // 10: bad last login
    'Pending invites', // 11
    'gil@acme.com\tManager\tJun 1, 2026\t', // 12: an invite, read as a user
    'Resend invite', // 13
    'JANE@acme.com\tOwner\tMar 1, 2024\t3 days ago', // 14: duplicate
    'Hana Ito', // 15: a name followed by a blank line
    '', // 16
  ].join('\n');

  const result = parseRoster(page, TODAY);

  test('users that can be read are read', () => {
    expect(result.users.map((user) => user.email)).toEqual(['jane@acme.com', 'gil@acme.com']);
    expect(result.users[1]).toEqual({
      name: '',
      email: 'gil@acme.com',
      role: 'Manager',
      dateAdded: '2026-06-01',
      lastLogin: null,
    });
  });

  test.each([
    [1, 'Users', 'no email address'],
    [2, 'Invite user', 'no email address'],
    [6, 'Edit\tRemove', 'no email address'],
    [7, 'Bob Lee\tbob@acme.com\t\tJan 15, 2025\tNever', 'no role'],
    [8, 'Dana Fox\tdana@acme.com\tAnalyst\tsoon\tNever', 'date added "soon" is not a date'],
    [9, 'Eve Ng\teve@acme\tAnalyst\t2025-01-01\tNever', 'no email address'],
    [
      10,
      'Finn Roe\tfinn@acme.com\tAnalyst\t2025-01-01\tlast Tuesday',
      'last login "last Tuesday" is not a date',
    ],
    [11, 'Pending invites', 'no email address'],
    [13, 'Resend invite', 'no email address'],
    [15, 'Hana Ito', 'no email address'],
  ])('line %i is reported as unreadable', (line, text, reason) => {
    expect(result.unreadable).toContainEqual({ line, text, reason });
  });

  test('exactly those lines are reported, in order', () => {
    expect(result.unreadable.map((entry) => entry.line)).toEqual([1, 2, 6, 7, 8, 9, 10, 11, 13, 15]);
  });

  test('duplicates keep the first occurrence', () => {
    expect(result.duplicates).toEqual(['jane@acme.com']);
    expect(result.users.filter((user) => user.email === 'jane@acme.com')).toHaveLength(1);
  });

  test('"Pending invites" is never taken for the name of the next user', () => {
    expect(result.users.find((user) => user.email === 'gil@acme.com')?.name).toBe('');
  });

  test('a role cell holding a date is not taken for a custom role', () => {
    const row = parseRoster('Jane Doe\tjane@acme.com\tMar 1, 2024\t3 days ago', TODAY);
    expect(row.users).toEqual([]);
    expect(row.unreadable[0]?.reason).toMatch(/^no role/);
  });

  test('unreadable text is cut to 200 characters', () => {
    const long = `Some very long banner ${'x'.repeat(500)}`;
    const entry = parseRoster(long, TODAY).unreadable[0];
    expect(entry?.text).toHaveLength(200);
    expect(entry?.text).toBe(long.slice(0, 200));
  });

  test('empty input gives nothing', () => {
    expect(parseRoster('\n\n  \n', TODAY)).toEqual({ users: [], unreadable: [], duplicates: [] });
  });
});

describe('parseRosterDate', () => {
  test.each([
    ['2026-03-01', '2026-03-01'],
    ['2026-03-01T23:10:00Z', '2026-03-01'],
    ['2026-03-01 08:00', '2026-03-01'],
    ['Mar 1, 2026', '2026-03-01'],
    ['March 1, 2026', '2026-03-01'],
    ['mar. 1 2026', '2026-03-01'],
    ['Sept 30, 2025', '2025-09-30'],
    ['Mar 1st, 2026', '2026-03-01'],
    ['Mar 1, 2026 at 3:45 PM', '2026-03-01'],
    ['Mar 1, 2026, 10:15 am UTC', '2026-03-01'],
    ['Sunday, Mar 1, 2026', '2026-03-01'],
    ['1 Mar 2026', '2026-03-01'],
    ['1 March 2026', '2026-03-01'],
    ['1st March, 2026', '2026-03-01'],
    ['03/01/2026', '2026-03-01'],
    ['3/1/2026', '2026-03-01'],
    ['3/1/26', '2026-03-01'],
    ['12/31/2025 11:59 PM', '2025-12-31'],
    ['2026/03/01', '2026-03-01'],
    ['Feb 29, 2024', '2024-02-29'],
    ['Mar 1', '2026-03-01'],
    ['Dec 1', '2025-12-01'],
    ['Today', '2026-06-15'],
    ['today at 9:12 AM', '2026-06-15'],
    ['Just now', '2026-06-15'],
    ['Yesterday', '2026-06-14'],
    ['3 days ago', '2026-06-12'],
    ['1 day ago', '2026-06-14'],
    ['a day ago', '2026-06-14'],
    ['2 weeks ago', '2026-06-01'],
    ['5 hours ago', '2026-06-15'],
    ['13 hours ago', '2026-06-14'],
    ['an hour ago', '2026-06-15'],
    ['about a month ago', '2026-05-15'],
    ['4 months ago', '2026-02-15'],
    ['over 1 year ago', '2025-06-15'],
    ['2 years ago', '2024-06-15'],
    ['Never', null],
    ['never', null],
    ['', null],
    ['  ', null],
    ['\u2014', null],
    ['-', null],
    ['N/A', null],
    ['13/01/2026', undefined],
    ['02/30/2026', undefined],
    ['Feb 29, 2026', undefined],
    ['2026-13-01', undefined],
    ['Smarch 1, 2026', undefined],
    ['3 fortnights ago', undefined],
    ['soon', undefined],
    ['last Tuesday', undefined],
  ])('%j is %j', (text, expected) => {
    expect(parseRosterDate(text, TODAY)).toBe(expected);
  });

  test('"1 month ago" on March 31 is the last day of February', () => {
    expect(parseRosterDate('1 month ago', new Date('2026-03-31T10:00:00Z'))).toBe('2026-02-28');
  });

  test.each([
    ['Mar 1, 2026', '2026-03-01'],
    ['3 days ago', '2026-06-12'],
    ['Never', null],
    ['', null],
  ])('last login %j in a roster is %j', (cell, expected) => {
    const user = parseRoster(`Jane\tjane@acme.com\tOwner\t2024-01-01\t${cell}`, TODAY).users[0];
    expect(user?.lastLogin).toBe(expected);
  });
});

describe('roles', () => {
  test.each([
    ['owner', 'Owner'],
    ['ADMIN', 'Admin'],
    ['Manager', 'Manager'],
    ['analyst', 'Analyst'],
    ['campaign coordinator', 'Campaign Coordinator'],
    ['Campaign  Coordinator', 'Campaign Coordinator'],
    ['campaign_coordinator', 'Campaign Coordinator'],
    ['content creator', 'Content Creator'],
    ['Content-Creator', 'Content Creator'],
    ['support', 'Support'],
    ['Email  Reviewer', 'Email Reviewer'],
    ['Agency (read only)', 'Agency (read only)'],
  ])('%j is the role %j', (raw, role) => {
    expect(normalizeRole(raw)).toBe(role);
    expect(parseRoster(`Jane\tjane@acme.com\t${raw}`, TODAY).users[0]?.role).toBe(role);
  });

  test('every built-in role has a reminder; custom roles point at their permission sets', () => {
    expect(KLAVIYO_ROLES.map((role) => role.name)).toEqual([
      'Owner',
      'Admin',
      'Manager',
      'Analyst',
      'Campaign Coordinator',
      'Content Creator',
      'Support',
    ]);
    for (const role of KLAVIYO_ROLES) expect(describeRole(role.name.toUpperCase())).toBe(role.reminder);
    expect(describeRole('admin')).toBe('Full access; adds and deletes users; creates private API keys');
    expect(describeRole('Email Reviewer')).toBe('Custom role: check its permission sets');
  });

  test.each([
    ['Owner', true, true],
    ['Admin', true, true],
    ['Manager', false, true],
    ['Analyst', false, false],
    ['Campaign Coordinator', false, false],
    ['Content Creator', false, false],
    ['Support', false, false],
  ])('%s: manages users %s, manages private keys %s', (name, users, keys) => {
    expect(findRole(name)).toMatchObject({ canManageUsers: users, canManagePrivateKeys: keys });
  });
});

describe('diffRosters', () => {
  test('added, removed and role changed, keyed by lowercase email', () => {
    const previous: RosterUser[] = [
      JANE,
      BOB,
      { name: 'Old Timer', email: 'old@acme.com', role: 'Manager' },
      { ...CARLA, email: 'Carla@Agency.io' },
    ];
    const current: RosterUser[] = [
      JANE,
      { ...BOB, role: 'Manager' },
      { ...CARLA, role: 'campaign coordinator' },
      { name: 'New Hire', email: 'new@acme.com', role: 'Analyst' },
    ];
    const diff = diffRosters(previous, current);
    expect(diff.added.map((user) => user.email)).toEqual(['new@acme.com']);
    expect(diff.removed.map((user) => user.email)).toEqual(['old@acme.com']);
    expect(diff.roleChanged).toEqual([{ user: { ...BOB, role: 'Manager' }, from: 'Admin', to: 'Manager' }]);
  });

  test('identical rosters have no differences', () => {
    expect(diffRosters([JANE, BOB], [BOB, JANE])).toEqual({ added: [], removed: [], roleChanged: [] });
  });
});
