/**
 * Places in line given per second: one process against one edge in front of a writer (the
 * line counted at the writer, docs/decisions/0050-waiting-room-at-the-writer.md), in turn in
 * the same run. Admission sheds every new arrival, so each claim is answered with a place.
 * Usage: node dist/bench/places-through-edges.js [places a run] [runs]
 */
import { startTestApp } from "../test/support/harness.js";

const places = Number(process.argv[2] ?? 5_000);
const runs = Number(process.argv[3] ?? 5);
const AT_ONCE = 50;

async function placesPerSecond(edges: number): Promise<number> {
  const app = await startTestApp({ edges, admission: { claimQueueLengthMax: 0 }, gate: { targetTurnMs: 1_000 } });
  try {
    const user = await app.createUser();
    const now = Date.now();
    const created = await app.call("POST", "/v1/admin/campaigns", {
      token: "admin",
      body: {
        name: "places",
        budget: 1314 * 1_000,
        amount: { fixed: 1314 },
        startsAt: new Date(now - 1_000).toISOString(),
        endsAt: new Date(now + 3_600_000).toISOString(),
      },
    });
    const id = created.json().id as string;
    const target = edges === 0 ? app.app : (app.edges[0] as (typeof app.edges)[number]).app;
    // Asking again without the ticket is another place, later in line: one user makes the whole line.
    const ask = () =>
      target.inject({
        method: "POST",
        url: `/v1/campaigns/${id}/claim`,
        headers: { authorization: `Bearer ${user.token}` },
      });
    for (let i = 0; i < 300; i++) await ask();
    const started = performance.now();
    for (let given = 0; given < places; given += AT_ONCE) {
      const answers = await Promise.all(Array.from({ length: AT_ONCE }, ask));
      for (const answer of answers)
        if (answer.statusCode !== 503 || !answer.body.includes('"ticket"')) throw new Error(answer.body);
    }
    return (places / (performance.now() - started)) * 1000;
  } finally {
    await app.dispose();
  }
}

const ratios: number[] = [];
for (let run = 0; run < runs; run++) {
  const one = await placesPerSecond(0);
  const edge = await placesPerSecond(1);
  ratios.push(edge / one);
  console.log(
    `run ${run + 1}: one process ${one.toFixed(0)} places/s, through an edge ${edge.toFixed(0)} places/s, ratio ${(edge / one).toFixed(2)}`,
  );
}
ratios.sort((a, b) => a - b);
console.log(`median ratio (edge / one process): ${(ratios[Math.floor(ratios.length / 2)] as number).toFixed(2)}`);
