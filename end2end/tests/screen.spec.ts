import { test, expect, Browser, Page, APIRequestContext } from "@playwright/test";
import { auth } from "./support";
import config from "../playwright.config";

// The demo conference (end2end/serve.sh): 2026-11-23, Europe/Moscow; on
// track 2 the first talk is at 17:00 (14:00 UTC).
const TRACK2 = "/e/demo/screen/track-2";
const FIRST_TALK = "Low-latency streaming with SRT and WebRTC";
const BEFORE_FIRST = new Date("2026-11-23T13:50:00Z"); // 16:50 in Moscow

/** The bearer token serve.sh created for this run. */
async function serverNow(request: APIRequestContext): Promise<number> {
  const res = await request.get("/api/v1/time");
  expect(res.headers()["cache-control"]).toBe("no-store");
  return (await res.json()).now_ms;
}

/** Text of server-rendered HTML, entities decoded. */
function unescape(html: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
  return html.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) =>
    e[0] !== "#" ? named[e] ?? m : String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
}

/** "1:05:09" or "10:00" → seconds. */
function seconds(text: string): number {
  return text.split(":").reduce((acc, part) => acc * 60 + Number(part), 0);
}

/**
 * A 1920×1080 screen whose page clock starts at `at` (and runs), with the
 * server's clock made to agree with the page's: screens follow the server,
 * so a fake page clock alone would be corrected away.
 */
async function screenAt(browser: Browser, path: string, at: Date): Promise<Page> {
  const ctx = await browser.newContext({ locale: "en-GB", viewport: { width: 1920, height: 1080 } });
  const page = await ctx.newPage();
  await page.clock.install({ time: at });
  await page.route("**/api/v1/time", async (route) => {
    const now = await page.evaluate(() => Date.now());
    await route.fulfill({ json: { now_ms: now }, headers: { "cache-control": "no-store" } });
  });
  await page.goto(path);
  return page;
}

test("a track screen counts down to its next talk, then shows it live", async ({ browser }) => {
  const page = await screenAt(browser, TRACK2, BEFORE_FIRST);
  const panel = page.getByTestId("screen-panel");
  await expect(panel).toHaveAttribute("data-state", "up-next");
  await expect(panel.getByTestId("screen-countdown")).toHaveText(/^Starts in (10:00|09:5\d)$/);
  await expect(panel.getByTestId("screen-title")).toHaveText(FIRST_TALK);
  await expect(panel.getByTestId("screen-speakers")).toHaveText("Dmitri Sokolov");
  await expect(panel.getByTestId("screen-times")).toHaveText("17:00–17:40");
  await expect(page.getByTestId("screen-clock")).toHaveText("16:50");

  // Mid-second, so the few ms the offset measurement is off cannot tip it.
  await page.clock.pauseAt(new Date("2026-11-23T13:59:30.500Z"));
  await expect(panel.getByTestId("screen-countdown")).toHaveText("Starts in 00:30");
  // Jump rather than run: a clock re-measurement while virtual time races
  // would sample a moving target.
  await page.clock.pauseAt(new Date("2026-11-23T14:00:30.500Z"));
  await expect(panel).toHaveAttribute("data-state", "live");
  await expect(panel.getByTestId("screen-heading")).toHaveText("Live now");
  await expect(panel.getByTestId("screen-countdown")).toHaveText("Running for 00:30");

  // The layout fills a 16:9 window exactly: no scrollbars.
  const overflow = await page.evaluate(() => [
    document.documentElement.scrollWidth - innerWidth,
    document.documentElement.scrollHeight - innerHeight,
  ]);
  expect(overflow).toEqual([0, 0]);
});

test("the countdown follows the server's clock, not the device's", async ({ browser, request }) => {
  const server = await serverNow(request);
  const ctx = await browser.newContext({ locale: "en-GB", viewport: { width: 1920, height: 1080 } });
  const page = await ctx.newPage();
  // The device's clock is an hour slow.
  await page.clock.install({ time: server - 3600_000 });
  await page.goto(TRACK2);
  const screen = page.getByTestId("screen");
  await expect(screen).toHaveAttribute("data-link", "live");

  await expect
    .poll(async () => Math.abs(Number(await screen.getAttribute("data-now-ms")) - (await serverNow(request))))
    .toBeLessThan(3000);
  const deviceLag = (await serverNow(request)) - (await page.evaluate(() => Date.now()));
  expect(Math.abs(deviceLag - 3600_000)).toBeLessThan(5000);

  // The wall clock shows the server's Moscow time (either side of a minute turn).
  const moscow = (ms: number) =>
    new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Moscow", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(ms);
  const now = await serverNow(request);
  await expect(page.getByTestId("screen-clock")).toHaveText(new RegExp(`^(${moscow(now)}|${moscow(now + 60_000)})$`));

  // Whatever the day, the state is the one the server renders right now.
  const html = await (await request.get(TRACK2)).text();
  const ssrState = /data-state="([a-z-]+)"/.exec(html)![1];
  const ssrTitle = /data-testid="screen-title"[^>]*>([^<]*)</.exec(html)![1];
  const panel = page.getByTestId("screen-panel");
  await expect(panel).toHaveAttribute("data-state", ssrState);
  await expect(panel.getByTestId("screen-title")).toHaveText(unescape(ssrTitle));
  const ssrCount = /<strong>([0-9:]+)</.exec(html);
  if (ssrCount) {
    const shown = await panel.getByTestId("screen-countdown").locator("strong").innerText();
    expect(Math.abs(seconds(shown) - seconds(ssrCount[1]))).toBeLessThanOrEqual(5);
  }
});

test("an incident on the track turns its screen to 'delayed' without reload", async ({ browser, request }) => {
  const page = await screenAt(browser, TRACK2, BEFORE_FIRST);
  const panel = page.getByTestId("screen-panel");
  await expect(page.getByTestId("screen")).toHaveAttribute("data-link", "live");
  await expect(panel).toHaveAttribute("data-state", "up-next");
  await page.evaluate(() => ((window as any).__notReloaded = true));

  const res = await request.post("/api/v1/events/demo/incidents", {
    headers: auth(),
    data: {
      name: "Track 2 starts late",
      body: "The projector is *sulking*; we start as soon as it talks.",
      impact: "minor",
      components: ["track-2"],
    },
  });
  expect(res.status()).toBe(201);
  const id = (await res.json()).id;
  await expect(panel).toHaveAttribute("data-state", "delayed");
  await expect(panel.getByTestId("screen-heading")).toHaveText("Delayed — Track 2 starts late");
  await expect(panel.getByTestId("screen-note")).toHaveText("The projector is sulking; we start as soon as it talks.");
  await expect(panel.getByTestId("screen-title")).toHaveText(FIRST_TALK);
  await expect(panel.getByTestId("screen-times")).toHaveText("New start: 17:00");
  expect(await page.evaluate(() => (window as any).__notReloaded)).toBe(true);

  // Other tracks carry on; the lobby shows both at once.
  const lobby = await screenAt(browser, "/e/demo/screen", BEFORE_FIRST);
  await expect(lobby.getByTestId("screen")).toHaveAttribute("data-link", "live");
  await expect(lobby.getByTestId("screen-panel")).toHaveCount(4);
  await expect(lobby.locator("[data-track=track-1]")).toHaveAttribute("data-state", "up-next");
  await expect(lobby.locator("[data-track=track-2]")).toHaveAttribute("data-state", "delayed");

  const done = await request.post(`/api/v1/events/demo/incidents/${id}/updates`, {
    headers: auth(),
    data: { status: "resolved", body: "Projector fixed." },
  });
  expect(done.status()).toBe(201);
  await expect(panel).toHaveAttribute("data-state", "up-next");
  await expect(lobby.locator("[data-track=track-2]")).toHaveAttribute("data-state", "up-next");
});

test("a shift of the track moves the screen's countdown target without reload", async ({ browser, request }) => {
  const page = await screenAt(browser, TRACK2, BEFORE_FIRST);
  const panel = page.getByTestId("screen-panel");
  await expect(page.getByTestId("screen")).toHaveAttribute("data-link", "live");
  await page.clock.pauseAt(new Date("2026-11-23T13:51:00.500Z"));
  await expect(panel.getByTestId("screen-times")).toHaveText("17:00–17:40");
  await expect(panel.getByTestId("screen-countdown")).toHaveText("Starts in 09:00");
  await page.evaluate(() => ((window as any).__notReloaded = true));

  const shifted = await request.post("/api/v1/events/demo/shifts", {
    headers: auth(),
    data: { tracks: ["track-2"], from: "17:00", date: "2026-11-23", by_minutes: 30, reason: "Projector swap" },
  });
  expect(shifted.status()).toBe(201);
  const shift = (await shifted.json()).shift_id;
  // The same talk, now half an hour later: the countdown aims at 17:30.
  await expect(panel.getByTestId("screen-times")).toHaveText("17:30–18:10");
  await expect(panel.getByTestId("screen-title")).toHaveText(FIRST_TALK);
  await expect(panel.getByTestId("screen-countdown")).toHaveText("Starts in 39:00");
  expect(await page.evaluate(() => (window as any).__notReloaded)).toBe(true);

  const reverted = await request.post(`/api/v1/events/demo/shifts/${shift}/revert`, { headers: auth(), data: {} });
  expect(reverted.status()).toBe(201);
  await expect(panel.getByTestId("screen-times")).toHaveText("17:00–17:40");
  await expect(panel.getByTestId("screen-countdown")).toHaveText("Starts in 09:00");
});

test("a track screen opened days before the event names its first session and date", async ({ browser }) => {
  // Organisers set up OBS on Friday the 20th; the event is on Monday the 23rd.
  const page = await screenAt(browser, TRACK2, new Date("2026-11-20T09:00:00Z"));
  await expect(page.getByTestId("screen")).toHaveAttribute("data-link", "live");
  const panel = page.getByTestId("screen-panel");
  await expect(panel).toHaveAttribute("data-state", "upcoming");
  await expect(panel.getByTestId("screen-heading")).toHaveText("Coming up");
  await expect(panel.getByTestId("screen-title")).toHaveText(FIRST_TALK);
  await expect(panel.getByTestId("screen-times")).toHaveText("Monday 23 November at 17:00");
  await expect(panel.getByTestId("screen-countdown")).toBeHidden();
  await expect(page.getByText("No more sessions today")).toHaveCount(0);

  // The evening before, the wait is counted down.
  await page.clock.pauseAt(new Date("2026-11-22T19:00:00.500Z"));
  await expect(panel.getByTestId("screen-times")).toHaveText("Tomorrow at 17:00");
  await expect(panel.getByTestId("screen-countdown")).toHaveText("Starts in 19:00:00");
});

test("a dropped live stream shows a discreet mark and the screen recovers by itself", async ({ browser }) => {
  const ctx = await browser.newContext({ locale: "en-GB", viewport: { width: 1920, height: 1080 } });
  const page = await ctx.newPage();
  await page.route("**/e/demo/live", (route) => route.abort());
  await page.goto(TRACK2);
  const screen = page.getByTestId("screen");
  await expect(screen).toHaveAttribute("data-link", "reconnecting");
  await expect(page.getByText("Reconnecting…")).toBeVisible();
  await page.unroute("**/e/demo/live");
  await expect(screen).toHaveAttribute("data-link", "live", { timeout: 15_000 });
  await expect(page.getByText("Reconnecting…")).toBeHidden();
});

test("screens work without JavaScript", async ({ browser }) => {
  const ctx = await browser.newContext({ javaScriptEnabled: false, locale: "ru-RU" });
  const page = await ctx.newPage();
  await page.goto(`${TRACK2}?theme=light&scale=1.5&transparent=1`);
  await expect(page.locator("main.screen")).toHaveClass(/theme-light/);
  await expect(page.locator("main.screen")).toHaveAttribute("style", /--scale:1.5/);
  await expect(page.locator("html")).toHaveClass(/is-transparent/);
  await expect(page.getByTestId("screen-panel")).toHaveAttribute("data-track", "track-2");
  await expect(page.getByTestId("screen-heading")).toHaveText(/\S/);
  expect(await page.locator("header.topbar").count()).toBe(0);
  const missing = await page.goto("/e/demo/screen/no-such-track");
  expect(missing!.status()).toBe(404);
});

test("organisers copy each screen's OBS URL with the options they pick", async ({ browser, baseURL }) => {
  const ctx = await browser.newContext({ locale: "en-GB" });
  await ctx.grantPermissions(["clipboard-read", "clipboard-write"]);
  const page = await ctx.newPage();
  await page.goto("/admin/e/demo/screens");
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("Email").fill("organiser@example.org");
  await page.getByLabel("Password").fill("organiser-password-1");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.goto("/admin/e/demo");
  await page.getByRole("link", { name: "Countdown screens" }).click();

  await page.getByLabel("Theme").selectOption("dark");
  await page.getByLabel("Screen language").selectOption("ru");
  await page.getByLabel("Scale").fill("1.5");
  await page.getByLabel("Transparent background (OBS overlay)").check();
  await page.getByRole("button", { name: "Update the URLs" }).click();
  const urls = await page.locator("input.screen-url").evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
  const options = "?transparent=1&theme=dark&lang=ru&scale=1.5";
  expect(urls).toEqual([
    `${baseURL}/e/demo/screen${options}`,
    ...["track-1", "track-2", "track-3", "track-4"].map((t) => `${baseURL}/e/demo/screen/${t}${options}`),
  ]);

  const row = page.locator("tr", { hasText: "Track 2" });
  await row.getByRole("button", { name: "Copy" }).click();
  await expect(row.getByRole("button", { name: "Copied" })).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(`${baseURL}/e/demo/screen/track-2${options}`);

  // What was copied is the screen that OBS will show.
  await page.goto(copied);
  await expect(page.locator("html")).toHaveClass(/is-transparent/);
  await expect(page.locator("main.screen")).toHaveClass(/theme-dark/);
  await expect(page.locator("main.screen")).toHaveAttribute("style", /--scale:1.5/);
  await expect(page.getByTestId("screen-panel")).toHaveAttribute("data-track", "track-2");
  await expect(page.locator("html")).toHaveAttribute("lang", "ru");
});

test.describe("memory", () => {
  // Precise heap numbers and a callable GC need flags at launch, and
  // `test.use({ launchOptions })` is refused inside a describe (it would
  // need a new worker), so this test launches its own Chromium.
  const args = [...(config.use?.launchOptions?.args ?? []), "--enable-precise-memory-info", "--js-flags=--expose-gc"];

  test("two minutes of updates every second keep the lobby's memory flat", async ({ playwright, request, baseURL }) => {
    test.setTimeout(300_000);
    const browser = await playwright.chromium.launch({ executablePath: "/usr/bin/chromium", args });
    const ctx = await browser.newContext({ baseURL, locale: "en-GB", viewport: { width: 1920, height: 1080 } });
    const page = await ctx.newPage();
    await page.goto("/e/demo/screen");
    await expect(page.getByTestId("screen")).toHaveAttribute("data-link", "live");
    const opened = await request.post("/api/v1/events/demo/incidents", {
      headers: auth(),
      data: { name: "Soak test", body: "Update 0", impact: "minor", components: ["track-2"] },
    });
    expect(opened.status()).toBe(201);
    const id = (await opened.json()).id;

    // JS heap after a forced GC, and the wasm linear memory (which only grows).
    // A string, so the test transpiler leaves the dynamic import alone.
    const sample = (): Promise<{ heap: number; wasm: number }> =>
      page.evaluate(`(async () => {
        if (window.gc) window.gc();
        const wasm = await (await import("/pkg/marquee.js")).default();
        return { heap: performance.memory.usedJSHeapSize, wasm: wasm.memory.buffer.byteLength };
      })()`);
    const samples: { heap: number; wasm: number }[] = [];
    for (let i = 1; i <= 120; i++) {
      const started = Date.now();
      const res = await request.post(`/api/v1/events/demo/incidents/${id}/updates`, {
        headers: auth(),
        data: { status: "identified", body: `Update ${i}` },
      });
      expect(res.status()).toBe(201);
      if (i % 4 === 0) samples.push(await sample());
      await page.waitForTimeout(Math.max(0, 1000 - (Date.now() - started)));
    }
    // Still live at the end: the last update is on screen.
    await expect(page.locator("[data-track=track-2]").getByTestId("screen-note")).toHaveText("Update 120");

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const third = Math.floor(samples.length / 3);
    const first = median(samples.slice(0, third).map((s) => s.heap));
    const last = median(samples.slice(-third).map((s) => s.heap));
    console.log(`JS heap: first third ${first} B, last third ${last} B; wasm memory ${samples[0].wasm} → ${samples.at(-1)!.wasm} B`);
    expect(last).toBeLessThanOrEqual(first * 1.2);
    expect(samples.at(-1)!.wasm).toBeLessThanOrEqual(samples[third].wasm * 1.2);

    await request.post(`/api/v1/events/demo/incidents/${id}/updates`, {
      headers: auth(),
      data: { status: "resolved", body: "Done." },
    });
    await browser.close();
  });
});
