/** Checks a revealed packet in the browser: the commitment is hex(sha256(utf8(id|shares|salt))). */
export async function commitmentHolds(id: string, shares: readonly number[], salt: string, commitment: string) {
  const bytes = new TextEncoder().encode(`${id}|${shares.join(",")}|${salt}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  return { computed: hex, holds: hex === commitment };
}
