/** Hostile requests a route (connections, for raw bytes: four times as many); `npm run fuzz` sets 1 000. */
export const RUNS = Number(process.env.HONGBAO_FUZZ_RUNS ?? "50");
/** The seed of the run, printed with its figures: set it to replay a run. */
export const SEED = Number(process.env.HONGBAO_FUZZ_SEED ?? String(Date.now() % 2 ** 31));
