/**
 * The boundary cases of the special days, shared by the in-process test and the test that
 * runs real servers under other time zones: a 52 000-fen single packet is accepted on the
 * last millisecond of the day and refused on the first millisecond after it.
 */
export interface BoundaryCase {
  readonly name: string;
  readonly lastMoment: string;
  readonly firstAfter: string;
}

export const SPECIAL_DAY_BOUNDARIES: readonly BoundaryCase[] = [
  { name: "Qixi 2021-08-14", lastMoment: "2021-08-14T23:59:59.999+08:00", firstAfter: "2021-08-15T00:00:00.000+08:00" },
  {
    name: "Valentine's Day 2026-02-14",
    lastMoment: "2026-02-14T23:59:59.999+08:00",
    firstAfter: "2026-02-15T00:00:00.000+08:00",
  },
  { name: "520 2026-05-20", lastMoment: "2026-05-20T23:59:59.999+08:00", firstAfter: "2026-05-21T00:00:00.000+08:00" },
];

/** Seconds before the boundary, the first instant of the day counts too. */
export const FIRST_MOMENTS = [
  "2021-08-14T00:00:00.000+08:00",
  "2026-02-14T00:00:00.000+08:00",
  "2026-05-20T00:00:00.000+08:00",
];
export const DAY_BEFORE = [
  "2021-08-13T23:59:59.999+08:00",
  "2026-02-13T23:59:59.999+08:00",
  "2026-05-19T23:59:59.999+08:00",
];

type Call = (
  method: "GET" | "POST",
  path: string,
  token: string | "admin",
  body?: unknown,
) => Promise<{ status: number; body: any }>;

/** Runs every boundary against a server with a test clock; returns what each step answered. */
export async function runBoundaries(call: Call, sender: string, recipientId: string): Promise<string[]> {
  const seen: string[] = [];
  const packetAt = async (at: string) => {
    await call("POST", "/v1/admin/clock", "admin", { now: at });
    const answer = await call("POST", "/v1/red-packets", sender, { kind: "single", amount: 52_000, to: recipientId });
    return answer.status === 201
      ? "accepted"
      : `${answer.status} ${answer.body.error.code} ${answer.body.error.details?.cap}=${answer.body.error.details?.limit}`;
  };
  for (const boundary of SPECIAL_DAY_BOUNDARIES) {
    seen.push(`${boundary.name} last moment: ${await packetAt(boundary.lastMoment)}`);
    seen.push(`${boundary.name} first after: ${await packetAt(boundary.firstAfter)}`);
  }
  for (const at of FIRST_MOMENTS) seen.push(`${at}: ${await packetAt(at)}`);
  for (const at of DAY_BEFORE) seen.push(`${at}: ${await packetAt(at)}`);
  return seen;
}

export const EXPECTED_BOUNDARY_ANSWERS = [
  "Qixi 2021-08-14 last moment: accepted",
  "Qixi 2021-08-14 first after: 422 AMOUNT_ABOVE_MAX singlePacketMax=20000",
  "Valentine's Day 2026-02-14 last moment: accepted",
  "Valentine's Day 2026-02-14 first after: 422 AMOUNT_ABOVE_MAX singlePacketMax=20000",
  "520 2026-05-20 last moment: accepted",
  "520 2026-05-20 first after: 422 AMOUNT_ABOVE_MAX singlePacketMax=20000",
  "2021-08-14T00:00:00.000+08:00: accepted",
  "2026-02-14T00:00:00.000+08:00: accepted",
  "2026-05-20T00:00:00.000+08:00: accepted",
  "2021-08-13T23:59:59.999+08:00: 422 AMOUNT_ABOVE_MAX singlePacketMax=20000",
  "2026-02-13T23:59:59.999+08:00: 422 AMOUNT_ABOVE_MAX singlePacketMax=20000",
  "2026-05-19T23:59:59.999+08:00: 422 AMOUNT_ABOVE_MAX singlePacketMax=20000",
];
