/**
 * What a person joining a pre-queue and a place's answer cost in one process, against the
 * floor of each in the same run: a join against one HMAC-SHA256 of a ticket's payload (the
 * least a stateless signed place can cost), a place's body against JSON.stringify of the same
 * object (what it was rendered with before).
 *
 *   npm run build && node dist/bench/pre-queue-joins.js [--joins 200000]
 */
import { createHmac, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { placeBody, placeHead } from "../src/api/claim.js";
import { errorBody } from "../src/api/errors.js";
import { type Place, WaitingRoom } from "../src/api/waiting-room.js";

const { values } = parseArgs({ options: { joins: { type: "string", default: "200000" } } });
const JOINS = Number(values.joins);
const ROUNDS = 5;

function microsPer(count: number, run: () => void): number {
  const started = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - started) / 1000 / count;
}

function joins(): number {
  let wall = 1_900_000_000_000;
  const room = new WaitingRoom({
    ticketKey: randomBytes(32),
    seedKey: randomBytes(32),
    now: () => wall,
    pressure: () => false,
    sharesLeftOf: () => 100_000,
  });
  const startsAt = wall + 60_000;
  return microsPer(JOINS, () => {
    for (let i = 0; i < JOINS; i++) {
      room.preQueue("cmp_bench", startsAt, `u_${i}`, 0);
      if (i % 1_000 === 0) wall += 1;
    }
  });
}

function hmacs(): number {
  const key = randomBytes(32);
  let sink = 0;
  const micros = microsPer(JOINS, () => {
    for (let i = 0; i < JOINS; i++)
      sink += createHmac("sha256", key)
        .update(`Y21wX2JlbmNofnVfJHtpfX5wcmV-${i}~1900000000000~0~run~1900000006000`)
        .digest("base64url").length;
  });
  if (sink === 0) throw new Error("unreachable");
  return micros;
}

const places: Place[] = Array.from({ length: 1_000 }, (_, i) => ({
  ticket: `${randomBytes(60).toString("base64url")}.${randomBytes(18).toString("base64url")}`,
  line: i % 2 === 0 ? "pre" : "fifo",
  position: i % 2 === 0 ? null : i + 1,
  place: i % 2 === 0 ? null : 5_000 + i,
  estimatedWaitSeconds: 1.25 + i / 1000,
  retryAfterMs: 1_250 + i,
}));
const MESSAGE = "the campaign has not started: your place in the pre-queue is drawn at the start";

function bodies(render: (place: Place, startsAt: number) => string): number {
  let length = 0;
  const micros = microsPer(JOINS, () => {
    for (let i = 0; i < JOINS; i++) length += render(places[i % places.length] as Place, 1_900_000_060_000).length;
  });
  if (length === 0) throw new Error("unreachable");
  return micros;
}

const stringified = (place: Place, startsAt: number) =>
  JSON.stringify({ ...errorBody("NOT_STARTED", MESSAGE, { startsAt }), ...place });
const written = (place: Place, startsAt: number) => placeBody(placeHead("NOT_STARTED", MESSAGE, { startsAt }), place);

if (written(places[1] as Place, 7) !== stringified(places[1] as Place, 7)) throw new Error("the bodies differ");
const rows: string[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const join = joins();
  const hmac = hmacs();
  const body = bodies(written);
  const json = bodies(stringified);
  rows.push(
    `round ${round}: join ${join.toFixed(2)} µs = ${(join / hmac).toFixed(2)}× one HMAC (${hmac.toFixed(2)} µs); ` +
      `place body ${body.toFixed(2)} µs = ${(body / json).toFixed(2)}× JSON.stringify (${json.toFixed(2)} µs)`,
  );
  console.log(rows[rows.length - 1]);
}
