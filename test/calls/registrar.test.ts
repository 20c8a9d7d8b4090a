import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DigestAuthenticator } from '../../src/calls/digest/index.ts';
import type { DigestCredentials, RegistrationBinding } from '../../src/calls/ports/index.ts';
import {
  parseContactList,
  Registrar,
  splitHeaderList,
  uriUser,
} from '../../src/calls/registrar/index.ts';
import { type Algo, authorization, challengeParam, ha1 } from './digest-client.ts';
import { PgliteRegistrationStore } from './support/pglite-registrations.ts';
import { RecordingResponse, request } from './support/srf-standins.ts';

const realm = 'acd.local';
const passwords: Record<string, string> = { '1001': 'secret-1001', '1002': 'secret-1002' };
const credentials = {
  getCredentials: async (user: string): Promise<DigestCredentials | null> =>
    user in passwords
      ? {
          agentId: `agent-${user}`,
          sipUsername: user,
          ha1Md5: ha1('MD5', user, realm, passwords[user] as string),
          ha1Sha256: ha1('SHA-256', user, realm, passwords[user] as string),
        }
      : null,
};

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

// One embedded database for the file (starting PGlite takes a second or two);
// emptied before each test. Tests that close or restart it open their own.
let shared: PgliteRegistrationStore;
beforeAll(async () => {
  shared = await PgliteRegistrationStore.open();
});
afterAll(async () => {
  await shared.close();
});

interface Setup {
  registrar: Registrar;
  store: PgliteRegistrationStore;
  changes: [string, RegistrationBinding[]][];
  refreshed: string[][];
  advance(ms: number): void;
  now(): number;
}

async function setup(
  opts: { dataDir?: string; store?: PgliteRegistrationStore; start?: number; ownDb?: boolean } = {},
): Promise<Setup> {
  let now = opts.start ?? 1_700_000_000_000;
  let store: PgliteRegistrationStore;
  if (opts.store) {
    store = opts.store;
  } else if (opts.dataDir || opts.ownDb) {
    const own = await PgliteRegistrationStore.open(opts.dataDir);
    cleanups.push(() => own.close());
    store = own;
  } else {
    store = shared;
    await store.clear();
  }
  const changes: [string, RegistrationBinding[]][] = [];
  const refreshed: string[][] = [];
  const registrar = new Registrar({
    authenticator: new DigestAuthenticator({
      realm,
      // Both algorithms, SHA-256 first (the default offers MD5 alone).
      algorithms: ['SHA-256', 'MD5'],
      credentials,
      now: () => now,
      nonceTtlMs: 600_000,
    }),
    store,
    minExpiresS: 60,
    maxExpiresS: 3600,
    maxContactsPerAgent: 3,
    now: () => now,
    onBindingsChanged: (agent, bindings, fresh) => {
      changes.push([agent, bindings]);
      refreshed.push(fresh);
    },
  });
  cleanups.push(() => registrar.close());
  return {
    registrar,
    store,
    changes,
    refreshed,
    advance: (ms) => {
      now += ms;
    },
    now: () => now,
  };
}

/** A softphone: answers the challenge, counts its CSeq and nonce count like a real UA. */
class Phone {
  cseq = 0;
  nc = 0;
  nonce: string | null = null;
  constructor(
    readonly registrar: Registrar,
    readonly user: string,
    readonly password = passwords[user] as string,
    readonly callId = `call-${user}-${Math.random()}`,
    readonly algo: Algo = 'SHA-256',
  ) {}

  async send(
    headers: Record<string, string>,
    extra: { sourcePort?: number; toUser?: string } = {},
  ) {
    this.cseq++;
    const base: Record<string, string> = {
      To: `<sip:${extra.toUser ?? this.user}@${realm}>`,
      From: `<sip:${this.user}@${realm}>;tag=ft${this.cseq}`,
      'Call-ID': this.callId,
      CSeq: `${this.cseq} REGISTER`,
      'User-Agent': 'TestPhone/1.0',
      ...headers,
    };
    if (this.nonce) {
      this.nc++;
      base.Authorization = authorization({
        algo: this.algo,
        user: this.user,
        realm,
        password: this.password,
        nonce: this.nonce,
        method: 'REGISTER',
        uri: 'sip:acd.local',
        nc: this.nc,
      });
    }
    const res = new RecordingResponse();
    await this.registrar.handle(
      request({ headers: base, sourcePort: extra.sourcePort ?? 5062 }),
      res,
    );
    return res.final;
  }

  /** Sends, and when challenged takes the nonce and sends again (as phones do). */
  async register(
    headers: Record<string, string>,
    extra: { sourcePort?: number; toUser?: string } = {},
  ) {
    let reply = await this.send(headers, extra);
    if (reply.status === 401) {
      const challenges = reply.headers['WWW-Authenticate']?.split('\r\nWWW-Authenticate: ') ?? [];
      const ours = challenges.find((c) => c.includes(`algorithm=${this.algo}`)) as string;
      this.nonce = challengeParam(ours, 'nonce') as string;
      this.nc = 0;
      reply = await this.send(headers, extra);
    }
    return reply;
  }
}

function contactsOf(reply: { headers: Record<string, string> }): Map<string, number> {
  const parsed = parseContactList(reply.headers.Contact ?? '');
  if (parsed === '*') throw new Error('unexpected *');
  return new Map(parsed.map((c) => [c.uri, Number(c.params.get('expires'))]));
}

describe('Contact parsing', () => {
  it('splits at commas outside quotes and angle brackets', () => {
    expect(splitHeaderList('"a, b" <sip:x@y>;q=0.5, <sip:z@w;lr>, sip:v@u')).toEqual([
      '"a, b" <sip:x@y>;q=0.5',
      '<sip:z@w;lr>',
      'sip:v@u',
    ]);
  });

  it('reads header parameters and keeps URI parameters inside <>', () => {
    const list = parseContactList(
      '<sip:1001@10.0.0.5:5062;transport=tcp>;expires=120;+sip.instance="<urn:uuid:1>"',
    );
    expect(list).not.toBe('*');
    if (list === '*') return;
    expect(list[0]?.uri).toBe('sip:1001@10.0.0.5:5062;transport=tcp');
    expect(list[0]?.params.get('expires')).toBe('120');
    expect(list[0]?.params.get('+sip.instance')).toBe('<urn:uuid:1>');
  });

  it('treats everything after ; in an addr-spec as header parameters (RFC 3261 §20.10)', () => {
    const list = parseContactList('sip:1001@10.0.0.5;expires=0');
    if (list === '*') throw new Error('unexpected *');
    expect(list[0]?.uri).toBe('sip:1001@10.0.0.5');
    expect(list[0]?.params.get('expires')).toBe('0');
  });

  it('refuses garbage and * mixed with contacts', () => {
    expect(() => parseContactList('<sip:a@b')).toThrow();
    expect(() => parseContactList('*, <sip:a@b>')).toThrow();
    expect(() => parseContactList('hello')).toThrow();
  });

  it('reads the user of a SIP URI', () => {
    expect(uriUser('sip:1001@acd.local')).toBe('1001');
    expect(uriUser('sips:al%69ce:pw@acd.local;transport=tls')).toBe('alice');
    expect(uriUser('sip:acd.local')).toBeNull();
  });
});

describe('Registrar (driven through srf-shaped stand-ins)', () => {
  it('challenges an unauthenticated REGISTER with a SHA-256 and an MD5 WWW-Authenticate', async () => {
    const { registrar, store } = await setup();
    const res = new RecordingResponse();
    await registrar.handle(
      request({
        headers: {
          To: '<sip:1001@acd.local>',
          'Call-ID': 'c',
          CSeq: '1 REGISTER',
          Contact: '<sip:1001@10.0.0.5>',
        },
      }),
      res,
    );
    expect(res.final.status).toBe(401);
    const lines = (res.final.headers['WWW-Authenticate'] as string).split('\r\nWWW-Authenticate: ');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^Digest realm="acd.local", nonce="[^"]+", algorithm=SHA-256, qop="auth"$/,
    );
    expect(lines[1]).toMatch(/algorithm=MD5/);
    expect(await store.count()).toBe(0);
  });

  it.each(['SHA-256', 'MD5'] as const)(
    'registers a contact after a %s digest and stores source and User-Agent',
    async (algo) => {
      const { registrar, store, changes, now } = await setup();
      const phone = new Phone(registrar, '1001', undefined, undefined, algo);
      const reply = await phone.register(
        { Contact: '<sip:1001@10.0.0.5:5062>', Expires: '600' },
        { sourcePort: 41000 },
      );
      expect(reply.status).toBe(200);
      expect(contactsOf(reply)).toEqual(new Map([['sip:1001@10.0.0.5:5062', 600]]));
      const [b] = await store.listForAgent('agent-1001');
      expect(b).toMatchObject({
        contactUri: 'sip:1001@10.0.0.5:5062',
        expiresAt: now() + 600_000,
        sourceAddress: '192.0.2.10',
        sourcePort: 41000,
        transport: 'udp',
        userAgent: 'TestPhone/1.0',
      });
      expect(changes.at(-1)?.[0]).toBe('agent-1001');
      expect(changes.at(-1)?.[1]).toHaveLength(1);
    },
  );

  it('refuses a wrong password and an unknown user with 403', async () => {
    const { registrar, store } = await setup();
    expect(
      (await new Phone(registrar, '1001', 'wrong').register({ Contact: '<sip:1001@h>' })).status,
    ).toBe(403);
    expect(
      (await new Phone(registrar, '9999', 'x').register({ Contact: '<sip:9999@h>' })).status,
    ).toBe(403);
    expect(await store.count()).toBe(0);
  });

  it('refuses an account registering another user (To mismatch) with 403', async () => {
    const { registrar, store } = await setup();
    const reply = await new Phone(registrar, '1001').register(
      { Contact: '<sip:1002@h>' },
      { toUser: '1002' },
    );
    expect(reply.status).toBe(403);
    expect(await store.count()).toBe(0);
  });

  it('answers 423 with Min-Expires below the minimum and shortens to the maximum', async () => {
    const { registrar } = await setup();
    const phone = new Phone(registrar, '1001');
    const brief = await phone.register({ Contact: '<sip:1001@h>', Expires: '30' });
    expect(brief.status).toBe(423);
    expect(brief.headers['Min-Expires']).toBe('60');
    const long = await phone.register({ Contact: '<sip:1001@h>;expires=99999' });
    expect(long.status).toBe(200);
    expect(contactsOf(long).get('sip:1001@h')).toBe(3600);
    const none = await phone.register({ Contact: '<sip:1001@h>' });
    expect(contactsOf(none).get('sip:1001@h')).toBe(3600);
  });

  it('keeps several devices per agent and lists them all with their remaining time', async () => {
    const { registrar, advance } = await setup();
    const desk = new Phone(registrar, '1001');
    const laptop = new Phone(registrar, '1001');
    await desk.register({ Contact: '<sip:1001@10.0.0.5>', Expires: '600' });
    advance(100_000);
    const reply = await laptop.register({ Contact: '<sip:1001@10.0.0.6>', Expires: '300' });
    expect(contactsOf(reply)).toEqual(
      new Map([
        ['sip:1001@10.0.0.5', 500],
        ['sip:1001@10.0.0.6', 300],
      ]),
    );
    expect(await registrar.bindings('agent-1001')).toHaveLength(2);
  });

  it('removes one contact with expires=0 and all of them with Contact: * and Expires: 0', async () => {
    const { registrar, store, changes } = await setup();
    const phone = new Phone(registrar, '1001');
    await phone.register({ Contact: '<sip:1001@a>, <sip:1001@b>, <sip:1001@c>', Expires: '600' });
    const one = await phone.register({ Contact: '<sip:1001@b>;expires=0' });
    expect([...contactsOf(one).keys()].sort()).toEqual(['sip:1001@a', 'sip:1001@c']);
    const all = await phone.register({ Contact: '*', Expires: '0' });
    expect(all.status).toBe(200);
    expect(all.headers.Contact).toBeUndefined();
    expect(await store.count()).toBe(0);
    expect(changes.at(-1)).toEqual(['agent-1001', []]);
  });

  it('refuses a contact URI longer than 512 characters', async () => {
    const { registrar, store } = await setup();
    const reply = await new Phone(registrar, '1001').register({
      Contact: `<sip:1001@${'h'.repeat(600)}>`,
    });
    expect(reply.status).toBe(400);
    expect(await store.count()).toBe(0);
  });

  it('answers 420 with Unsupported to a REGISTER that requires an extension', async () => {
    const { registrar, store } = await setup();
    const reply = await new Phone(registrar, '1001').register({
      Contact: '<sip:1001@a>',
      Require: 'path, outbound',
    });
    expect(reply.status).toBe(420);
    expect(reply.headers.Unsupported).toBe('path, outbound');
    expect(await store.count()).toBe(0);
  });

  it('adds an Expires header with the granted time when one contact was registered', async () => {
    const { registrar } = await setup();
    const phone = new Phone(registrar, '1001');
    expect(
      (await phone.register({ Contact: '<sip:1001@a>', Expires: '7200' })).headers.Expires,
    ).toBe('3600');
    const two = await phone.register({ Contact: '<sip:1001@a>, <sip:1001@b>', Expires: '600' });
    expect(two.headers.Expires).toBeUndefined();
  });

  it('refuses Contact: * without Expires: 0', async () => {
    const { registrar } = await setup();
    expect(
      (await new Phone(registrar, '1001').register({ Contact: '*', Expires: '60' })).status,
    ).toBe(400);
  });

  it('answers a query (no Contact) with the bindings and changes nothing', async () => {
    const { registrar, store } = await setup();
    const phone = new Phone(registrar, '1001');
    await phone.register({ Contact: '<sip:1001@a>', Expires: '600' });
    const q = await phone.register({});
    expect([...contactsOf(q).keys()]).toEqual(['sip:1001@a']);
    expect(await store.count()).toBe(1);
  });

  it('refuses an older CSeq within the same Call-ID (RFC 3261 §10.3 step 7)', async () => {
    const { registrar } = await setup();
    const phone = new Phone(registrar, '1001');
    await phone.register({ Contact: '<sip:1001@a>', Expires: '600' });
    phone.cseq -= 2;
    expect((await phone.send({ Contact: '<sip:1001@a>', Expires: '0' })).status).toBe(500);
    expect(await registrar.bindings('agent-1001')).toHaveLength(1);
  });

  it('holds at most maxContactsPerAgent bindings, dropping the least recently refreshed', async () => {
    const { registrar, advance } = await setup();
    for (const host of ['a', 'b', 'c', 'd']) {
      await new Phone(registrar, '1001').register({
        Contact: `<sip:1001@${host}>`,
        Expires: '600',
      });
      advance(1000);
    }
    const uris = (await registrar.bindings('agent-1001')).map((b) => b.contactUri).sort();
    expect(uris).toEqual(['sip:1001@b', 'sip:1001@c', 'sip:1001@d']);
  });

  it('serialises concurrent REGISTERs of one agent so none is lost', async () => {
    const { registrar } = await setup();
    const phones = ['a', 'b', 'c'].map(() => new Phone(registrar, '1001'));
    // Each phone gets its nonce first, then all three send at once.
    await Promise.all(phones.map((p) => p.register({})));
    const replies = await Promise.all(
      phones.map((p, i) => p.send({ Contact: `<sip:1001@h${i}>`, Expires: '600' })),
    );
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await registrar.bindings('agent-1001')).toHaveLength(3);
  });

  it('purges expired bindings on its timer and tells the listener', async () => {
    const { registrar, store, changes, advance } = await setup();
    await new Phone(registrar, '1001').register({ Contact: '<sip:1001@a>', Expires: '60' });
    await new Phone(registrar, '1002').register({ Contact: '<sip:1002@a>', Expires: '600' });
    advance(61_000);
    expect(await registrar.bindings('agent-1001')).toHaveLength(0); // expired, not yet purged
    expect(await store.count()).toBe(2);
    await registrar.purgeNow();
    expect(await store.count()).toBe(1);
    expect(changes.at(-1)).toEqual(['agent-1001', []]);
  });

  it('starts one purge timer and releases it exactly once on close', async () => {
    const { registrar } = await setup();
    registrar.start();
    registrar.start();
    expect(registrar.timerActive).toBe(true);
    await registrar.close();
    expect(registrar.timerActive).toBe(false);
    await registrar.close();
    expect(() => registrar.start()).toThrow(/closed/);
  });

  it('keeps bindings across a restart of the registrar and the database', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'acd-reg-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = await setup({ dataDir: dir });
    await new Phone(first.registrar, '1001').register({
      Contact: '<sip:1001@10.0.0.5>',
      Expires: '600',
    });
    await first.registrar.close();
    await first.store.close();

    const store = await PgliteRegistrationStore.open(dir);
    cleanups.push(() => store.close());
    const second = await setup({ store, start: first.now() + 10_000 });
    const bindings = await second.registrar.bindings('agent-1001');
    expect(bindings.map((b) => b.contactUri)).toEqual(['sip:1001@10.0.0.5']);
  });

  it('answers 500 with Retry-After when the store fails', async () => {
    const { registrar, store } = await setup({ ownDb: true });
    const phone = new Phone(registrar, '1001');
    await phone.register({});
    await store.close();
    const reply = await phone.send({ Contact: '<sip:1001@a>', Expires: '600' });
    expect(reply.status).toBe(500);
    expect(reply.headers['Retry-After']).toBe('5');
  });

  it('answers 503 with Retry-After while a source is locked out', async () => {
    const { registrar } = await setup();
    for (let i = 0; i < 6; i++)
      await new Phone(registrar, '1001', 'bad').register({ Contact: '<sip:1001@a>' });
    const reply = await new Phone(registrar, '1001').register({ Contact: '<sip:1001@a>' });
    expect(reply.status).toBe(503);
    expect(Number(reply.headers['Retry-After'])).toBeGreaterThan(0);
  });
});
