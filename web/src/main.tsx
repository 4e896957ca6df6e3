import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { session } from "./api.js";
import { CampaignPage } from "./campaign.js";
import { ConsolePage } from "./console.js";
import { lang, t, toggleLang } from "./i18n.js";
import { LoginPage } from "./login.js";
import { GroupsPage, RoomPage } from "./rooms.js";
import { signal } from "./signal.js";
import "./style.css";
import { TransferPage } from "./transfer.js";
import { WalletPage } from "./wallet.js";

const route = signal(location.hash.slice(1) || "/");
addEventListener("hashchange", () => {
  route.value = location.hash.slice(1) || "/";
});

export function go(path: string): void {
  location.hash = path;
}

function useSignal<T>(s: { value: T; subscribe(f: () => void): () => void }): T {
  const [, bump] = useState(0);
  useEffect(() => s.subscribe(() => bump((n) => n + 1)), [s]);
  return s.value;
}

function Page({ path }: { path: string }) {
  const campaign = /^\/campaigns\/(cmp_[\w-]+)$/.exec(path);
  if (campaign) return <CampaignPage id={campaign[1] as string} />;
  if (path === "/console") return <ConsolePage />;
  if (session.token === null) return <LoginPage />;
  const room = /^\/groups\/(grp_[\w-]+)$/.exec(path);
  if (room) return <RoomPage id={room[1] as string} />;
  if (path === "/groups") return <GroupsPage />;
  if (path === "/transfer") return <TransferPage />;
  return <WalletPage />;
}

function App() {
  const path = useSignal(route);
  useSignal(lang);
  useEffect(() => {
    // Focus moves to the new page's heading, so keyboard and screen-reader users land on it.
    document.querySelector<HTMLElement>("main h1")?.focus();
    document.body.dataset.ready = "1";
  }, [path]);
  const loggedIn = session.token !== null;
  return (
    <>
      <header class="bar">
        <a class="brand" href="#/">
          {t("appName")}
        </a>
        <nav aria-label="main">
          {loggedIn && <a href="#/">{t("wallet")}</a>}
          {loggedIn && <a href="#/transfer">{t("transfer")}</a>}
          {loggedIn && <a href="#/groups">{t("groups")}</a>}
          <button type="button" class="link" onClick={toggleLang}>
            {t("language")}
          </button>
          {loggedIn && (
            <button
              type="button"
              class="link"
              onClick={() => {
                session.clear();
                go("/");
                route.value = "/";
              }}
            >
              {t("logout")}
            </button>
          )}
        </nav>
      </header>
      <main>
        <Page path={path} />
      </main>
    </>
  );
}

document.documentElement.lang = lang.value === "zh" ? "zh-CN" : "en";
render(<App />, document.getElementById("app") as HTMLElement);
