/**
 * Crash safety of the real process: `hongbao serve` runs on a file while hundreds of transfers,
 * accepts and declines are in flight over loopback; it is killed with SIGKILL at a random
 * moment and restarted on the same file, several times. After every kill the file must hold
 * every acknowledged change and no half of an unacknowledged one; after every restart the
 * server must serve again, and idempotent retries must get their first answer.
 *
 * Set CRASH_SEED to replay a run's choices (timing still varies).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  checkLedger,
  cleanup,
  createUser,
  deposit,
  type Ledger,
  type Proc,
  request,
  seededRandom,
  serve,
  tempDir,
  type User,
} from "./support.js";

const USERS = 20;
const START_BALANCE = 1_000_000;
const CYCLES = 5;
/** Requests kept in flight at once. */
const CONCURRENCY = 160;
/** Requests one cycle starts at most, so a cycle ends even if the kill came late. */
const REQUESTS_PER_CYCLE_MAX = 900;
/** Kill anyway after this long, however few answers came back. */
const KILL_FALLBACK_MS = 12_000;

interface Sent {
  readonly id: string;
  readonly from: string;
  readonly to: string;
  readonly amount: number;
  readonly memo: string;
}

/** A request sent with an Idempotency-Key: what to send again after a restart. */
interface Keyed {
  readonly token: string;
  readonly path: string;
  readonly body: unknown;
  readonly key: string;
  /** For sends: the memo that names the one transfer this key may ever create. */
  readonly memo: string | undefined;
  /** For answers: the transfer and the status it must end in. */
  readonly answer: { readonly id: string; readonly status: "accepted" | "declined" } | undefined;
}

interface KeyedAnswer extends Keyed {
  readonly status: number;
  readonly text: string;
}

/** What the clients were told, and what they may still be owed. */
class Model {
  readonly sends = new Map<string, Sent>();
  readonly answers = new Map<string, "accepted" | "declined">();
  /** Transfers someone tried to answer, told or not. */
  readonly attempted = new Set<string>();
  /** Acknowledged pending transfers nobody has tried to answer yet. */
  readonly open: Sent[] = [];
  readonly keyedAnswered: KeyedAnswer[] = [];
  /** Keyed requests that got no answer before the kill. */
  limbo: Keyed[] = [];

  acknowledgeSend(sent: Sent): void {
    this.sends.set(sent.id, sent);
    this.open.push(sent);
  }
}

interface CycleStats {
  started: number;
  acknowledged: number;
  failed: number;
  busy: number;
  inFlightAtKill: number;
  unexpected: string[];
}

describe("crash: SIGKILL under concurrent transfers, restart on the same file", () => {
  after(cleanup);

  it(`loses no acknowledged transfer and half-applies nothing across ${CYCLES} kills`, {
    timeout: 110_000,
  }, async (t) => {
    const began = Date.now();
    const seed = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    t.diagnostic(`seed ${seed} (CRASH_SEED=${seed} replays the choices)`);
    const random = seededRandom(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const db = join(tempDir("hongbao-crash-"), "hongbao.db");
    const model = new Model();
    let counter = 0;

    let { proc, url } = await serve({ db });
    const users: User[] = await Promise.all(
      Array.from({ length: USERS }, (_, i) => createUser(url, undefined, `u${i}`)),
    );
    await Promise.all(users.map((user) => deposit(url, user.userId, START_BALANCE)));
    const tokenOf = new Map(users.map((user) => [user.userId, user.token]));

    /** Sends one request of the load; records what the client was told. */
    async function oneRequest(cycle: number, stats: CycleStats, onAck: () => void): Promise<void> {
      counter += 1;
      const n = counter;
      // Every money POST carries a key; half the clients keep theirs to retry a lost answer, half give up.
      const keyed = random() < 0.5;
      const answerable = model.open.length > 0 && random() < 0.35;
      let keyedRequest: Keyed;
      let handle: (status: number, text: string) => void;
      if (answerable) {
        const index = Math.floor(random() * model.open.length);
        const transfer = model.open.splice(index, 1)[0] as Sent;
        model.attempted.add(transfer.id);
        const verb = random() < 0.7 ? "accept" : "decline";
        const status = verb === "accept" ? "accepted" : "declined";
        keyedRequest = {
          token: tokenOf.get(transfer.to) as string,
          path: `/v1/transfers/${transfer.id}/${verb}`,
          body: undefined,
          key: `answer-${seed}-${n}`,
          memo: undefined,
          answer: { id: transfer.id, status },
        };
        handle = (code, text) => {
          if (code !== 200) return void stats.unexpected.push(`${verb} ${transfer.id}: ${code} ${text}`);
          const body = JSON.parse(text) as { id: string; status: string };
          assert.equal(body.id, transfer.id);
          assert.equal(body.status, status);
          model.answers.set(transfer.id, status);
        };
      } else {
        const from = pick(users);
        let to = pick(users);
        while (to === from) to = pick(users);
        const memo = `c${cycle}-n${n}`;
        const body = { to: to.userId, amount: 1 + Math.floor(random() * 5000), memo };
        keyedRequest = {
          token: from.token,
          path: "/v1/transfers",
          body,
          key: `send-${seed}-${n}`,
          memo,
          answer: undefined,
        };
        handle = (code, text) => {
          if (code !== 201) return void stats.unexpected.push(`send ${memo}: ${code} ${text}`);
          const sent = JSON.parse(text) as {
            id: string;
            status: string;
            from: string;
            to: string;
            amount: number;
            memo: string;
          };
          assert.equal(sent.status, "pending");
          assert.deepEqual(
            { from: sent.from, to: sent.to, amount: sent.amount, memo: sent.memo },
            { from: from.userId, to: to.userId, amount: body.amount, memo },
          );
          model.acknowledgeSend({ id: sent.id, from: from.userId, to: to.userId, amount: body.amount, memo });
        };
      }
      stats.started += 1;
      let reply: Awaited<ReturnType<typeof request>>;
      try {
        reply = await request(url, "POST", keyedRequest.path, {
          token: keyedRequest.token,
          ...(keyedRequest.body === undefined ? {} : { body: keyedRequest.body }),
          ...(keyed ? { key: keyedRequest.key } : {}),
        });
      } catch {
        // No answer: the server died with this request somewhere between the socket and the file.
        stats.failed += 1;
        if (keyed) model.limbo.push(keyedRequest);
        return;
      }
      if (reply.status === 503) {
        // "busy, retry after N s" is an allowed answer under load, and moves no money.
        stats.busy += 1;
        assert.ok(reply.headers.get("retry-after") !== null, "a 503 carries Retry-After");
        if (keyedRequest.answer !== undefined) model.open.push(model.sends.get(keyedRequest.answer.id) as Sent);
        return;
      }
      stats.acknowledged += 1;
      handle(reply.status, reply.text);
      if (keyed) model.keyedAnswered.push({ ...keyedRequest, status: reply.status, text: reply.text });
      onAck();
    }

    /** Runs the load and SIGKILLs the server at a random moment while requests are in flight. */
    async function loadAndKill(cycle: number, server: Proc): Promise<CycleStats> {
      const stats: CycleStats = { started: 0, acknowledged: 0, failed: 0, busy: 0, inFlightAtKill: 0, unexpected: [] };
      const killAfterAcks = 20 + Math.floor(random() * 250);
      const extraDelayMs = Math.floor(random() * 25);
      let inFlight = 0;
      let killed = false;
      let killTimer: NodeJS.Timeout | undefined;
      const kill = () => {
        if (killed) return;
        killed = true;
        clearTimeout(killTimer);
        stats.inFlightAtKill = inFlight;
        server.child.kill("SIGKILL");
      };
      killTimer = setTimeout(kill, KILL_FALLBACK_MS);
      const onAck = () => {
        if (stats.acknowledged === killAfterAcks) setTimeout(kill, extraDelayMs);
      };
      const worker = async () => {
        while (!killed && stats.started < REQUESTS_PER_CYCLE_MAX) {
          inFlight += 1;
          try {
            await oneRequest(cycle, stats, onAck);
          } finally {
            inFlight -= 1;
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      kill(); // if the cap was reached before the trigger
      const exit = await server.waitForExit(15_000);
      assert.equal(exit.signal, "SIGKILL", `the server died of the kill, not of something else\n${server.describe()}`);
      return stats;
    }

    /** Everything the clients were told is in the file, and nothing was applied twice. */
    function checkAcknowledged(ledger: Ledger, context: string): void {
      for (const sent of model.sends.values()) {
        const row = ledger.transfers.get(sent.id);
        assert.ok(
          row !== undefined,
          `${context}: acknowledged transfer ${sent.id} (${sent.memo}) is missing from the file`,
        );
        assert.deepEqual(
          { from: row.from_user, to: row.to_user, amount: row.amount, memo: row.memo },
          { from: sent.from, to: sent.to, amount: sent.amount, memo: sent.memo },
          `${context}: transfer ${sent.id} as acknowledged`,
        );
        const answered = model.answers.get(sent.id);
        if (answered !== undefined) {
          assert.equal(row.status, answered, `${context}: transfer ${sent.id} was acknowledged as ${answered}`);
        } else if (!model.attempted.has(sent.id)) {
          assert.equal(row.status, "pending", `${context}: nobody answered transfer ${sent.id}`);
        } else {
          assert.ok(
            ["pending", "accepted", "declined"].includes(row.status),
            `${context}: transfer ${sent.id} is ${row.status}`,
          );
        }
      }
      for (const [memo, rows] of ledger.byMemo) {
        assert.equal(rows.length, 1, `${context}: request ${memo} created ${rows.length} transfers`);
      }
      for (const user of users) assert.ok(ledger.users.has(user.userId), `${context}: user ${user.userId} is missing`);
    }

    /** After a restart: it serves, reads match the file, and keyed retries get their first answer. */
    async function afterRestart(ledger: Ledger, context: string): Promise<void> {
      const health = await request(url, "GET", "/healthz");
      assert.equal(health.status, 200, `${context}: /healthz ${health.text}`);
      await Promise.all(
        users.map(async (user) => {
          const wallet = await request(url, "GET", "/v1/me/wallet", { token: user.token });
          assert.equal(wallet.status, 200, wallet.text);
          const balance = ledger.balances.get(user.userId);
          assert.equal(wallet.json().balance, balance, `${context}: wallet of ${user.userId} after restart`);
          const statement = await request(url, "GET", "/v1/me/statement?limit=1", { token: user.token });
          assert.equal(statement.status, 200, statement.text);
          assert.equal(statement.json().items[0]?.balance, balance, `${context}: running balance of ${user.userId}`);
        }),
      );

      // One wallet's whole statement, page by page: every entry once, newest first, running balances chained.
      const reader = pick(users);
      const items: { id: string; amount: number; balance: number }[] = [];
      let cursor: string | null = null;
      do {
        const page = await request(
          url,
          "GET",
          `/v1/me/statement?limit=50${cursor === null ? "" : `&cursor=${cursor}`}`,
          {
            token: reader.token,
          },
        );
        assert.equal(page.status, 200, page.text);
        const body = page.json() as {
          items: { id: string; amount: number; balance: number }[];
          nextCursor: string | null;
        };
        items.push(...body.items);
        cursor = body.nextCursor;
      } while (cursor !== null);
      assert.equal(
        items.length,
        ledger.entryCounts.get(reader.userId),
        `${context}: statement of ${reader.userId} lists every entry`,
      );
      assert.equal(new Set(items.map((item) => item.id)).size, items.length, `${context}: no entry twice`);
      for (let i = 0; i + 1 < items.length; i++) {
        const [newer, older] = [items[i], items[i + 1]] as [(typeof items)[number], (typeof items)[number]];
        assert.ok(Number(newer.id) > Number(older.id), `${context}: statement newest first`);
        assert.equal(newer.balance - newer.amount, older.balance, `${context}: running balance of entry ${newer.id}`);
      }
      assert.equal(items.at(-1)?.balance, items.at(-1)?.amount, `${context}: the first entry starts from 0`);

      // Transfers read back through the API as the file holds them (pending ones were reloaded into memory).
      const acknowledged = [...model.sends.values()].sort(() => random() - 0.5).slice(0, 12);
      for (const sent of acknowledged) {
        const read = await request(url, "GET", `/v1/transfers/${sent.id}`, { token: tokenOf.get(sent.from) as string });
        assert.equal(read.status, 200, `${context}: GET ${sent.id}: ${read.text}`);
        assert.equal(read.json().status, ledger.transfers.get(sent.id)?.status, `${context}: status of ${sent.id}`);
      }

      // The same key and body as an acknowledged request: the same status and body, byte for byte.
      const sample = [...model.keyedAnswered].sort(() => random() - 0.5).slice(0, 12);
      for (const first of sample) {
        const again = await request(url, "POST", first.path, {
          token: first.token,
          key: first.key,
          ...(first.body === undefined ? {} : { body: first.body }),
        });
        assert.equal(again.status, first.status, `${context}: retry of ${first.key}: ${again.text}`);
        assert.equal(again.text, first.text, `${context}: retry of ${first.key} answers the first body again`);
      }

      // Keyed requests that got no answer: retrying them applies each at most once in all.
      const limbo = model.limbo;
      model.limbo = [];
      for (const lost of limbo) {
        const reply = await request(url, "POST", lost.path, {
          token: lost.token,
          key: lost.key,
          ...(lost.body === undefined ? {} : { body: lost.body }),
        });
        if (lost.memo !== undefined) {
          assert.equal(reply.status, 201, `${context}: retry of lost send ${lost.key}: ${reply.text}`);
          const sent = reply.json() as { id: string; from: string; to: string; amount: number; memo: string };
          const before = ledger.byMemo.get(lost.memo);
          if (before !== undefined) {
            assert.equal(
              sent.id,
              before[0]?.id,
              `${context}: retry of ${lost.key} names the transfer that was committed`,
            );
          }
          assert.equal(sent.memo, lost.memo);
          model.acknowledgeSend({ id: sent.id, from: sent.from, to: sent.to, amount: sent.amount, memo: sent.memo });
        } else if (lost.answer !== undefined) {
          assert.equal(reply.status, 200, `${context}: retry of lost ${lost.path}: ${reply.text}`);
          assert.equal(reply.json().status, lost.answer.status);
          model.answers.set(lost.answer.id, lost.answer.status);
        }
        model.keyedAnswered.push({ ...lost, status: reply.status, text: reply.text });
      }
    }

    let ledger: Ledger | undefined;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const context = `cycle ${cycle + 1}`;
      if (cycle > 0) {
        ({ proc, url } = await serve({ db }));
        await afterRestart(ledger as Ledger, `${context} restart`);
      }
      const stats = await loadAndKill(cycle, proc);
      assert.deepEqual(stats.unexpected, [], `${context}: unexpected answers`);
      ledger = checkLedger(db);
      checkAcknowledged(ledger, context);
      t.diagnostic(
        `${context}: started ${stats.started}, acknowledged ${stats.acknowledged}, no answer ${stats.failed}, ` +
          `busy ${stats.busy}, in flight at kill ${stats.inFlightAtKill}; file: ${ledger.transfers.size} transfers, ` +
          `${ledger.postings} postings; ${Date.now() - began} ms`,
      );
    }

    // The last restart: it serves, new transfers work, and a graceful stop keeps everything.
    ({ proc, url } = await serve({ db }));
    await afterRestart(ledger as Ledger, "final restart");
    const [alice, bob] = users as [User, User];
    const walletOf = async (user: User) =>
      (await request(url, "GET", "/v1/me/wallet", { token: user.token })).json().balance as number;
    const aliceBefore = await walletOf(alice);
    const bobBefore = await walletOf(bob);
    const sent = await request(url, "POST", "/v1/transfers", {
      token: alice.token,
      key: `after-${seed}`,
      body: { to: bob.userId, amount: 777, memo: "after the crashes" },
    });
    assert.equal(sent.status, 201, sent.text);
    const transfer = sent.json() as { id: string };
    const accepted = await request(url, "POST", `/v1/transfers/${transfer.id}/accept`, { token: bob.token });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.json().status, "accepted");
    assert.equal(await walletOf(alice), aliceBefore - 777);
    assert.equal(await walletOf(bob), bobBefore + 777);
    const read = await request(url, "GET", `/v1/transfers/${transfer.id}`, { token: alice.token });
    assert.equal(read.json().status, "accepted");
    model.acknowledgeSend({
      id: transfer.id,
      from: alice.userId,
      to: bob.userId,
      amount: 777,
      memo: "after the crashes",
    });
    model.answers.set(transfer.id, "accepted");

    proc.child.kill("SIGTERM");
    const exit = await proc.waitForExit(20_000);
    assert.equal(exit.code, 0, `graceful stop exits 0\n${proc.describe()}`);
    const final = checkLedger(db);
    checkAcknowledged(final, "after SIGTERM");
    t.diagnostic(
      `total ${Date.now() - began} ms; ${model.sends.size} acknowledged transfers, ${model.answers.size} answers`,
    );
  });
});
