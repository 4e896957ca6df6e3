/**
 * The floor under an edge on Bun (`node dist/bench/bun-floor.js --bun PATH`): CPU per answer of
 * a bare Bun.serve server and of the same bare node:http code on Bun, against the bare node:http
 * server on Node every edges figure is compared with (bench/serve-load.ts), read from
 * /proc/PID/stat over the same requests. Rounds interleave the three.
 *
 * Usage: node dist/bench/bun-floor.js --bun PATH-TO-BUN [--requests 20000] [--connections 64] [--rounds 3]
 */
import { loadavg } from "node:os";
import { flag, fmtInt, table } from "./lib.js";
import { BARE_BUN_SERVE, BARE_SERVER, type Floor, floorOf } from "./serve-load.js";

const BUN = flag("bun", "");
const REQUESTS = Number(flag("requests", "20000"));
const CONNECTIONS = Number(flag("connections", "64"));
const ROUNDS = Number(flag("rounds", "3"));
if (BUN === "") throw new Error("--bun PATH: the Bun executable (e.g. from `npm install bun`)");

const us = (seconds: number) => (1e6 * seconds).toFixed(1);
const servers: [string, string, string[]][] = [
  ["node:http on Node", process.execPath, ["-e", BARE_SERVER]],
  ["node:http on Bun", BUN, ["-e", BARE_SERVER]],
  ["Bun.serve on Bun", BUN, ["-e", BARE_BUN_SERVE]],
];
const ratios = new Map<string, number[]>();
for (let round = 1; round <= ROUNDS; round++) {
  const floors: Floor[] = [];
  for (const [, command, args] of servers) floors.push(await floorOf(command, args, REQUESTS, CONNECTIONS));
  const base = (floors[0] as Floor).cpuPerAnswer;
  const rows = servers.map(([name], i) => {
    const floor = floors[i] as Floor;
    ratios.set(name, [...(ratios.get(name) ?? []), floor.cpuPerAnswer / base]);
    return [
      name,
      us(floor.cpuPerAnswer),
      us(floor.systemPerAnswer),
      (floor.cpuPerAnswer / base).toFixed(2),
      fmtInt(floor.perSecond),
      us(floor.loadCpuPerAnswer),
    ];
  });
  process.stdout.write(
    `\nround ${round} of ${ROUNDS}, ${CONNECTIONS} connections, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(
        " ",
      )}\n${table(["server", "µs CPU an answer", "of it system", "× node:http on Node", "measured /s", "load gen µs"], rows)}\n`,
  );
}
process.stdout.write("\nmedian [min–max] × node:http on Node over the rounds\n");
for (const [name, values] of ratios) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median =
    sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  process.stdout.write(
    `${name}: ${median.toFixed(2)} [${(sorted[0] as number).toFixed(2)}–${(sorted[sorted.length - 1] as number).toFixed(2)}]\n`,
  );
}
