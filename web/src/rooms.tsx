import { useEffect, useRef, useState } from "preact/hooks";
import { onLive } from "./live.js";
import { ApiError, call, newKey, session } from "./api.js";
import { type Key, t } from "./i18n.js";
import { parseYuan, yuan } from "./money.js";
import { ErrorLine, Field, Title } from "./ui.js";
import { commitmentHolds } from "./verify.js";

interface Group {
  id: string;
  name: string;
  memberIds: string[];
}
interface Grab {
  userId: string;
  amount: number;
  at: string;
}
interface Packet {
  id: string;
  kind: string;
  sender: string;
  amount: number;
  count: number;
  remaining: number;
  status: string;
  greeting: string;
  hasPassword: boolean;
  commitment: string;
  grabs: Grab[];
  luckyKing: Grab | null;
  shares?: number[];
  salt?: string;
}

export function GroupsPage() {
  const [groups, setGroups] = useState<Group[]>([]);
  const [name, setName] = useState("");
  const [members, setMembers] = useState("");
  const [error, setError] = useState<unknown>(null);
  const load = () =>
    call<{ items: Group[] }>("GET", "/v1/me/groups")
      .then((r) => setGroups(r.items))
      .catch(setError);
  useEffect(() => {
    void load();
  }, []);
  async function create(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const memberIds = members
        .split(/[,，\s]+/)
        .map((id) => id.trim())
        .filter(Boolean);
      const group = await call<Group>("POST", "/v1/groups", {
        body: { name, memberIds },
        idempotencyKey: newKey(),
      });
      location.hash = `/groups/${group.id}`;
    } catch (e) {
      setError(e);
    }
  }
  return (
    <section>
      <Title>{t("groups")}</Title>
      <ul class="groups">
        {groups.map((group) => (
          <li key={group.id}>
            <a href={`#/groups/${group.id}`}>
              {group.name} <span class="muted">({group.memberIds.length})</span>
            </a>
          </li>
        ))}
      </ul>
      <form onSubmit={create} class="card">
        <h2>{t("newGroup")}</h2>
        <Field label={t("groupName")} name="groupName" required value={name} onInput={setName} />
        <Field label={t("memberIds")} name="memberIds" required value={members} onInput={setMembers} />
        <button type="submit">{t("create")}</button>
      </form>
      <ErrorLine error={error} />
    </section>
  );
}

const KINDS: [string, Key][] = [
  ["lucky", "kindLucky"],
  ["equal", "kindEqual"],
  ["exclusive", "kindExclusive"],
  ["single", "kindSingle"],
];

export function RoomPage({ id }: { id: string }) {
  const [group, setGroup] = useState<Group | null>(null);
  const [packets, setPackets] = useState<Packet[]>([]);
  const [opened, setOpened] = useState<Packet | null>(null);
  const [error, setError] = useState<unknown>(null);
  const known = useRef(new Map<string, Packet>());

  async function load() {
    try {
      const page = await call<{ items: Packet[] }>("GET", `/v1/groups/${id}/packets`);
      for (const packet of page.items) known.current.set(packet.id, packet);
      setPackets([...known.current.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    call<Group>("GET", `/v1/groups/${id}`).then(setGroup).catch(setError);
    void load();
    // New packets and grabs in this room arrive as live events: no polling, no reload.
    return onLive(({ event, data }) => {
      if (event === "resync" || (event === "packet" && data.packet?.groupId === id) || (event === "grab" && data.groupId === id))
        void load();
    });
  }, [id]);

  return (
    <section class="room">
      <Title>{group?.name ?? id}</Title>
      <ol class="messages" aria-live="polite" data-testid="packets">
        {packets.map((packet) => (
          <li key={packet.id} class={packet.sender === session.userId ? "mine" : ""}>
            <button
              type="button"
              class={`envelope ${packet.status !== "active" ? "done" : ""}`}
              data-packet={packet.id}
              onClick={() => setOpened(packet)}
              aria-label={`${t("sendPacket")}: ${packet.greeting}`}
            >
              <span class="seal" aria-hidden="true">
                福
              </span>
              <span class="greet">{packet.greeting}</span>
              <span class="meta">
                {packet.kind} · {packet.count - packet.remaining}/{packet.count}
              </span>
            </button>
          </li>
        ))}
      </ol>
      {group && <SendPacket group={group} onSent={load} />}
      {opened && (
        <Opening
          packet={opened}
          onClose={() => {
            setOpened(null);
            void load();
          }}
        />
      )}
      <ErrorLine error={error} />
    </section>
  );
}

function SendPacket({ group, onSent }: { group: Group; onSent: () => void }) {
  const [kind, setKind] = useState("lucky");
  const [amount, setAmount] = useState("");
  const [count, setCount] = useState("3");
  const [member, setMember] = useState("");
  const [greeting, setGreeting] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  async function send(event: Event) {
    event.preventDefault();
    setError(null);
    try {
      const fen = parseYuan(amount);
      if (fen === null) throw new Error(t("amountYuan"));
      const body: Record<string, unknown> = { kind, amount: fen, greeting: greeting || t("greetingDefault") };
      if (kind === "lucky" || kind === "equal") Object.assign(body, { count: Number(count), groupId: group.id });
      if (kind === "exclusive") Object.assign(body, { groupId: group.id, memberId: member.trim() });
      if (kind === "single") body.to = member.trim();
      if (password) body.password = password;
      await call("POST", "/v1/red-packets", { body, idempotencyKey: newKey() });
      setAmount("");
      onSent();
    } catch (e) {
      setError(e);
    }
  }
  return (
    <form onSubmit={send} class="card send-packet">
      <h2>{t("sendPacket")}</h2>
      <div class="field">
        <label for="f-kind">{t("kind")}</label>
        <select id="f-kind" value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
          {KINDS.map(([value, label]) => (
            <option key={value} value={value}>
              {t(label)}
            </option>
          ))}
        </select>
      </div>
      <Field label={t("amountYuan")} name="packetAmount" inputMode="decimal" required value={amount} onInput={setAmount} />
      {(kind === "lucky" || kind === "equal") && (
        <Field label={t("count")} name="count" inputMode="numeric" required value={count} onInput={setCount} />
      )}
      {(kind === "exclusive" || kind === "single") && (
        <Field label={t("recipient")} name="member" required value={member} onInput={setMember} />
      )}
      <Field label={t("greeting")} name="greeting" value={greeting} onInput={setGreeting} />
      <Field label={t("password")} name="password" value={password} onInput={setPassword} />
      <button type="submit" class="red">
        {t("send")}
      </button>
      <ErrorLine error={error} />
    </form>
  );
}

function Opening({ packet: initial, onClose }: { packet: Packet; onClose: () => void }) {
  const [packet, setPacket] = useState(initial);
  const [result, setResult] = useState<{ kind: "got"; amount: number } | { kind: "note"; key: Key } | null>(null);
  const [password, setPassword] = useState("");
  const [verdict, setVerdict] = useState<Key | null>(null);
  const [error, setError] = useState<unknown>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const mine = packet.grabs.find((grab) => grab.userId === session.userId);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  async function reload() {
    setPacket(await call<Packet>("GET", `/v1/red-packets/${packet.id}`));
  }

  async function grab() {
    setError(null);
    try {
      const answer = await call<{ amount: number }>("POST", `/v1/red-packets/${packet.id}/grab`, {
        body: packet.hasPassword ? { password } : {},
        idempotencyKey: newKey(),
      });
      setResult({ kind: "got", amount: answer.amount });
    } catch (e) {
      if (e instanceof ApiError && e.code === "SOLD_OUT") setResult({ kind: "note", key: "soldOut" });
      else if (e instanceof ApiError && e.code === "ALREADY_GRABBED") setResult({ kind: "note", key: "alreadyGrabbed" });
      else setError(e);
    }
    await reload().catch(setError);
  }

  async function verify() {
    if (packet.shares === undefined || packet.salt === undefined) {
      setVerdict("verifyNotYet");
      return;
    }
    const { holds } = await commitmentHolds(packet.id, packet.shares, packet.salt, packet.commitment);
    setVerdict(holds ? "verifyOk" : "verifyBad");
  }

  const canGrab = result === null && mine === undefined && packet.status === "active" && packet.sender !== session.userId;
  const soldOutAlready =
    result === null && mine === undefined && packet.status !== "active" && packet.sender !== session.userId;
  return (
    <dialog ref={dialog} class="opening" aria-labelledby="opening-title" onClose={onClose}>
      <div class={`red-card ${result || mine ? "open" : ""}`}>
        <h2 id="opening-title">{packet.greeting}</h2>
        {canGrab && (
          <>
            {packet.hasPassword && <Field label={t("password")} name="grabPassword" value={password} onInput={setPassword} />}
            <button type="button" class="open-button" onClick={grab} aria-label={t("open")}>
              {t("open")}
            </button>
          </>
        )}
        {result?.kind === "got" && (
          <p class="amount" data-testid="grabbed">
            {t("youGot")} <strong>{yuan(result.amount)}</strong> {t("yuanUnit")}
          </p>
        )}
        {result === null && mine && (
          <p class="amount">
            {t("youGot")} <strong>{yuan(mine.amount)}</strong> {t("yuanUnit")}
          </p>
        )}
        {(result?.kind === "note" || soldOutAlready) && (
          <p class="gone" data-testid="packet-note">
            {t(result?.kind === "note" ? result.key : "soldOut")}
          </p>
        )}
      </div>
      <h3>
        {t("grabs")} ({packet.grabs.length}/{packet.count}, {yuan(packet.amount)} {t("yuanUnit")})
      </h3>
      <ul class="grabs" data-testid="grabs">
        {packet.grabs.map((g) => (
          <li key={g.userId}>
            <span>{g.userId}</span> <strong>{yuan(g.amount)}</strong>
            {packet.luckyKing?.userId === g.userId && (
              <span class="king" data-testid="lucky-king">
                {" "}
                ★ {t("luckyKing")}
              </span>
            )}
          </li>
        ))}
      </ul>
      <div class="actions">
        <button type="button" class="secondary" onClick={verify}>
          {t("verify")}
        </button>
        <button type="button" onClick={() => dialog.current?.close()}>
          {t("close")}
        </button>
      </div>
      {verdict && (
        <p class={verdict === "verifyOk" ? "ok" : "error"} role="status" data-testid="verdict">
          {t(verdict)}
        </p>
      )}
      <ErrorLine error={error} />
    </dialog>
  );
}
