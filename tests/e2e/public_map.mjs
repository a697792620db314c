// Drives Debian's chromium through the public side of the console against a running stack:
// the public map and list (#/map) with its filters, the reports already filed nearby while a
// resident files (same category) and "me too" on one of them, and the agencies' scorecard
// (#/scorecard). Phases (cfg.phase): "polygons" (no tile server: all of the above), "tiles"
// (a tile server configured: the map draws its tiles and attribution), "unreachable" (the
// configured tile server is down: the map falls back to the city's polygons), "follow" (the
// link of the confirmation mail confirms following), "unfollow" (the
// link in a follower's mail stops their messages). Prints one JSON
// line with what it saw; any failure exits non-zero. Config: JSON in ADUAN_E2E
// (test_console_public_map.py).
import { base, cfg, drive, shot, unlabelled, WAIT, watch } from "./driver.mjs";

async function openMap(page, seen, name) {
  await page.goto(`${base}/#/map`);
  await page.locator(`#map-list li[data-code="${cfg.first}"]`).waitFor({ timeout: WAIT });
  await page.locator(`#public-map:not([data-base="loading"])`).waitFor({ timeout: WAIT });
  seen.base = await page.locator("#public-map").getAttribute("data-base");
  seen.attribution = await page.locator(".leaflet-control-attribution").allTextContents();
  seen.tile_images = await page.locator("#public-map img.leaflet-tile-loaded").count();
  // The kecamatan drawn filled (the polygons are the base map) or as outlines over the tiles.
  seen.filled_areas = await page.locator('#public-map path[fill="#f4f1e8"]').count();
  await shot(page, name);
}

await drive(async (browser, seen) => {
  const [lat, lon] = cfg.here;
  const context = await browser.newContext({ viewport: { width: 1024, height: 900 },
    geolocation: { latitude: lat, longitude: lon }, permissions: ["geolocation"] });
  const page = watch(await context.newPage(), "resident");

  if (cfg.phase === "tiles") { await openMap(page, seen, "m6-map-tiles"); return; }
  if (cfg.phase === "unreachable") { await openMap(page, seen, "m7-map-tiles-down"); return; }
  if (cfg.phase === "follow") {
    // The link of the one message that asks to confirm ("me too" is double opt-in).
    await page.goto(`${base}/${cfg.follow_fragment}`);
    await page.locator("#confirm-follow").waitFor({ timeout: WAIT });
    seen.address_after_open = new URL(page.url()).hash;
    seen.question = await page.locator("#follow-card p").textContent();
    await shot(page, "m4b-follow-asked");
    await page.locator("#confirm-follow").click();
    await page.locator("#followed").waitFor({ timeout: WAIT });
    seen.followed = await page.locator("#followed").textContent();
    await shot(page, "m4c-followed");
    return;
  }
  if (cfg.phase === "unfollow") {
    // The "stop following" link of the follower's mail: the token leaves the address bar.
    await page.goto(`${base}/${cfg.stop_fragment}`);
    await page.locator("#unfollow").waitFor({ timeout: WAIT });
    seen.address_after_open = new URL(page.url()).hash;
    seen.question = await page.locator("#unfollow-card p").textContent();
    await shot(page, "m8-unfollow-asked");
    await page.locator("#unfollow").click();
    await page.locator("#unfollowed").waitFor({ timeout: WAIT });
    seen.unfollowed = await page.locator("#unfollowed").textContent();
    await shot(page, "m9-unfollowed");
    return;
  }

  // The public map and list, then filtered to one category and status.
  await openMap(page, seen, "m1-map");
  seen.nav = await page.locator("#nav a").allTextContents();
  seen.heading = await page.locator("main h1").textContent();
  seen.first_row = await page.locator(`#map-list li[data-code="${cfg.first}"]`).textContent();
  seen.markers = await page.locator("#public-map path.leaflet-interactive").count();
  seen.unlabelled_map = await unlabelled(page);
  await page.locator("#filter-category").selectOption(cfg.other_category);
  await page.locator("#apply").click();
  await page.locator(`#map-list li[data-code="${cfg.first}"]`).waitFor({ state: "detached",
    timeout: WAIT });
  seen.other_category_rows = await page.locator("#map-list li[data-code]").count();
  await page.locator("#filter-category").selectOption(cfg.category);
  await page.locator("#filter-status").selectOption("forwarded");
  await page.locator("#apply").click();
  await page.locator(`#map-list li[data-code="${cfg.first}"]`).waitFor({ timeout: WAIT });
  seen.filtered_summary = await page.locator("#map-summary").textContent();
  await shot(page, "m2-map-filtered");
  // A complaint is not an aspiration.
  await page.locator("#filter-type").selectOption("aspiration");
  await page.locator("#apply").click();
  await page.locator(`#map-list li[data-code="${cfg.first}"]`).waitFor({ state: "detached",
    timeout: WAIT });
  seen.type_options = await page.locator("#filter-type option").allTextContents();

  // Filing near the first report, in its category: it is offered to follow instead.
  await page.goto(`${base}/#/`);
  await page.locator("#where").filter({ hasText: /Lokasi ditemukan|Location found/ })
    .waitFor({ timeout: WAIT });
  await page.locator("#submit-form select[name=category]").selectOption(cfg.category);
  const offered = page.locator(`#nearby li[data-code="${cfg.first}"]`);
  await offered.waitFor({ timeout: WAIT });
  seen.nearby_heading = await page.locator("#nearby-h").textContent();
  seen.nearby_entry = await offered.textContent();
  seen.nearby_count = await page.locator("#nearby li[data-code]").count();
  await shot(page, "m3-nearby");
  await offered.locator(".me-too").click();
  await offered.locator("input[type=email]").fill(cfg.email);
  seen.unlabelled_submit = await unlabelled(page);
  await offered.locator(".follow-send").click();
  await offered.locator(".following").waitFor({ timeout: WAIT });
  seen.following = await offered.locator(".following").textContent();
  await shot(page, "m4-me-too");

  // The scorecard, 30 then 90 days.
  await page.goto(`${base}/#/scorecard`);
  await page.locator("#scorecard-table").waitFor({ timeout: WAIT });
  seen.scorecard_heading = await page.locator("main h1").textContent();
  seen.scorecard_headers = await page.locator("#scorecard-table thead th").allTextContents();
  seen.scorecard_row = await page.locator(`#scorecard-table tr[data-agency="${cfg.agency}"]`)
    .locator("th, td").allTextContents();
  await shot(page, "m5-scorecard-30");
  await page.locator("#days-90").click();
  await page.locator('#days-90[aria-selected="true"]').waitFor({ timeout: WAIT });
  await page.locator("#scorecard-table").waitFor({ timeout: WAIT });
  seen.scorecard_90_heading = await page.locator("#sc-h").textContent();
  await shot(page, "m5-scorecard-90");
  const text = await page.locator("main").textContent();
  seen.scorecard_names_a_report = text.includes(cfg.first) || text.includes(cfg.secret);
});
