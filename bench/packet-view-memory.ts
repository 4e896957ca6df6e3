/**
 * The heap an edge's packet view holds at its caps: a million grabbers (10 000 finished
 * packets of 100 shares) and a million group members (500 groups of 2 000), then with
 * 200 000 more of each offered. Ids are 24 characters, as the service makes them.
 * Usage: node --expose-gc dist/bench/packet-view-memory.js
 */
import { StateView } from "../src/edge/view.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");
const id = (prefix: string, i: number) => `${prefix}${String(i).padStart(23, "0")}`;
const group = (g: number) => ({
  k: "group" as const,
  id: id("g", g),
  members: Array.from({ length: 2_000 }, (_, i) => id("u", g * 2_000 + i)),
});
const packet = (p: number, groupId: string | null) => ({
  k: "packet" as const,
  id: id("p", p),
  status: "finished" as const,
  expiresAt: 0,
  recipient: null,
  groupId,
  grabbers: Array.from({ length: 100 }, (_, i) => id("u", p * 100 + i)),
});

gc();
const before = process.memoryUsage().heapUsed;
const view = new StateView();
for (let g = 0; g < 500; g++) view.apply([group(g)]);
for (let p = 0; p < 10_000; p++) view.apply([packet(p, id("g", p % 500))]);
gc();
const atCaps = process.memoryUsage().heapUsed;
for (let p = 10_000; p < 12_000; p++) view.apply([packet(p, null)]);
for (let g = 500; g < 600; g++) view.apply([group(g)]);
gc();
const past = process.memoryUsage().heapUsed;
const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
console.log(
  `grabbers ${view.packets.grabbers}, members ${view.packets.members}, packets ${view.packets.packets}; heap at the caps ${mb(atCaps - before)} MB, after 200 000 more of each ${mb(past - before)} MB`,
);
